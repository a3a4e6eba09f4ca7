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
