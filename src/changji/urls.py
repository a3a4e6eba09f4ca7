"""Root URL configuration: the shared shell from ``core``, one include per app, and the error pages.

Every route declares what it needs (``core.guards``); Django's own account views are guarded here.
The password-reset views of ``django.contrib.auth.urls`` are not mounted: accounts are issued and reset by
an administrator of the region (``core.user.manage``), and the platform sends no e-mail for sign-in.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from changji.api import urls as api_urls
from changji.core.guards import PUBLIC, SIGNED_IN, guard_view
from changji.core.views import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", guard_view(LoginView.as_view(), get=PUBLIC, post=PUBLIC), name="login"),
    path("accounts/logout/", guard_view(auth_views.LogoutView.as_view(), post=PUBLIC), name="logout"),
    path("accounts/password_change/", guard_view(auth_views.PasswordChangeView.as_view(), get=SIGNED_IN,
                                                 post=SIGNED_IN), name="password_change"),
    path("accounts/password_change/done/", guard_view(auth_views.PasswordChangeDoneView.as_view(), get=SIGNED_IN),
         name="password_change_done"),
    # The residents' language switcher (中文 / قازاقشا): sets the LANGUAGE_CODE cookie and returns to ``next``.
    path("i18n/setlang/", guard_view(set_language, post=PUBLIC), name="set_language"),
    path("api/exchange/v1/", include("changji.water.sharing.endpoints")),
    path("api/", api_urls()),
    path("water/", include("changji.water.urls")),
    path("services/", include("changji.services.urls")),
    path("community/", include("changji.community.urls")),
    path("open311/v2/", include("changji.community.open311")),
    path("sta/v1.1/", include("changji.water.sharing.sensorthings.urls")),
    path("", include("changji.core.urls")),
]

handler400 = "changji.core.error_pages.bad_request"
handler403 = "changji.core.error_pages.permission_denied"
handler404 = "changji.core.error_pages.page_not_found"
handler500 = "changji.core.error_pages.server_error"
