"""Who looks after a place: 包联 attachments and the grid party organisations (网格党组织) covering every grid.

包联: a county or township leader, a cadre of a department, or a co-building unit is attached to a community, a
compound (小区) or a grid, with duties on the four lists of 一书四单 (needs, resources, projects, responsibilities)
and the points they earn in that community (``PointEntry`` of the unit or member, summed by
``community.organisations.liaisons``).

A grid party organisation (网格党支部 / 党小组 / 联合党支部) has a secretary and members and covers one or more grids;
the dashboard counts the grids with one and the 全要素 organisations (``community.organisations.rules``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.community.models.people import AgreementList


class LiaisonKind(models.TextChoices):
    """Who is attached (包联的主体)."""

    LEADER = "leader", _("县乡领导")
    CADRE = "cadre", _("机关干部")
    UNIT = "unit", _("共建单位")


class Liaison(models.Model):
    """One 包联 attachment: a leader, cadre or unit looking after a community, a compound or a grid.

    ``region`` is the community or the grid attached to (a compound's attachment names the compound and its
    region); ``unit`` / ``member`` tie a unit or a party member to the points they earn there.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("包联社区或网格"))
    compound = models.ForeignKey("community.Compound", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="liaisons", verbose_name=_("包联小区"))
    kind = models.CharField(_("类别"), max_length=16, choices=LiaisonKind.choices)
    name = models.CharField(_("姓名或单位"), max_length=128)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    unit = models.ForeignKey("community.CoBuildingUnit", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="liaisons", verbose_name=_("共建单位"))
    member = models.ForeignKey("community.PartyMember", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="liaisons", verbose_name=_("党员"))
    commitment = models.TextField(_("承诺书"), blank=True)
    starts_on = models.DateField(_("包联开始"))
    ends_on = models.DateField(_("包联结束"), null=True, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("包联")
        verbose_name_plural = _("包联")
        ordering = ["region_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class LiaisonDuty(models.Model):
    """One duty of a 包联 on one of the four lists of 一书四单, done or not."""

    liaison = models.ForeignKey(Liaison, on_delete=models.CASCADE, related_name="duties")
    list_kind = models.CharField(_("清单"), max_length=16, choices=AgreementList.choices)
    text = models.CharField(_("内容"), max_length=255)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("包联职责")
        verbose_name_plural = _("包联职责")
        ordering = ["list_kind", "pk"]


class PartyOrganisationKind(models.TextChoices):
    BRANCH = "branch", _("网格党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    GROUP = "group", _("网格党小组")


class GridPartyOrganisation(models.Model):
    """A grid party organisation: its secretary, members and the grids it covers.

    The elements of a 全要素 organisation are recorded here (a secretary, members, a place to meet, rules on the
    wall, an activity this year); ``community.organisations.rules.missing_elements`` says which are lacking.
    """

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类别"), max_length=16, choices=PartyOrganisationKind.choices,
                            default=PartyOrganisationKind.BRANCH)
    secretary = models.ForeignKey("community.PartyMember", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("书记（组长）"))
    secretary_name = models.CharField(_("书记（组长）姓名"), max_length=64, blank=True)
    members = models.ManyToManyField("community.PartyMember", blank=True, related_name="grid_organisations",
                                     verbose_name=_("党员"))
    grids = models.ManyToManyField("community.Grid", blank=True, related_name="party_organisations",
                                   verbose_name=_("覆盖网格"))
    venue = models.CharField(_("活动阵地"), max_length=128, blank=True)
    rules_posted = models.BooleanField(_("制度上墙"), default=False)
    last_activity_on = models.DateField(_("最近一次组织生活"), null=True, blank=True)
    founded_on = models.DateField(_("成立日期"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("网格党组织")
        verbose_name_plural = _("网格党组织")
        ordering = ["region_id", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="party_organisation_name")]

    def __str__(self) -> str:
        return self.name
