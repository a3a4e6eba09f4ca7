"""The service catalogue (事项目录): departments, materials, items, and bundles (一件事) of items, versioned.

Kept by the service centre's catalogue administrator (``services.catalogue.manage``) on its pages, its API and
its XLSX workbook. A bundle version is frozen when published: ``Bundle.definition`` holds its questions and
its items' fields, materials and limits as they were (``services.bundles.definition_to_json``), so cases filed
on it never change when the catalogue is edited later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """An approving department (审批部门) of a service centre's region."""

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=64)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    #: The accounts that review this department's sub-cases (the inbox and decisions are theirs alone).
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="service_departments", blank=True,
                                       verbose_name=_("审批人员"))
    #: Window clerks this department authorises to decide its 即办 items at the window (窗口即办授权).
    window_delegates = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="service_delegations",
                                              blank=True, verbose_name=_("窗口即办授权人员"))

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("审批部门")
        verbose_name_plural = _("审批部门")

    def __str__(self) -> str:
        return self.name


class CatalogueMaterial(models.Model):
    """A material of the catalogue (材料目录): its name, how to fill it, a blank template and a filled example.

    Items name materials by ``code`` (``Item.materials``); the public catalogue links the template and example.
    """

    code = models.CharField(_("材料编码"), max_length=32, unique=True)
    name = models.CharField(_("材料名称"), max_length=128)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    description = models.TextField(_("填写说明"), blank=True)
    source = models.CharField(_("来源"), max_length=32, blank=True, help_text=_("申请人自备、部门核发、共享获取等"))
    original_required = models.BooleanField(_("需核验原件"), default=False)
    template = models.FileField(_("空白模板"), upload_to="services/templates/", blank=True)
    example = models.FileField(_("填写示例"), upload_to="services/examples/", blank=True)
    demo = models.BooleanField(_("演示数据"), default=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("材料目录")
        verbose_name_plural = _("材料目录")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ResultType(models.TextChoices):
    """What an item issues (办理结果类型)."""

    LICENCE = "licence", _("证照")
    FILING = "filing", _("备案凭证")
    APPROVAL = "approval", _("批准文书")
    CERTIFICATE = "certificate", _("证明")
    NOTICE = "notice", _("办结通知")


class Item(models.Model):
    """One administrative item (政务服务事项) with its limits, fee, form fields and materials."""

    code = models.CharField(_("事项编码"), max_length=32, unique=True)
    name = models.CharField(_("事项名称"), max_length=128)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="items")
    legal_basis = models.TextField(_("设定依据"), blank=True)
    statutory_limit_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"))
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    fee_yuan = models.DecimalField(_("收费（元）"), max_digits=10, decimal_places=2, default=0)
    commitment_allowed = models.BooleanField(_("适用告知承诺"), default=False)
    verification_days = models.PositiveSmallIntegerField(_("承诺核查时限（工作日）"), default=20)
    #: 即办件: decidable at the window in the same visit by a clerk the department authorises.
    instant = models.BooleanField(_("窗口即办"), default=False)
    #: A site inspection (现场勘察) with its own limit comes before the decision.
    inspection_required = models.BooleanField(_("需现场勘察"), default=False)
    inspection_limit_days = models.PositiveSmallIntegerField(_("勘察时限（工作日）"), default=5)
    result_type = models.CharField(_("结果类型"), max_length=16, choices=ResultType.choices, default=ResultType.LICENCE)
    result_name = models.CharField(_("结果名称"), max_length=128, blank=True, help_text=_("如：机动车维修经营备案证明"))
    #: [{"name", "label", "kind", "required", "choices", "condition"}], see services.bundles.FormField
    form_fields = models.JSONField(_("表单字段"), default=list, blank=True)
    #: [{"code", "name", "required", "condition", "original"}], see services.bundles.MaterialSpec
    materials = models.JSONField(_("申请材料"), default=list, blank=True)
    demo = models.BooleanField(_("演示数据"), default=False)

    REGION_SCOPE = "department__region"

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")

    def __str__(self) -> str:
        return self.name


class BundleCategory(models.TextChoices):
    WHOLESALE_RETAIL = "wholesale_retail", _("批发零售")
    RESIDENT_SERVICES = "resident_services", _("居民服务")
    LEASING = "leasing", _("租赁")
    FOOD_PROCESSING = "food_processing", _("食品加工")
    TRANSPORT = "transport", _("交通运输")


class BundleStatus(models.TextChoices):
    """A version's status; the allowed moves are ``services.catalogue.BUNDLE_TABLE``."""

    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Bundle(models.Model):
    """One version of a bundle (一件事). Cases keep the version they started on; edits make a new draft."""

    code = models.CharField(_("一件事编码"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=128)
    category = models.CharField(_("类别"), max_length=32, choices=BundleCategory.choices)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划"))
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("牵头部门"))
    status = models.CharField(_("状态"), max_length=16, choices=BundleStatus.choices, default=BundleStatus.DRAFT)
    refusal_fails_case = models.BooleanField(_("任一事项不予许可则整件不予办理"), default=False)
    online_allowed = models.BooleanField(_("可网上申请"), default=True)
    description = models.TextField(_("说明"), blank=True)
    #: The questions asked first, whose answers decide items, fields and materials (bundles.FormField as JSON).
    questions = models.JSONField(_("前置问题"), default=list, blank=True)
    #: Applications open on this local day (a published version not yet effective waits; the older one serves).
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    #: Frozen at publish (bundles.definition_to_json): what cases filed on this version are judged against.
    definition = models.JSONField(_("发布时的定义"), default=dict, blank=True)
    demo = models.BooleanField(_("演示数据"), default=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="bundle_code_version")]
        indexes = [models.Index(fields=["status", "category"], name="bundle_status_category")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class BundleItem(models.Model):
    """An item in a bundle, with the condition on the applicant's answers that makes it apply."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="bundle_items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    #: None (always applies), {"field": name, "equals": value} or {"field": name, "in": [...]}
    condition = models.JSONField(_("适用条件"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事包含事项")
        verbose_name_plural = _("一件事包含事项")
        ordering = ["bundle", "position"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_once")]
