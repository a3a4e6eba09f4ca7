"""Cases (办件): the main case of an application, its sub-cases per item, materials and history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.services.workflow import CASE_LABELS, SUB_CASE_LABELS, CaseState, SubCaseState


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人/企业")


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口")
    ONLINE = "online", _("网上")


class DeliveryMethod(models.TextChoices):
    """How the applicant receives the results (结果送达方式), chosen when filing."""

    WINDOW = "window", _("窗口领取")
    POSTAL = "postal", _("邮寄送达")
    E_LICENCE = "e_licence", _("电子证照")


class Case(models.Model):
    """The main case (主件) of one application for one bundle version: one form, one set of materials."""

    receipt_number = models.CharField(_("受理编号"), max_length=32, unique=True)
    query_code = models.CharField(_("查询码"), max_length=8)
    bundle = models.ForeignKey("services.Bundle", on_delete=models.PROTECT, related_name="cases")
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    applicant_kind = models.CharField(_("申请人类型"), max_length=16, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人"), max_length=128)
    applicant_identifier = models.CharField(_("证件号码/统一社会信用代码"), max_length=18)
    applicant_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+")
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    form_data = models.JSONField(_("表单"), default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=[(s.value, CASE_LABELS[s]) for s in CaseState],
                             default=CaseState.SUBMITTED)
    submitted_at = models.DateTimeField(_("申请时间"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    correction_list = models.JSONField(_("补正清单"), default=list, blank=True)
    correction_started_on = models.DateField(_("补正开始"), null=True, blank=True)
    suspended_days = models.PositiveSmallIntegerField(_("暂停工作日"), default=0)
    outcome = models.CharField(_("办理结果"), max_length=16, blank=True)
    issued_at = models.DateTimeField(_("出件时间"), null=True, blank=True)
    handed_to = models.CharField(_("领取人"), max_length=64, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价（1–5）"), null=True, blank=True)
    rating_comment = models.TextField(_("评价意见"), blank=True)
    #: The reasons ticked with the rating (services.ratings.REASONS codes).
    rating_reasons = models.JSONField(_("评价理由"), default=list, blank=True)
    window = models.ForeignKey("services.ServiceWindow", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("受理窗口"))
    identity_checked_at = models.DateTimeField(_("身份核验时间"), null=True, blank=True)
    #: Times the applicant came to the centre for this case (filing, correction, pickup): the goal is one.
    visits = models.PositiveSmallIntegerField(_("到场次数"), default=0)
    delivery_method = models.CharField(_("送达方式"), max_length=16, choices=DeliveryMethod.choices,
                                       default=DeliveryMethod.WINDOW)
    postal_address = models.CharField(_("邮寄地址"), max_length=200, blank=True)
    postal_recipient = models.CharField(_("收件人"), max_length=64, blank=True)
    postal_tracking_number = models.CharField(_("快递单号"), max_length=40, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return self.receipt_number


class SubCase(models.Model):
    """One item's sub-case (分办件) in its department's inbox, with its own clock and decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sub_cases")
    item = models.ForeignKey("services.Item", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("services.Department", on_delete=models.PROTECT, related_name="sub_cases")
    state = models.CharField(_("状态"), max_length=16,
                             choices=[(s.value, SUB_CASE_LABELS[s]) for s in SubCaseState],
                             default=SubCaseState.PENDING)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    due_on = models.DateField(_("承诺办结日"))
    legal_due_on = models.DateField(_("法定办结日"))
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    opinion = models.TextField(_("审批意见"), blank=True)
    licence_number = models.CharField(_("证照编号"), max_length=64, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    verification_due_on = models.DateField(_("核查期限"), null=True, blank=True)
    #: Decided at the window in the applicant's visit (即办) by an authorised clerk.
    decided_at_window = models.BooleanField(_("窗口即办"), default=False)

    REGION_SCOPE = "case__region"

    class Meta:
        verbose_name = _("分办件")
        verbose_name_plural = _("分办件")
        constraints = [models.UniqueConstraint(fields=["case", "item"], name="sub_case_item_once")]
        indexes = [models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.item_id}"


class Material(models.Model):
    """One uploaded material, stored once and linked to every item of the case that needs it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("材料编码"), max_length=32)
    name = models.CharField(_("材料名称"), max_length=128)
    file = models.FileField(_("文件"), upload_to="services/materials/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    #: The clerk saw the original at the window (核验原件) instead of, or as well as, a scan.
    seen_in_original = models.BooleanField(_("已核验原件"), default=False)
    checked_by_name = models.CharField(_("核验人"), max_length=150, blank=True)
    item_codes = models.JSONField(_("关联事项"), default=list)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    REGION_SCOPE = "case__region"

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="material_once_per_case")]


class CaseEvent(models.Model):
    """One step of a case's or sub-case's history (appended, never updated): the applicant's progress view."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    sub_case = models.ForeignKey(SubCase, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    by_name = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)
    #: The applicant was at the centre for this step (filing, correction or pickup at the window).
    in_person = models.BooleanField(_("现场办理"), default=False)

    REGION_SCOPE = "case__region"

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["at", "pk"]


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("符合条件")
    FAILED = "failed", _("不符合条件")


class Inspection(models.Model):
    """The site inspection (现场勘察) of a sub-case whose item requires one: its own limit, inspector and result."""

    sub_case = models.OneToOneField(SubCase, on_delete=models.CASCADE, related_name="inspection")
    started_at = models.DateTimeField(_("派出时间"))
    due_on = models.DateField(_("勘察时限"))
    inspectors = models.CharField(_("勘察人员"), max_length=128, blank=True)
    inspected_at = models.DateTimeField(_("勘察时间"), null=True, blank=True)
    result = models.CharField(_("勘察结论"), max_length=8, choices=InspectionResult.choices, blank=True)
    findings = models.TextField(_("勘察记录"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    REGION_SCOPE = "sub_case__case__region"

    class Meta:
        verbose_name = _("现场勘察")
        verbose_name_plural = _("现场勘察")


class ELicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")


class ELicence(models.Model):
    """An electronic licence record (电子证照) of a granted sub-case: number, issuing department, validity.

    The number is the one the department issued (also under 承诺即准入); the public verify page shows it.
    """

    sub_case = models.OneToOneField(SubCase, on_delete=models.CASCADE, related_name="e_licence")
    number = models.CharField(_("证照编号"), max_length=64)
    name = models.CharField(_("证照名称"), max_length=128)
    department = models.ForeignKey("services.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("发证部门"))
    holder_name = models.CharField(_("持证主体"), max_length=128)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=ELicenceStatus.choices, default=ELicenceStatus.VALID)

    REGION_SCOPE = "sub_case__case__region"

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [models.UniqueConstraint(fields=["department", "number"], name="e_licence_number_once")]

    def __str__(self) -> str:
        return self.number


class DepartmentRating(models.Model):
    """好差评 of one department's part of a case, with the reasons ticked (services.ratings.REASONS)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="department_ratings")
    department = models.ForeignKey("services.Department", on_delete=models.PROTECT, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("评分（1–5）"))
    reasons = models.JSONField(_("评价理由"), default=list, blank=True)
    comment = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    REGION_SCOPE = "case__region"

    class Meta:
        verbose_name = _("部门评价")
        verbose_name_plural = _("部门评价")
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="department_rating_once")]
