"""Venues (阵地): community rooms with area and kind, their bookings, and the county's venue targets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoomKind(models.TextChoices):
    OFFICE = "office", _("办公用房")
    SERVICE = "service", _("服务用房")


class Room(models.Model):
    """A room of a community's premises; a service room with a function (功能室) is booked and its use counted."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=8, choices=RoomKind.choices)
    function = models.CharField(_("功能"), max_length=64, blank=True)
    area_m2 = models.DecimalField(_("面积（平方米）"), max_digits=8, decimal_places=1)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("用房")
        verbose_name_plural = _("用房")
        ordering = ["region_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class VenueBaseline(models.Model):
    """A community's office area before the 阵地 reform, against which the 20% cut is measured."""

    region = models.OneToOneField("core.Region", on_delete=models.PROTECT, primary_key=True, related_name="+",
                                  verbose_name=_("社区"))
    office_area_before_m2 = models.DecimalField(_("改革前办公面积（平方米）"), max_digits=8, decimal_places=1)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("阵地基线")
        verbose_name_plural = _("阵地基线")


class RoomBooking(models.Model):
    """A booking of a room for a date; the days on which a room is booked are its usage days."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bookings")
    day = models.DateField(_("日期"))
    starts_at = models.TimeField(_("开始"))
    ends_at = models.TimeField(_("结束"))
    purpose = models.CharField(_("用途"), max_length=128)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    attendance = models.PositiveIntegerField(_("参加人数"), default=0)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["day", "starts_at"]
        indexes = [models.Index(fields=["room", "day"], name="booking_room_day")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="booking_ends_after_start")]
