"""The history, photos and results of work orders, meter calibrations, and the O&M contractors (运维单位)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.water.models.alarms import WorkOrder, WorkOrderState


class WorkOrderEvent(models.Model):
    """One step of a work order's history (appended, never updated): who moved it when, and why."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    from_state = models.CharField(_("原状态"), max_length=16, blank=True, choices=WorkOrderState.choices)
    to_state = models.CharField(_("新状态"), max_length=16, choices=WorkOrderState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_name = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)

    REGION_SCOPE = "order__well__region"

    class Meta:
        verbose_name = _("工单处理记录")
        verbose_name_plural = _("工单处理记录")
        ordering = ["order", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.from_state}→{self.to_state}"


class WorkOrderPhoto(models.Model):
    """A photo taken on site for a work order, with the phone's time and position where it gave them.

    ``client_id`` is the UUID the phone gave the photo when it was queued: an upload retried after a lost
    connection names the same UUID and is accepted once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    client_id = models.UUIDField(_("客户端编号"), unique=True)
    image = models.FileField(_("照片"), upload_to="work-order-photos/%Y/%m/")
    size_bytes = models.PositiveIntegerField(_("字节数"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    position_source = models.CharField(_("位置来源"), max_length=16, blank=True)  # exif | browser | ""
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    REGION_SCOPE = "order__well__region"

    class Meta:
        verbose_name = _("工单照片")
        verbose_name_plural = _("工单照片")
        ordering = ["order", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.client_id}"


class MeterOwner(models.TextChoices):
    WATER = "water", _("水务")
    POWER = "power", _("供电公司")


class MeterCalibration(models.Model):
    """One calibration (检定) of a meter, recorded when its calibration order is reviewed."""

    meter = models.ForeignKey("water.Meter", on_delete=models.PROTECT, related_name="calibrations")
    calibrated_on = models.DateField(_("检定日期"))
    certificate_number = models.CharField(_("检定证书编号"), max_length=64)
    error_pct = models.FloatField(_("示值误差（%）"))
    work_order = models.ForeignKey(WorkOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    REGION_SCOPE = "meter__well__region"

    class Meta:
        verbose_name = _("计量表检定记录")
        verbose_name_plural = _("计量表检定记录")
        ordering = ["meter", "-calibrated_on"]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.calibrated_on} {self.certificate_number}"


class MaintenanceContractor(models.Model):
    """An O&M contractor (运维单位) serving counties under contracts; its workers are ``ContractorWorker`` rows."""

    name = models.CharField(_("名称"), max_length=128, unique=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("运维单位")
        verbose_name_plural = _("运维单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MaintenanceContract(models.Model):
    """A contractor's contract for one county over a period (its last day included)."""

    contractor = models.ForeignKey(MaintenanceContractor, on_delete=models.CASCADE, related_name="contracts")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县市"))
    starts_on = models.DateField(_("合同开始"))
    ends_on = models.DateField(_("合同结束"))
    number = models.CharField(_("合同编号"), max_length=64, blank=True)

    REGION_SCOPE = "county"

    class Meta:
        verbose_name = _("运维合同")
        verbose_name_plural = _("运维合同")
        ordering = ["county", "starts_on"]

    def __str__(self) -> str:
        return f"{self.contractor} {self.county_id} {self.starts_on}–{self.ends_on}"


class ContractorWorker(models.Model):
    """A maintenance worker's contractor (one per worker)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contractor_link")
    contractor = models.ForeignKey(MaintenanceContractor, on_delete=models.CASCADE, related_name="workers")

    REGION_SCOPE = "user__region"

    class Meta:
        verbose_name = _("运维人员")
        verbose_name_plural = _("运维人员")

    def __str__(self) -> str:
        return f"{self.contractor} {self.user_id}"
