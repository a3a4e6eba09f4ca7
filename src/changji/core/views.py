"""Views of the shared shell: the platform home page and a health probe."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from changji.core.guards import PUBLIC, route
from changji.core.models import Region, RegionLevel
from changji.core.regions import root_region
from changji.core.scope import scope_queryset


@route(get=PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    """Render the platform's front page: the three systems and the regions in the user's scope."""
    counties: QuerySet[Region] = Region.objects.within(root_region()).filter(level=RegionLevel.COUNTY)
    if request.user.is_authenticated:
        counties = scope_queryset(counties, request.user)
    return render(request, "core/home.html", {"counties": counties})


@route(get=PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Report that the web process runs and can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


class LoginView(auth_views.LoginView):
    """The platform's login page; failures are counted and locked out by django-axes (``core.sign_in``)."""

    redirect_authenticated_user = True
