"""Meetings of a community: the routine 四方联动 meeting and the residents' meetings (凉亭会, 恳谈会).

四方联动 is the community's routine meeting of four parties: the community party organisation (社区党组织),
the residents' committee (居委会), the owners' committee (业委会) and the property company (物业). It meets
on a schedule, not only when an issue climbs to the four-party rung: its agenda may take up several issues
from several grids of the community, or none (a routine review). Its decisions have an owner and a due date
and are tracked until done (``AgreedAction``). When an issue sits at the four-party rung, the meeting that
takes it up is the same record (``community.meetings.service``).

A residents' meeting (凉亭会 in a courtyard pavilion, 恳谈会, 居民议事会) is held with residents; who came and
what was agreed are recorded, and the issues raised there go straight into the issue list
(``ResidentIssue.raised_at_meeting``, channel 居民会议).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CoordinationMeeting(models.Model):
    """A 四方联动 meeting of one community: the four parties, an agenda of issues (maybe none), decisions.

    Quorum is all four parties; a meeting without one of them is recorded only with ``absence_reason``
    (``community.meetings.rules.quorum_problem``). A relevant department or the police may be invited too.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    held_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=128)
    party_attendee = models.CharField(_("社区党组织参会人"), max_length=64, blank=True)
    committee_attendee = models.CharField(_("居委会参会人"), max_length=64, blank=True)
    owners_committee_attendee = models.CharField(_("业委会参会人"), max_length=64, blank=True)
    property_attendee = models.CharField(_("物业参会人"), max_length=64, blank=True)
    department_attendee = models.CharField(_("列席部门或派出所"), max_length=64, blank=True)
    absence_reason = models.CharField(_("缺席说明"), max_length=255, blank=True)
    minutes = models.TextField(_("会议纪要"))
    agenda = models.ManyToManyField("community.ResidentIssue", through="AgendaItem", related_name="meetings",
                                    blank=True, verbose_name=_("议题（诉求）"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("四方联动会议")
        verbose_name_plural = _("四方联动会议")
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["region", "held_at"], name="meeting_region_held")]

    def __str__(self) -> str:
        return f"{self.place}（{timezone.localtime(self.held_at):%Y-%m-%d}）"


class AgendaItem(models.Model):
    """An issue taken up at a meeting, and what the meeting said about it."""

    meeting = models.ForeignKey(CoordinationMeeting, on_delete=models.CASCADE, related_name="agenda_items")
    issue = models.ForeignKey("community.ResidentIssue", on_delete=models.CASCADE, related_name="agenda_items")
    outcome = models.CharField(_("议定情况"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        constraints = [models.UniqueConstraint(fields=["meeting", "issue"], name="agenda_issue_once")]


class AgreedAction(models.Model):
    """A decision of a meeting (议定事项): what, who owns it, by when; tracked until done."""

    meeting = models.ForeignKey(CoordinationMeeting, on_delete=models.CASCADE, related_name="actions")
    issue = models.ForeignKey("community.ResidentIssue", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="agreed_actions", verbose_name=_("所涉诉求"))
    description = models.CharField(_("事项"), max_length=255)
    owner = models.CharField(_("责任方"), max_length=64)
    due_on = models.DateField(_("完成期限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=255, blank=True)

    REGION_SCOPE = "meeting__region"

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="action_open_due")]


class ResidentsMeetingKind(models.TextChoices):
    """The kinds of residents' meeting held in Mulei's communities."""

    PAVILION = "pavilion", _("凉亭会")
    TALK = "talk", _("恳谈会")
    COUNCIL = "council", _("居民议事会")


class ResidentsMeeting(models.Model):
    """A residents' meeting (凉亭会 / 恳谈会 / 议事会): who hosted, who came, what was raised and agreed."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("社区或网格"))
    kind = models.CharField(_("类别"), max_length=16, choices=ResidentsMeetingKind.choices)
    held_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=128)
    host = models.CharField(_("主持人"), max_length=64)
    attendee_count = models.PositiveIntegerField(_("参会人数"))
    attendees = models.TextField(_("参会人员"), blank=True)
    topics = models.TextField(_("议题"))
    outcomes = models.TextField(_("议定结果"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("记录人"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("居民会议")
        verbose_name_plural = _("居民会议")
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["region", "held_at"], name="residents_meeting_held")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.place}"
