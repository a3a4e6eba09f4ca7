"""Platform accounts: every user has a role and a region that bounds what they see and do."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user does on the platform. Region scope is separate: see ``User.region``."""

    PREFECTURE_ADMIN = "prefecture_admin", _("州级管理员")
    COUNTY_OPERATOR = "county_operator", _("县级操作员")
    TOWNSHIP_VIEWER = "township_viewer", _("乡镇查看员")
    MAINTENANCE_WORKER = "maintenance_worker", _("运维人员")
    WINDOW_CLERK = "window_clerk", _("窗口受理员")
    DEPARTMENT_REVIEWER = "department_reviewer", _("部门审批员")
    SERVICE_CENTRE_ADMIN = "service_centre_admin", _("政务服务中心管理员")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    STREET_OFFICER = "street_officer", _("街道（乡镇）干部")


class User(AbstractUser):
    """A platform account (用户). Superusers without a region see everything."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.TOWNSHIP_VIEWER)
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        verbose_name=_("管辖区划"),
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    REGION_SCOPE = "region"

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
