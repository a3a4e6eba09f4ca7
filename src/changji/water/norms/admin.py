"""Admin pages of the 用水定额 table and the crop plans, under the one guard (``core.admin_scope``).

A county administrator sees the prefecture-wide rows and their county's rows, and changes only the latter;
the prefecture-wide rows are changed by an account whose region covers the instance (as on the pages).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from changji.core.access import P
from changji.core.admin_scope import RegionScopedAdmin
from changji.water.models import CropPlan, QuotaNorm
from changji.water.norms.service import may_edit_zone, visible_norms


@admin.register(QuotaNorm)
class QuotaNormAdmin(RegionScopedAdmin):
    read_permission = P.WATER_ALLOCATION_READ
    edit_permission = P.WATER_ALLOCATION_EDIT
    list_display = ["year", "kind", "category", "region", "method", "value", "unit", "source"]
    list_filter = ["year", "kind", "method"]
    search_fields = ["category", "source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible_norms(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or may_edit_zone(request.user,
                                                                                               obj.region))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or may_edit_zone(request.user,
                                                                                               obj.region))


@admin.register(CropPlan)
class CropPlanAdmin(RegionScopedAdmin):
    read_permission = P.WATER_ALLOCATION_READ
    edit_permission = P.WATER_ALLOCATION_EDIT
    list_display = ["water_user", "year", "crop", "area_mu", "method", "zone"]
    list_filter = ["year", "method"]
    search_fields = ["water_user__code", "crop"]
    raw_id_fields = ["water_user"]
