"""The well registry: water users, wells, their field terminals and meters (机井档案)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ADDRESS_VALIDATOR = RegexValidator(r"^[0-9A-F]{10}$", _("终端地址为10位十六进制数字（大写）"))


class WaterUserKind(models.TextChoices):
    PERSON = "person", _("个人")
    COOPERATIVE = "cooperative", _("合作社")
    ENTERPRISE = "enterprise", _("企业")


class WaterUser(models.Model):
    """A licensed abstractor (取水户): a farmer, a cooperative or an enterprise."""

    code = models.CharField(_("取水户编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=WaterUserKind.choices)
    licence_number = models.CharField(_("取水许可证号"), max_length=64, blank=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划"))
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    #: The downstream peer (``DownstreamPeer.key_id``) this row was received from (上报自下级); blank: kept here.
    #: Received rows are the lower level's: the jobs of this instance never act on them on their own.
    reported_by = models.CharField(_("上报来源"), max_length=40, blank=True, default="", editable=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("取水户")
        verbose_name_plural = _("取水户")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class WellUse(models.TextChoices):
    AGRICULTURAL = "agricultural", _("农业灌溉")
    INDUSTRIAL = "industrial", _("工业")
    DOMESTIC = "domestic", _("生活")


class WellKind(models.TextChoices):
    EXTRACTION = "extraction", _("取水井")
    MONITORING = "monitoring", _("地下水监测井")


class Well(models.Model):
    """A well (机井): an extraction well with pump and meters, or a groundwater monitoring well.

    ``code`` is the natural key shared with the levels above; it starts with the 6-digit county
    code (e.g. ``652323-00017``) so codes never collide between counties.
    """

    code = models.CharField(_("机井编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类别"), max_length=16, choices=WellKind.choices, default=WellKind.EXTRACTION)
    use = models.CharField(_("用途"), max_length=16, choices=WellUse.choices, default=WellUse.AGRICULTURAL)
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划（至村）")
    )
    latitude = models.FloatField(_("纬度"))
    longitude = models.FloatField(_("经度"))
    depth_m = models.FloatField(_("井深（米）"), null=True, blank=True)
    pipe_diameter_mm = models.PositiveIntegerField(_("管径（毫米）"), null=True, blank=True)
    pump_rated_power_kw = models.FloatField(_("水泵额定功率（千瓦）"), null=True, blank=True)
    pump_rated_flow_m3h = models.FloatField(_("水泵额定流量（立方米/时）"), null=True, blank=True)
    water_user = models.ForeignKey(
        WaterUser, on_delete=models.PROTECT, null=True, blank=True, related_name="wells",
        verbose_name=_("取水户"),
    )
    #: The downstream peer (``DownstreamPeer.key_id``) this row was received from (上报自下级); blank: kept here.
    #: Received rows are the lower level's: the jobs of this instance never act on them on their own.
    reported_by = models.CharField(_("上报来源"), max_length=40, blank=True, default="", editable=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("机井")
        verbose_name_plural = _("机井")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Terminal(models.Model):
    """A field terminal (遥测终端, RTU) that reports for one well over one protocol family."""

    class Protocol(models.TextChoices):
        SZY206 = "szy206", "SZY206-2016 / SL/T 427-2021"
        SL651 = "sl651", "SL651-2014"

    protocol = models.CharField(_("规约"), max_length=8, choices=Protocol.choices)
    variant = models.CharField(
        _("规约变体"), max_length=16, blank=True,
        help_text=_("SZY206：2016 或 sl427；SL651：hex 或 ascii。留空按报文自动识别。"),
    )
    address = models.CharField(_("终端地址"), max_length=10, validators=[ADDRESS_VALIDATOR])
    password = models.PositiveIntegerField(_("密码"), default=0)
    report_interval_s = models.PositiveIntegerField(_("应报间隔（秒）"), default=300)
    well = models.ForeignKey(
        Well, on_delete=models.PROTECT, null=True, blank=True, related_name="terminals", verbose_name=_("机井")
    )
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划"),
        help_text=_("与机井相同；未装井的终端按登记区划管辖。"),
    )
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    batch = models.ForeignKey(
        "water.DeviceBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="terminals",
        verbose_name=_("设备批次"),
    )
    #: Set only by a confirmed switch (``profiles.service.confirm_switch``); else the batch's profile applies.
    profile_override = models.ForeignKey(
        "water.ProtocolProfile", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("单独规约配置"),
    )
    last_seen_at = models.DateTimeField(_("最后通信时间"), null=True, blank=True)
    last_peer = models.CharField(_("最后来源地址"), max_length=64, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    #: The downstream peer (``DownstreamPeer.key_id``) this row was received from (上报自下级); blank: kept here.
    #: Received rows are the lower level's: the jobs of this instance never act on them on their own.
    reported_by = models.CharField(_("上报来源"), max_length=40, blank=True, default="", editable=False)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("终端")
        verbose_name_plural = _("终端")
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["protocol", "address"], name="terminal_unique_address")]

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} {self.address}"


class MeterKind(models.TextChoices):
    ELECTROMAGNETIC_FLOW = "electromagnetic", _("电磁流量计")
    ULTRASONIC_FLOW = "ultrasonic", _("超声波流量计")
    ELECTRICITY = "electricity", _("智能电表")


class Meter(models.Model):
    """A flowmeter or electricity meter installed on a well; removed when replaced."""

    well = models.ForeignKey(Well, on_delete=models.PROTECT, related_name="meters", verbose_name=_("机井"))
    kind = models.CharField(_("类型"), max_length=16, choices=MeterKind.choices)
    serial = models.CharField(_("出厂编号"), max_length=64)
    accuracy_class = models.CharField(_("准确度等级"), max_length=16, blank=True)
    last_calibrated_on = models.DateField(_("最近检定日期"), null=True, blank=True)
    installed_at = models.DateTimeField(_("安装时间"))
    removed_at = models.DateTimeField(_("拆除时间"), null=True, blank=True)
    #: Who owns (and calibrates) the meter: 水务 or 供电公司; blank: by kind (``effective_owner``). The power
    #: company's meters are never scheduled for calibration by the bureau.
    owner = models.CharField(_("产权单位"), max_length=8, blank=True, default="",
                             choices=[("water", _("水务")), ("power", _("供电公司"))])
    last_certificate_number = models.CharField(_("最近检定证书编号"), max_length=64, blank=True)
    last_error_pct = models.FloatField(_("最近示值误差（%）"), null=True, blank=True)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("计量表")
        verbose_name_plural = _("计量表")
        ordering = ["well", "kind", "-installed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    @property
    def measures_water(self) -> bool:
        return self.kind != MeterKind.ELECTRICITY

    @property
    def effective_owner(self) -> str:
        """The owner, or by default by kind: an electricity meter is the power company's (供电公司)."""
        return self.owner or ("power" if self.kind == MeterKind.ELECTRICITY else "water")

    @property
    def owned_by_power_company(self) -> bool:
        return self.effective_owner == "power"


class MeterReplacement(models.Model):
    """A meter replacement (换表): the old meter's final and the new meter's initial register.

    Usage across ``replaced_at`` is (old final − last reading before) + (first reading after − new
    initial), never the difference of the two meters' registers.
    """

    well = models.ForeignKey(Well, on_delete=models.PROTECT, related_name="meter_replacements", verbose_name=_("机井"))
    old_meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="+", verbose_name=_("旧表"))
    new_meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="+", verbose_name=_("新表"))
    replaced_at = models.DateTimeField(_("更换时间"))
    old_final_register = models.FloatField(_("旧表止码"))
    new_initial_register = models.FloatField(_("新表起码"))
    reason = models.TextField(_("原因"), blank=True)

    REGION_SCOPE = "well__region"

    class Meta:
        verbose_name = _("换表记录")
        verbose_name_plural = _("换表记录")
        ordering = ["-replaced_at"]

    def __str__(self) -> str:
        return f"{self.well.code} {self.replaced_at:%Y-%m-%d}"
