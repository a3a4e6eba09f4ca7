"""Admin pages of the O&M contractors: contractors (instance-wide), their county contracts and workers (scoped)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from changji.core import audit
from changji.core.access import P
from changji.core.admin_scope import InstanceWideAdmin, RegionScopedAdmin
from changji.water.models import ContractorWorker, MaintenanceContract, MaintenanceContractor


class _Audited:
    """Every admin change of a contractor table is audited (``water.contractor.<model>.save|delete``)."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        obj.save()
        audit.record(f"water.contractor.{obj._meta.model_name}.save", actor=request.user, target=obj,
                     region=getattr(obj, "county", None), changed=bool(change), text=str(obj))

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        audit.record(f"water.contractor.{obj._meta.model_name}.delete", actor=request.user, target=obj,
                     region=getattr(obj, "county", None), text=str(obj))
        obj.delete()


@admin.register(MaintenanceContractor)
class MaintenanceContractorAdmin(_Audited, InstanceWideAdmin):
    read_permission = P.WATER_WORK_ORDER_READ
    edit_permission = P.WATER_WORK_ORDER_MANAGE
    list_display = ["name", "contact_phone"]


@admin.register(MaintenanceContract)
class MaintenanceContractAdmin(_Audited, RegionScopedAdmin):
    read_permission = P.WATER_WORK_ORDER_READ
    edit_permission = P.WATER_WORK_ORDER_MANAGE
    list_display = ["contractor", "county", "starts_on", "ends_on", "number"]
    list_filter = ["county"]


@admin.register(ContractorWorker)
class ContractorWorkerAdmin(_Audited, RegionScopedAdmin):
    read_permission = P.WATER_WORK_ORDER_READ
    edit_permission = P.WATER_WORK_ORDER_MANAGE
    list_display = ["user", "contractor"]
