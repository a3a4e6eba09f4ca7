"""Admin pages of the tax tables: the rate table for the whole instance, overdraft areas scoped by region."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from changji.core.access import P
from changji.core.admin_scope import InstanceWideAdmin, RegionScopedAdmin
from changji.water.models import OverdraftArea, WaterTaxRate
from changji.water.tax import rates


@admin.register(WaterTaxRate)
class WaterTaxRateAdmin(InstanceWideAdmin):
    read_permission = P.WATER_TAX_READ
    edit_permission = P.WATER_TAX_RATE_EDIT
    list_display = ["source", "use", "zone", "rate_yuan_per_m3", "over_plan_multiplier", "exempt_within_plan",
                    "valid_from_year", "valid_to_year", "document"]
    list_filter = ["source", "use", "zone"]

    def save_model(self, request: HttpRequest, obj: WaterTaxRate, form: Any, change: bool) -> None:
        """Save through the service, so an admin change is audited like one on the rate page."""
        before = rates.snapshot(WaterTaxRate.objects.get(pk=obj.pk)) if change and obj.pk else None
        rates.save_rate(obj, request.user, before=before)


@admin.register(OverdraftArea)
class OverdraftAreaAdmin(RegionScopedAdmin):
    read_permission = P.WATER_TAX_READ
    edit_permission = P.WATER_TAX_RATE_EDIT
    list_display = ["region", "level", "designated_on", "lifted_on", "document"]

    def save_model(self, request: HttpRequest, obj: OverdraftArea, form: Any, change: bool) -> None:
        """Save through the service, so an admin change is audited."""
        rates.save_area(obj, request.user)
