"""The one access policy: which named actions each role may take.

docs/architecture.md ("One guard, one scoping mechanism"): what a role may do is this one table, checked
by the service functions that every page, API call, admin action and command goes through; *where* it may
do it is ``core.scope``. A permission names one action (``water.alarm.transition``), like the named
permissions of Django's ``auth`` app (``ModelBackend.has_perm``); ``ROLE_PERMISSIONS`` maps each role to
the actions it may take. A superuser may take every action (still bounded by their region, if they have one).

Views declare the permission of each route and method with ``core.guards``; the admin asks
``allows`` through ``core.admin_scope.PolicyAdmin``; service functions call ``require``. The
navigation and the buttons of every page come from ``allows`` too (the ``may`` template filter and
``core.navigation``), so a page never offers what the policy refuses. ``tests/test_access_matrix.py``
walks every route × role × method against this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied

from changji.core.models import Region, Role
from changji.core.scope import user_can_access_region


class Permission(StrEnum):
    """A named action of the platform: ``app.object.verb``."""

    # core
    ADMIN_USE = "core.admin.use"
    USER_MANAGE = "core.user.manage"
    REGION_READ = "core.region.read"
    REGION_EDIT = "core.region.edit"
    AUDIT_READ = "core.audit.read"
    JOB_READ = "core.job.read"
    NOTIFICATION_READ = "core.notification.read"
    NOTIFICATION_OUTBOX_READ = "core.notification.outbox"
    # water (井电双控)
    WATER_MONITOR_READ = "water.monitor.read"
    WATER_ALARM_READ = "water.alarm.read"
    WATER_ALARM_TRANSITION = "water.alarm.transition"
    WATER_COMMAND_READ = "water.command.read"
    WATER_COMMAND_SEND = "water.command.send"
    WATER_REPORT_READ = "water.report.read"
    WATER_QUARANTINE_READ = "water.quarantine.read"
    WATER_TERMINAL_REGISTER = "water.terminal.register"
    WATER_REGISTRY_READ = "water.registry.read"
    WATER_REGISTRY_EDIT = "water.registry.edit"
    WATER_EVIDENCE_READ = "water.evidence.read"
    WATER_ALLOCATION_READ = "water.allocation.read"
    WATER_ALLOCATION_EDIT = "water.allocation.edit"
    WATER_QUOTA_CONTROL = "water.quota.control"
    WATER_TAX_READ = "water.tax.read"
    WATER_TAX_RATE_EDIT = "water.tax_rate.edit"
    WATER_PROFILE_EDIT = "water.profile.edit"
    WATER_WORK_ORDER_READ = "water.work_order.read"
    WATER_WORK_ORDER_WORK = "water.work_order.work"
    WATER_WORK_ORDER_MANAGE = "water.work_order.manage"
    WATER_PICTURE_REVIEW = "water.picture.review"
    WATER_GROUNDWATER_EDIT = "water.groundwater.edit"
    WATER_KPI_TARGET_EDIT = "water.kpi_target.edit"
    WATER_EXCHANGE_READ = "water.exchange.read"
    WATER_EXCHANGE_MANAGE = "water.exchange.manage"
    WATER_ARCHIVE_MANAGE = "water.archive.manage"
    # services (一件事一次办)
    SERVICES_CASE_INTAKE = "services.case.intake"
    SERVICES_CERTIFICATE_PRINT = "services.certificate.print"
    SERVICES_MATERIAL_READ = "services.material.read"
    SERVICES_SUB_CASE_REVIEW = "services.sub_case.review"
    SERVICES_STATISTICS_READ = "services.statistics.read"
    SERVICES_CATALOGUE_MANAGE = "services.catalogue.manage"
    SERVICES_CENTRE_MANAGE = "services.centre.manage"
    SERVICES_QUEUE_CALL = "services.queue.call"
    SERVICES_CONSULTATION_RECORD = "services.consultation.record"
    SERVICES_INSTANT_DECIDE = "services.instant.decide"
    SERVICES_INSPECTION_RECORD = "services.inspection.record"
    # community (网格化)
    COMMUNITY_READ = "community.read"
    COMMUNITY_RESIDENT_READ = "community.resident.read"
    COMMUNITY_ISSUE_REPORT = "community.issue.report"
    COMMUNITY_ISSUE_HANDLE = "community.issue.handle"
    COMMUNITY_WISH_HANDLE = "community.wish.handle"
    COMMUNITY_ACTIVITY_RECORD = "community.activity.record"
    COMMUNITY_MEMBER_MANAGE = "community.member.manage"
    COMMUNITY_VENUE_BOOK = "community.venue.book"
    COMMUNITY_REGISTER_READ = "community.register.read"
    COMMUNITY_REGISTER_EDIT = "community.register.edit"
    COMMUNITY_MEETING_RECORD = "community.meeting.record"
    COMMUNITY_VISIT_RECORD = "community.visit.record"
    COMMUNITY_LIAISON_MANAGE = "community.liaison.manage"


P = Permission

#: What each permission lets a user do, as the pages and the README's policy table say it.
LABELS: Mapping[Permission, str] = {
    P.ADMIN_USE: "进入后台管理", P.USER_MANAGE: "管理本辖区账号（角色与辖区）", P.REGION_READ: "查看行政区划",
    P.REGION_EDIT: "维护行政区划（仅系统管理员）",
    P.AUDIT_READ: "查看审计日志", P.JOB_READ: "查看定时任务运行记录（失败与漏跑）",
    P.NOTIFICATION_READ: "查看本人消息与设置接收方式", P.NOTIFICATION_OUTBOX_READ: "查看本辖区通知发送记录",
    P.WATER_MONITOR_READ: "查看水务监测（总览、地图、机井、读数、用水、考核）", P.WATER_ALARM_READ: "查看告警",
    P.WATER_ALARM_TRANSITION: "处置告警（确认、派单、办结、误报）", P.WATER_COMMAND_READ: "查看下发指令",
    P.WATER_COMMAND_SEND: "远程控制（关泵、开泵、下发与撤销指令）", P.WATER_REPORT_READ: "查看与导出统计报表",
    P.WATER_QUARANTINE_READ: "查看未登记终端", P.WATER_TERMINAL_REGISTER: "登记终端",
    P.WATER_REGISTRY_READ: "查看机井台账", P.WATER_REGISTRY_EDIT: "维护机井台账（取水户、机井、终端、计量表）",
    P.WATER_EVIDENCE_READ: "查看原始报文、读数、抓拍与指令记录",
    P.WATER_ALLOCATION_READ: "查看取水许可、年度取水计划、用水定额与总量控制",
    P.WATER_ALLOCATION_EDIT: "维护取水许可、年度取水计划、用水定额与县级总量控制指标（含导入导出）",
    P.WATER_QUOTA_CONTROL: "设置总量控制策略，审批追加指标与临时放行",
    P.WATER_TAX_READ: "查看与导出水资源税计征表", P.WATER_TAX_RATE_EDIT: "维护水资源税税额标准",
    P.WATER_PROFILE_EDIT: "维护规约配置与设备批次（含导入导出）",
    P.WATER_WORK_ORDER_READ: "查看运维工单与运维考核",
    P.WATER_WORK_ORDER_WORK: "执行派给本人的工单（到场、完成、上传照片、检定与率定结果）",
    P.WATER_WORK_ORDER_MANAGE: "派发、审核与撤销运维工单，维护运维单位",
    P.WATER_PICTURE_REVIEW: "审阅现场图片（标记、关联告警与工单），设置定时抓拍策略",
    P.WATER_GROUNDWATER_EDIT: "维护监测井管控水位与超采区",
    P.WATER_KPI_TARGET_EDIT: "设置考核目标与设备建设计划",
    P.WATER_EXCHANGE_READ: "查看上下级数据交换状态（下级平台上报进度、积压、缺号、拒收）",
    P.WATER_EXCHANGE_MANAGE: "签发与吊销下级平台凭据，配置上级平台连接，召测原始数据，开关开放数据接口",
    P.WATER_ARCHIVE_MANAGE: "查看与归档历史分区（原始报文、读数）",
    P.SERVICES_CASE_INTAKE: "窗口受理、补正、出件", P.SERVICES_CERTIFICATE_PRINT: "打印办结凭证",
    P.SERVICES_MATERIAL_READ: "查看申请材料", P.SERVICES_SUB_CASE_REVIEW: "部门审批分办件",
    P.SERVICES_STATISTICS_READ: "查看办件统计",
    P.SERVICES_CATALOGUE_MANAGE: "维护事项目录（部门与审批人员、材料、事项、一件事的版本与发布，含导入导出）",
    P.SERVICES_CENTRE_MANAGE: "管理服务大厅（窗口、叫号、窗口即办授权）",
    P.SERVICES_QUEUE_CALL: "窗口叫号", P.SERVICES_CONSULTATION_RECORD: "登记与查看咨询导办",
    P.SERVICES_INSTANT_DECIDE: "窗口即办审批（须经部门授权）", P.SERVICES_INSPECTION_RECORD: "记录现场勘察",
    P.COMMUNITY_READ: "查看网格治理", P.COMMUNITY_RESIDENT_READ: "查看居民（脱敏）与导出",
    P.COMMUNITY_ISSUE_REPORT: "代居民登记诉求", P.COMMUNITY_ISSUE_HANDLE: "办理居民诉求",
    P.COMMUNITY_WISH_HANDLE: "办理微心愿", P.COMMUNITY_ACTIVITY_RECORD: "记录微行动",
    P.COMMUNITY_MEMBER_MANAGE: "党员报到、岗位、共建单位与积分", P.COMMUNITY_VENUE_BOOK: "预约阵地",
    P.COMMUNITY_REGISTER_READ: "查看社区台账",
    P.COMMUNITY_REGISTER_EDIT: "维护社区台账（小区、楼栋、住户、居民、规则）",
    P.COMMUNITY_MEETING_RECORD: "记录四方联动会议、居民会议（凉亭会、恳谈会）与议定事项",
    P.COMMUNITY_VISIT_RECORD: "记录入户走访，维护关爱户",
    P.COMMUNITY_LIAISON_MANAGE: "维护包联（领导、干部、共建单位）与网格党组织",
}

_WATER_READ = frozenset({P.WATER_MONITOR_READ, P.WATER_ALARM_READ, P.WATER_COMMAND_READ, P.WATER_REPORT_READ,
                         P.WATER_ALLOCATION_READ, P.WATER_WORK_ORDER_READ})
_WATER_OPERATE = _WATER_READ | {
    P.WATER_ALARM_TRANSITION, P.WATER_COMMAND_SEND, P.WATER_QUARANTINE_READ, P.WATER_TERMINAL_REGISTER,
    P.WATER_REGISTRY_READ, P.WATER_REGISTRY_EDIT, P.WATER_EVIDENCE_READ, P.WATER_ALLOCATION_EDIT,
    P.WATER_QUOTA_CONTROL, P.WATER_TAX_READ, P.WATER_WORK_ORDER_WORK, P.WATER_WORK_ORDER_MANAGE,
    P.WATER_PICTURE_REVIEW, P.WATER_GROUNDWATER_EDIT,
}
#: Every account reads its own inbox and chooses how it is told.
_EVERYONE = frozenset({P.NOTIFICATION_READ})
_COMMUNITY_READ = frozenset({P.COMMUNITY_READ, P.COMMUNITY_RESIDENT_READ})
_COMMUNITY_WORK = _COMMUNITY_READ | {
    P.COMMUNITY_ISSUE_REPORT, P.COMMUNITY_ISSUE_HANDLE, P.COMMUNITY_WISH_HANDLE, P.COMMUNITY_ACTIVITY_RECORD,
    P.COMMUNITY_MEMBER_MANAGE, P.COMMUNITY_VENUE_BOOK, P.COMMUNITY_MEETING_RECORD, P.COMMUNITY_VISIT_RECORD,
}
_COMMUNITY_REGISTERS = frozenset({P.ADMIN_USE, P.REGION_READ, P.COMMUNITY_REGISTER_READ, P.COMMUNITY_REGISTER_EDIT,
                                  P.COMMUNITY_LIAISON_MANAGE})

#: The policy: the actions each role may take. Where it may take them is ``core.scope`` (the account's region).
ROLE_PERMISSIONS: Mapping[str, frozenset[Permission]] = {
    # 州级管理员: the administrator of their region (prefecture, or a county when bound to one).
    Role.PREFECTURE_ADMIN: _WATER_OPERATE | _COMMUNITY_WORK | _COMMUNITY_REGISTERS | {
        P.USER_MANAGE, P.AUDIT_READ, P.JOB_READ, P.SERVICES_STATISTICS_READ,
        P.WATER_TAX_RATE_EDIT, P.WATER_PROFILE_EDIT, P.WATER_KPI_TARGET_EDIT, P.NOTIFICATION_OUTBOX_READ,
        P.WATER_EXCHANGE_READ, P.WATER_EXCHANGE_MANAGE, P.WATER_ARCHIVE_MANAGE} | _EVERYONE,
    # 县级操作员: runs the county's wells (commands, alarms, registry) and oversees its services and communities.
    Role.COUNTY_OPERATOR: _WATER_OPERATE | _COMMUNITY_WORK | _COMMUNITY_REGISTERS | {
        P.AUDIT_READ, P.SERVICES_STATISTICS_READ, P.NOTIFICATION_OUTBOX_READ, P.WATER_EXCHANGE_READ} | _EVERYONE,
    # 乡镇查看员: looks at water and community figures of the township, changes nothing.
    Role.TOWNSHIP_VIEWER: _WATER_READ | _COMMUNITY_READ | _EVERYONE,
    # 运维人员: field crews see the wells and their alarms and record what they found on site.
    Role.MAINTENANCE_WORKER: frozenset({P.WATER_MONITOR_READ, P.WATER_ALARM_READ, P.WATER_ALARM_TRANSITION,
                                        P.WATER_COMMAND_READ, P.WATER_WORK_ORDER_READ,
                                        P.WATER_WORK_ORDER_WORK}) | _EVERYONE,
    # 窗口受理员: the service centre's front desk.
    Role.WINDOW_CLERK: frozenset({P.SERVICES_CASE_INTAKE, P.SERVICES_CERTIFICATE_PRINT, P.SERVICES_MATERIAL_READ,
                                  P.SERVICES_STATISTICS_READ, P.SERVICES_QUEUE_CALL, P.SERVICES_CONSULTATION_RECORD,
                                  P.SERVICES_INSTANT_DECIDE, P.SERVICES_INSPECTION_RECORD}) | _EVERYONE,
    # 部门审批员: reviews the sub-cases of the departments that list them (services.cases.for_reviewer).
    Role.DEPARTMENT_REVIEWER: frozenset({P.SERVICES_SUB_CASE_REVIEW, P.SERVICES_MATERIAL_READ,
                                         P.SERVICES_INSPECTION_RECORD}) | _EVERYONE,
    # 政务服务中心管理员: keeps the catalogue, the hall (windows, queue, 即办 delegations) and reads the figures.
    Role.SERVICE_CENTRE_ADMIN: frozenset({P.SERVICES_CATALOGUE_MANAGE, P.SERVICES_CENTRE_MANAGE,
                                          P.SERVICES_STATISTICS_READ, P.SERVICES_CONSULTATION_RECORD,
                                          P.AUDIT_READ, P.NOTIFICATION_OUTBOX_READ}) | _EVERYONE,
    # 网格员: works the grid: issues, wishes, activities; the community-level steps are refused by the services.
    Role.GRID_WORKER: _COMMUNITY_WORK | _EVERYONE,
    # 社区工作者 and 街道（乡镇）干部: the same work at their rung, and the community registers in the admin.
    Role.COMMUNITY_WORKER: _COMMUNITY_WORK | _COMMUNITY_REGISTERS | _EVERYONE,
    Role.STREET_OFFICER: _COMMUNITY_WORK | _COMMUNITY_REGISTERS | _EVERYONE,
}


def permissions_of(user: Any) -> frozenset[Permission]:
    """Return every action ``user`` may take (none for anonymous or inactive accounts)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset(Permission)
    return ROLE_PERMISSIONS.get(getattr(user, "role", ""), frozenset())


def allows(user: Any, permission: Permission | str) -> bool:
    """Return True when the policy lets ``user`` take the action ``permission``."""
    return Permission(permission) in permissions_of(user)


def require(user: Any, permission: Permission | str) -> None:
    """Raise ``PermissionDenied`` (403, with a Chinese message) unless ``user`` may take ``permission``."""
    if not allows(user, permission):
        raise PermissionDenied(f"当前账号无权{LABELS[Permission(permission)]}")


def check_actor(actor: Any, permission: Permission | str, region: Region | None = None) -> None:
    """Refuse a service call by an account that may not take ``permission`` (on ``region``, when given).

    Service functions call this first, so a page, an API call, an admin action and a command all meet the
    same guard. An actor that is not an account (a job or a command run on the server, named by a string)
    acts for the system and is not refused.
    """
    if not hasattr(actor, "is_authenticated"):
        return
    require(actor, permission)
    if region is not None and not user_can_access_region(actor, region):
        raise PermissionDenied("不在您的管辖范围内")


def roles_with(permission: Permission | str) -> frozenset[str]:
    """Return the roles that may take ``permission`` (superusers always may)."""
    return frozenset(role for role, granted in ROLE_PERMISSIONS.items() if Permission(permission) in granted)


def policy_table() -> str:
    """Return the policy as a Markdown table (permission × role), as the README's security section shows it."""
    roles = list(Role)
    head = "| 权限 | 说明 | " + " | ".join(str(role.label) for role in roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [f"| `{p.value}` | {LABELS[p]} | " + " | ".join("✓" if p in ROLE_PERMISSIONS[r] else "" for r in roles)
            + " |" for p in Permission]
    return "\n".join([head, rule, *rows])
