"""The service centre's front hall (政务服务大厅): windows, queue tickets (取号叫号) and consultations (咨询导办)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The queue's service types: the bundle categories (services.models.BundleCategory values) and consultation.
CONSULTATION = "consultation"


class ServiceWindow(models.Model):
    """One window of the hall (综合受理窗口), the service types it calls and the clerks who sit at it."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=64)
    #: The service types it calls: BundleCategory values and "consultation" (咨询导办).
    service_types = models.JSONField(_("受理类别"), default=list)
    clerks = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="service_windows", blank=True,
                                    verbose_name=_("窗口人员"))
    active = models.BooleanField(_("启用"), default=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")
        ordering = ["region", "number"]
        constraints = [models.UniqueConstraint(fields=["region", "number"], name="service_window_number_once")]

    def __str__(self) -> str:
        return f"{self.number}号窗口 {self.name}"


class TicketState(models.TextChoices):
    """A ticket's states; the allowed moves are ``services.queue.TICKET_TABLE``."""

    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("过号")


class QueueTicket(models.Model):
    """One queue number (取号) of one local day: A012 for the 12th ticket of service type A."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    local_day = models.DateField(_("日期"))
    service_type = models.CharField(_("业务类别"), max_length=32)
    sequence = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("排队号"), max_length=8)
    state = models.CharField(_("状态"), max_length=16, choices=TicketState.choices, default=TicketState.WAITING)
    taken_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    window = models.ForeignKey(ServiceWindow, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
                               verbose_name=_("窗口"))
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    recalls = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    case = models.ForeignKey("services.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
                             verbose_name=_("办件"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["local_day", "taken_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["region", "local_day", "service_type", "sequence"], name="ticket_once"),
        ]
        indexes = [models.Index(fields=["region", "local_day", "state"], name="ticket_day_state")]

    def __str__(self) -> str:
        return self.number


class Consultation(models.Model):
    """A 咨询导办 record: a visitor's question and the guidance given, whether or not a case follows."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    at = models.DateTimeField(_("时间"))
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("接待人员"))
    window = models.ForeignKey(ServiceWindow, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("窗口"))
    ticket = models.ForeignKey(QueueTicket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("排队号"))
    bundle_code = models.CharField(_("咨询的一件事"), max_length=32, blank=True)
    topic = models.CharField(_("咨询事项"), max_length=128)
    visitor_name = models.CharField(_("来访人"), max_length=64, blank=True)
    visitor_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    question = models.TextField(_("咨询内容"))
    guidance = models.TextField(_("答复与导办"))
    case = models.ForeignKey("services.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("转为办件"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("咨询导办记录")
        verbose_name_plural = _("咨询导办记录")
        ordering = ["-at", "-pk"]
