"""The platform's admin site: who may enter is the access policy (``core.admin.use``), not ``is_staff``.

Sign-in is the platform's one login page (throttled like every login); a signed-in user whose role has no
admin work is refused with 403 instead of being sent back to a login form.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from changji.core.access import P, allows


class PlatformAdminSite(admin.AdminSite):
    """The admin of every app, entered by the roles the policy lets use it."""

    site_header = "昌吉州智慧治理平台 · 后台管理"
    site_title = "后台管理"
    index_title = "台账与记录"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and allows(request.user, P.ADMIN_USE))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Refuse (403) a signed-in user the policy keeps out at once, instead of sending them to a login form."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("当前账号无权进入后台管理")
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Send visitors to the platform's login page; refuse signed-in users the policy keeps out."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return super().login(request, extra_context)  # redirects to the index
            raise PermissionDenied("当前账号无权进入后台管理")
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
