"""Region scope for admin pages: the admin lists only what the administrator's region contains."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .scope import scope_queryset


class RegionScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose lists, detail pages and actions go through ``core.scope``."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_queryset(super().get_queryset(request), request.user)


class ReadOnlyAdmin(RegionScopedAdmin):
    """Evidence and history (audit log, frames, readings): viewable, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
