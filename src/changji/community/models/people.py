"""People and units: households and residents, party members (双报到), co-building units (共驻共建), teams, points.

Residents' data is kept to the minimum the grid needs; the identity number is stored for
de-duplication and shown only masked (``community.privacy``) in every page and export.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CareTag(models.TextChoices):
    """Groups needing care (重点关爱人群) a grid worker visits."""

    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    DISABLED = "disabled", _("残疾人")
    LOW_INCOME = "low_income", _("低保户")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    VETERAN = "veteran", _("退役军人")
    SERIOUS_ILLNESS = "serious_illness", _("大病患者")


class Household(models.Model):
    """A household (户) in a building."""

    building = models.ForeignKey("community.Building", on_delete=models.CASCADE, related_name="households",
                                 verbose_name=_("楼栋"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    door = models.CharField(_("门牌号"), max_length=32)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        constraints = [models.UniqueConstraint(fields=["building", "door"], name="household_door")]

    def __str__(self) -> str:
        return self.door


class Resident(models.Model):
    """A resident (居民): minimal data; ``id_number`` is never shown unmasked."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="residents",
                                  verbose_name=_("户"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    name = models.CharField(_("姓名"), max_length=64)
    id_number = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    care_tags = models.JSONField(_("关爱标签"), default=list, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        indexes = [models.Index(fields=["region"], name="resident_region")]

    def __str__(self) -> str:
        return self.name


class MemberKind(models.TextChoices):
    IN_SERVICE = "in_service", _("在职党员（双报到）")
    COMMUNITY = "community", _("社区党员")


class PartyMember(models.Model):
    """A party member (党员); an in-service member reports to their residential community (双报到)."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("报到社区"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="party_member", verbose_name=_("平台账号"))
    name = models.CharField(_("姓名"), max_length=64)
    id_number = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=MemberKind.choices, default=MemberKind.IN_SERVICE)
    work_unit = models.CharField(_("工作单位"), max_length=128, blank=True)
    registered_on = models.DateField(_("报到日期"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        constraints = [models.UniqueConstraint(fields=["region", "id_number"], condition=~models.Q(id_number=""),
                                               name="member_once_per_community")]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A post (岗位) a community offers to reporting members: 政策宣传员, 文明引导员, 矛盾调解员 and the like."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("岗位"), max_length=64)
    description = models.TextField(_("职责"), blank=True)
    capacity = models.PositiveSmallIntegerField(_("人数上限"), default=5)
    members = models.ManyToManyField(PartyMember, through="PostClaim", related_name="posts")

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self) -> str:
        return self.name


class PostClaim(models.Model):
    """A member's claim of a post (认岗)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="claims")
    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="post_claims")
    claimed_on = models.DateField(_("认岗日期"))

    class Meta:
        verbose_name = _("认岗")
        verbose_name_plural = _("认岗")
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="post_claim_once")]


class CoBuildingUnit(models.Model):
    """A co-building unit (共驻共建单位) registered with a community."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("报到社区"))
    name = models.CharField(_("单位名称"), max_length=128)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    registered_on = models.DateField(_("报到日期"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("共建单位")
        verbose_name_plural = _("共建单位")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unit_once_per_community")]

    def __str__(self) -> str:
        return self.name


class AgreementList(models.TextChoices):
    """The four lists of 一书四单 that follow the commitment letter (承诺书)."""

    NEEDS = "needs", _("需求清单")
    RESOURCES = "resources", _("资源清单")
    PROJECTS = "projects", _("项目清单")
    RESPONSIBILITIES = "responsibilities", _("责任清单")


class UnitAgreement(models.Model):
    """一书四单: a unit's commitment letter for a year, with the entries of its four lists."""

    unit = models.ForeignKey(CoBuildingUnit, on_delete=models.CASCADE, related_name="agreements")
    year = models.PositiveSmallIntegerField(_("年度"))
    commitment = models.TextField(_("承诺书"))
    signed_on = models.DateField(_("签订日期"))

    class Meta:
        verbose_name = _("一书四单")
        verbose_name_plural = _("一书四单")
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="agreement_per_year")]


class AgreementEntry(models.Model):
    """One entry of one of the four lists."""

    agreement = models.ForeignKey(UnitAgreement, on_delete=models.CASCADE, related_name="entries")
    list_kind = models.CharField(_("清单"), max_length=16, choices=AgreementList.choices)
    text = models.CharField(_("内容"), max_length=255)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("清单条目")
        verbose_name_plural = _("清单条目")


class VolunteerTeam(models.Model):
    """A volunteer team (志愿服务队) of a community."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=128)
    leader_name = models.CharField(_("队长"), max_length=64, blank=True)
    member_count = models.PositiveIntegerField(_("队员人数"), default=0)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")

    def __str__(self) -> str:
        return self.name


class ServicePoint(models.Model):
    """A service point (党群连心点 / 服务站) with a location; the 10-minute service circle is measured from these."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=128)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    services = models.CharField(_("服务内容"), max_length=255, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("党群连心点")
        verbose_name_plural = _("党群连心点")

    def __str__(self) -> str:
        return self.name
