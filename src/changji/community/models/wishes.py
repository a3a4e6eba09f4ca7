"""Micro-wishes (微心愿) and activities (微行动): small help for residents, and what members and units do."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.community.wishes.workflow import WISH_LABELS, WishState


class MicroWish(models.Model):
    """A micro-wish of a resident (微心愿), claimed exclusively by one member or one unit for a limited time."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    resident = models.ForeignKey("community.Resident", on_delete=models.PROTECT, related_name="wishes",
                                 verbose_name=_("心愿人"))
    title = models.CharField(_("心愿"), max_length=128)
    description = models.TextField(_("说明"), blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("登记人"))
    state = models.CharField(_("状态"), max_length=16, choices=[(s.value, WISH_LABELS[s]) for s in WishState],
                             default=WishState.POSTED)
    posted_at = models.DateTimeField(_("提交时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    claimed_by_member = models.ForeignKey("community.PartyMember", on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="claimed_wishes", verbose_name=_("认领党员"))
    claimed_by_unit = models.ForeignKey("community.CoBuildingUnit", on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="claimed_wishes", verbose_name=_("认领单位"))
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    claim_expires_at = models.DateTimeField(_("认领截止"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("实现时间"), null=True, blank=True)
    evidence = models.TextField(_("实现情况"), blank=True)
    evidence_photo = models.FileField(_("实现照片"), upload_to="community/wishes/%Y/%m/", blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        ordering = ["-posted_at"]
        indexes = [models.Index(fields=["state", "claim_expires_at"], name="wish_claim_expiry"),
                   models.Index(fields=["region", "state"], name="wish_region_state")]

    def __str__(self) -> str:
        return self.title


class WishEvent(models.Model):
    """One move of a wish, who made it and when (the wish's history)."""

    wish = models.ForeignKey(MicroWish, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class ActivityKind(models.TextChoices):
    MARKET = "market", _("邻里集市")
    HEALTH = "health", _("健康义诊")
    LEGAL = "legal", _("法律咨询")
    HOMEWORK = "homework", _("四点半课堂")
    CLEANUP = "cleanup", _("环境整治")
    OTHER = "other", _("其他")


class Activity(models.Model):
    """An activity (微行动): participants give hours, residents are served (each counted once per activity)."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("社区或网格"))
    kind = models.CharField(_("类别"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("名称"), max_length=128)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=128, blank=True)
    room = models.ForeignKey("community.Room", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="activities", verbose_name=_("功能室"))
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("组织人"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("微行动")
        verbose_name_plural = _("微行动")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["region", "held_on"], name="activity_region_day")]

    def __str__(self) -> str:
        return self.title


class ActivityParticipant(models.Model):
    """A member or a unit that took part, with the hours given."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey("community.PartyMember", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="activity_participations")
    unit = models.ForeignKey("community.CoBuildingUnit", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="activity_participations")
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("参与者")
        verbose_name_plural = _("参与者")
        constraints = [
            models.CheckConstraint(condition=models.Q(unit__isnull=False) ^ models.Q(member__isnull=False),
                                   name="participant_one_holder"),
            models.UniqueConstraint(fields=["activity", "member"], condition=models.Q(member__isnull=False),
                                    name="participant_member_once"),
            models.UniqueConstraint(fields=["activity", "unit"], condition=models.Q(unit__isnull=False),
                                    name="participant_unit_once"),
        ]


class ActivityServed(models.Model):
    """A resident served by an activity: counted once per person per activity (the unique key says so)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="served")
    resident = models.ForeignKey("community.Resident", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("服务对象")
        verbose_name_plural = _("服务对象")
        constraints = [models.UniqueConstraint(fields=["activity", "resident"], name="served_once_per_activity")]


class ResidentParticipation(models.Model):
    """A resident served in a year by at least one activity of a community: the rollup of ``ActivityServed``.

    Derived data: written with each served resident (``community.venues.participation.record``) and rebuilt from
    ``ActivityServed`` by the daily job ``community.participation.rebuild``. The county's 60 % target counts
    these rows, so the dashboard does not sort every served row of the year (40–50 ms at 75,000 rows).
    """

    community = models.ForeignKey("core.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("社区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    resident = models.ForeignKey("community.Resident", on_delete=models.CASCADE, related_name="+")

    REGION_SCOPE = "community"

    class Meta:
        verbose_name = _("居民参与")
        verbose_name_plural = _("居民参与")
        constraints = [models.UniqueConstraint(fields=["community", "year", "resident"],
                                               name="participation_once_a_year")]
        indexes = [models.Index(fields=["year", "community"], name="participation_year")]


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    photo = models.FileField(_("照片"), upload_to="community/activities/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("活动照片")
        verbose_name_plural = _("活动照片")
