"""Admin pages of the 用水定额 table and the crop plans: read-only, region scoped (``core.admin_scope``).

Norms and crop plans are changed on the pages, through the API or by import, which go through
``water.norms.service`` (who may change which zone, validation, audit); the admin only lists them. A county
administrator sees the prefecture-wide rows and their county's rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from changji.core.access import P
from changji.core.admin_scope import ReadOnlyAdmin
from changji.water.models import CropPlan, QuotaNorm
from changji.water.norms.service import visible_norms


@admin.register(QuotaNorm)
class QuotaNormAdmin(ReadOnlyAdmin):
    read_permission = P.WATER_ALLOCATION_READ
    list_display = ["year", "kind", "category", "region", "method", "value", "unit", "source"]
    list_filter = ["year", "kind", "method"]
    search_fields = ["category", "source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible_norms(request.user)


@admin.register(CropPlan)
class CropPlanAdmin(ReadOnlyAdmin):
    read_permission = P.WATER_ALLOCATION_READ
    list_display = ["water_user", "year", "crop", "area_mu", "method", "zone"]
    list_filter = ["year", "method"]
    search_fields = ["water_user__code", "crop"]
