"""Root URL configuration: the shared shell from ``core``, one include per app, and the error pages."""

from django.contrib import admin
from django.urls import include, path

from changji.api import api
from changji.core.views import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", api.urls),
    path("water/", include("changji.water.urls")),
    path("services/", include("changji.services.urls")),
    path("community/", include("changji.community.urls")),
    path("open311/v2/", include("changji.community.open311")),
    path("", include("changji.core.urls")),
]

handler400 = "changji.core.error_pages.bad_request"
handler403 = "changji.core.error_pages.permission_denied"
handler404 = "changji.core.error_pages.page_not_found"
handler500 = "changji.core.error_pages.server_error"
