"""Resident issues (接诉即办): reports from the web, grid workers and Open311 clients, handled up the ladder."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.community.issues.workflow import ISSUE_LABELS, LEVEL_LABELS, EscalationLevel, IssueState


class ResponsibleParty(models.TextChoices):
    """Who a category is routed to first (责任主体)."""

    GRID = "grid", _("网格员")
    COMMUNITY = "community", _("社区")
    PROPERTY = "property", _("物业企业")
    DEPARTMENT = "department", _("职能部门")


class IssueCategory(models.Model):
    """A category of resident issue (诉求类别); its code is the Open311 ``service_code``."""

    code = models.SlugField(_("类别代码"), max_length=32, unique=True)
    name = models.CharField(_("类别"), max_length=64)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    group = models.CharField(_("分组"), max_length=32, blank=True)
    responsible = models.CharField(_("责任主体"), max_length=16, choices=ResponsibleParty.choices)
    department = models.CharField(_("职能部门"), max_length=64, blank=True)
    response_hours = models.PositiveSmallIntegerField(_("响应时限（小时）"), default=24)
    resolve_days = models.PositiveSmallIntegerField(_("办结时限（天）"), default=7)
    duplicate_radius_m = models.PositiveIntegerField(_("重复判定半径（米）"), default=100)
    name_kk = models.CharField(_("类别（哈萨克文）"), max_length=64, blank=True,
                               help_text=_("居民选择哈萨克文时公开页面显示的类别名称（阿拉伯字母）"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class IssueChannel(models.TextChoices):
    """How an issue reached the community (受理渠道); statistics count issues by channel."""

    WEB = "web", _("网上")
    GRID_WORKER = "grid_worker", _("网格员巡查")
    OPEN311 = "open311", _("Open311 接口")
    HOTLINE = "hotline", _("热线电话")
    WECHAT = "wechat", _("微信群")
    SPOKEN = "spoken", _("口头反映（大喇叭、当面）")
    RESIDENTS_MEETING = "meeting", _("居民会议（凉亭会、恳谈会）")
    VISIT = "visit", _("走访发现")


#: The channels a grid worker files on a resident's behalf (the rest are the web, Open311 and meetings).
STAFF_CHANNELS = (IssueChannel.GRID_WORKER, IssueChannel.HOTLINE, IssueChannel.WECHAT, IssueChannel.SPOKEN,
                  IssueChannel.VISIT)


class ResidentIssue(models.Model):
    """A resident's issue (群众诉求). ``request_id`` is the public id (Open311 ``service_request_id``)."""

    request_id = models.CharField(_("诉求编号"), max_length=24, unique=True)
    category = models.ForeignKey(IssueCategory, on_delete=models.PROTECT, related_name="issues",
                                 verbose_name=_("类别"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在网格（或社区）"))
    description = models.TextField(_("诉求内容"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    media_url = models.URLField(_("图片链接"), blank=True)
    reporter_name = models.CharField(_("诉求人"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    reporter_email = models.EmailField(_("电子邮箱"), blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=IssueChannel.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("代报网格员"))
    state = models.CharField(_("状态"), max_length=16, choices=[(s.value, ISSUE_LABELS[s]) for s in IssueState],
                             default=IssueState.REPORTED)
    level = models.CharField(_("层级"), max_length=16,
                             choices=[(s.value, LEVEL_LABELS[s]) for s in EscalationLevel],
                             default=EscalationLevel.GRID)
    reported_at = models.DateTimeField(_("上报时间"))
    response_due_at = models.DateTimeField(_("响应时限"))
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    level_started_at = models.DateTimeField(_("本级开始"))
    due_at = models.DateTimeField(_("办结时限"))
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    satisfied = models.BooleanField(_("满意"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    raised_at_meeting = models.ForeignKey("community.ResidentsMeeting", on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="issues", verbose_name=_("提出会议"))
    open311_token = models.CharField(_("Open311 令牌"), max_length=32, unique=True, null=True, blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="duplicates", verbose_name=_("重复于"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("群众诉求")
        verbose_name_plural = _("群众诉求")
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["region", "state"], name="issue_region_state"),
                   models.Index(fields=["category", "state", "reported_at"], name="issue_category_open"),
                   models.Index(fields=["state", "due_at"], name="issue_due"),
                   models.Index(fields=["channel", "reported_at"], name="issue_channel")]

    def __str__(self) -> str:
        return self.request_id


class IssueEvent(models.Model):
    """One step of an issue's handling (state move, escalation, note), who and when."""

    issue = models.ForeignKey(ResidentIssue, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    kind = models.CharField(_("类别"), max_length=16)  # "state", "escalate", "note"
    from_value = models.CharField(max_length=16, blank=True)
    to_value = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]


class Open311Client(models.Model):
    """An Open311 client allowed to POST requests (the GeoReport v2 ``api_key``); the key is stored as a digest."""

    name = models.CharField(_("客户端"), max_length=100)
    key_digest = models.CharField(max_length=64, unique=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("受理范围"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")

    def __str__(self) -> str:
        return self.name
