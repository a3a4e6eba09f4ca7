"""Admin pages of the core: regions, accounts, the audit log and job runs, under the access policy and region scope.

Accounts are managed by the administrators of a region (``core.user.manage``): they see and edit the
accounts of their region only, assign a role and a region within their own region (never above it), and
never touch a superuser; only an unbounded superuser grants superuser rights. Django's groups and
per-user permissions are not offered: what a role may do is ``core.access``. Role and region changes are
audited (``core.user.role``).
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from changji.core import audit, jobs
from changji.core.access import P
from changji.core.admin_scope import InstanceWideAdmin, PolicyAdmin, ReadOnlyAdmin, RegionScopedAdmin
from changji.core.localtime import SHANGHAI
from changji.core.models import AuditEntry, JobRun, Region, User
from changji.core.scope import covers_instance, region_of

admin.site.unregister(Group)
for _axes_model in (AccessAttempt, AccessLog, AccessFailureLog):  # re-registered below, under the policy
    admin.site.unregister(_axes_model)


@admin.register(Region)
class RegionAdmin(RegionScopedAdmin):
    read_permission = P.REGION_READ
    edit_permission = P.REGION_EDIT
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]


def _unbounded(request: HttpRequest) -> bool:
    return region_of(request.user) is None


@admin.register(User)
class UserAdmin(RegionScopedAdmin, BaseUserAdmin):
    read_permission = P.USER_MANAGE
    edit_permission = P.USER_MANAGE
    list_display = ["username", "last_name", "first_name", "role", "region", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "phone"]
    autocomplete_fields = ["region"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "role",
                                                              "region", "phone")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        users = super().get_queryset(request)
        return users if _unbounded(request) else users.filter(is_superuser=False)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        account = ("平台", {"fields": ("role", "region", "phone", "is_active")})
        personal = ("个人信息", {"fields": ("first_name", "last_name", "email")})
        extra = (("超级用户", {"fields": ("is_superuser",)}),) if _unbounded(request) else ()
        return ((None, {"fields": ("username", "password")}), personal, account, *extra,
                ("重要日期", {"fields": ("last_login", "date_joined")}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("last_login", "date_joined")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not _unbounded(request) and "region" in form.base_fields:
            form.base_fields["region"].required = True  # a bounded administrator's accounts stay in view
        return form

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        before = User.objects.filter(pk=obj.pk).values("role", "region_id").first() if change else None
        super().save_model(request, obj, form, change)
        after = {"role": obj.role, "region_id": obj.region_id}
        if before != after:
            audit.record("core.user.role", actor=request.user, target=obj, region=obj.region,
                         before=before, after=after)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    read_permission = P.AUDIT_READ
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "region"]
    list_filter = ["action"]
    search_fields = ["actor_name", "object_id", "reason"]


class SignInRecordsAdmin(InstanceWideAdmin):
    """django-axes' sign-in records, seen only by an administrator whose region covers the whole instance.

    They hold usernames and addresses of every county; deleting a failed-attempt row lifts that lockout.
    """

    read_permission = P.USER_MANAGE

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return covers_instance(request.user) and super().has_view_permission(request, obj)


@admin.register(AccessAttempt)
class LockoutAdmin(SignInRecordsAdmin, AccessAttemptAdmin):
    edit_permission = P.USER_MANAGE
    addable = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a lockout is lifted by deleting it, never edited


@admin.register(AccessLog)
class SignInLogAdmin(SignInRecordsAdmin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class SignInFailureLogAdmin(SignInRecordsAdmin, AccessFailureLogAdmin):
    pass


@admin.register(JobRun)
class JobRunAdmin(PolicyAdmin):
    """定时任务运行记录: every run of every recurring job (``core.jobs``), read-only, above it each job's state.

    The list shows each run's state, attempts and error; the overview above it shows every registered job
    with its last run and last success, so a failed job and a missed one (no run of a period that should have
    run) stand out. Runs belong to the whole instance, so only an administrator whose region covers it sees
    them; nobody adds, changes or deletes a run here (``changji jobs --retry`` runs a failed period again).
    """

    read_permission = P.JOB_READ
    list_display = ["job", "period", "local_period", "state", "attempts", "started_at", "finished_at", "error_line"]
    list_filter = ["state", "period", "job"]
    search_fields = ["job", "error"]
    ordering = ["-period_start", "job"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return covers_instance(request.user) and super().has_view_permission(request, obj)

    @admin.display(description="周期（北京时间）", ordering="period_start")
    def local_period(self, run: JobRun) -> str:
        return f"{run.period_start.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"

    @admin.display(description="错误")
    def error_line(self, run: JobRun) -> str:
        return run.error.splitlines()[0][:120] if run.error else ""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "job_overview": jobs.overview()})
