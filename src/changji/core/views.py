"""Views of the shared shell: the platform home page and a health probe."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from . import audit, throttle
from .models import Region, RegionLevel
from .scope import scope_queryset


def home(request: HttpRequest) -> HttpResponse:
    """Render the platform's front page: the three systems and the regions in the user's scope."""
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    if request.user.is_authenticated:
        counties = scope_queryset(counties, request.user)
    return render(request, "core/home.html", {"counties": counties})


def healthz(request: HttpRequest) -> JsonResponse:
    """Report that the web process runs and can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing a username and address pair after repeated failures (``core.throttle``)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "登录失败次数过多，请 15 分钟后再试。",
    }

    def clean(self):
        username = self.data.get("username", "")
        address = client_address(self.request) if self.request else ""
        if throttle.locked(username, address):
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            if throttle.failed(username, address) == throttle.MAX_FAILURES:
                audit.record("core.login.locked", reason="连续登录失败", username=username, address=address)
            raise
        throttle.succeeded(username, address)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True
