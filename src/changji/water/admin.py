"""Admin pages of the water app: the administrators' registry maintenance and evidence views.

Every page is region scoped and its permissions come from the access policy (core.admin_scope).
Frames, readings, snapshots and commands are evidence: read-only here. Quarantined terminals are
registered in one step with an action; wells and water users can be imported from an XLSX workbook
(``registry_import``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from changji.core.access import P, allows
from changji.core.admin_scope import PolicyInline, ReadOnlyAdmin, RegionScopedAdmin
from changji.core.uploads import UploadError, check_size
from changji.water.models import (
    Allocation,
    AllocationChange,
    Command,
    Frame,
    Licence,
    Meter,
    MeterReplacement,
    QuarantinedTerminal,
    Reading,
    Snapshot,
    Terminal,
    WaterUser,
    Well,
)
from changji.water.registry.service import register_quarantined
from changji.water.registry.xlsx_import import WorkbookError, import_registry, template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RegistryAdmin(RegionScopedAdmin):
    """The well registry: seen by those who may read it, kept by those who may edit it (core.access)."""

    read_permission = P.WATER_REGISTRY_READ
    edit_permission = P.WATER_REGISTRY_EDIT


class EvidenceAdmin(ReadOnlyAdmin):
    """What terminals sent and what was sent to them: read-only evidence."""

    read_permission = P.WATER_EVIDENCE_READ


class TerminalInline(PolicyInline):
    model = Terminal
    extra = 0
    fields = ["protocol", "address", "report_interval_s", "installed_on", "last_seen_at"]
    readonly_fields = ["last_seen_at"]


class MeterInline(PolicyInline):
    model = Meter
    extra = 0
    fields = ["kind", "serial", "accuracy_class", "last_calibrated_on", "installed_at", "removed_at"]


@admin.register(WaterUser)
class WaterUserAdmin(RegistryAdmin):
    list_display = ["code", "name", "kind", "licence_number", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name", "licence_number"]


class RegistryImportForm(forms.Form):
    workbook = forms.FileField(label=_("XLSX 工作簿"), help_text=_("工作表「取水户」与「机井」，表头见模板"))

    def clean_workbook(self) -> object:
        """Refuse an upload over the size cap before it is read into memory."""
        upload = self.cleaned_data["workbook"]
        try:
            check_size(upload.size)
        except UploadError as error:
            raise ValidationError(str(error)) from error
        return upload


@admin.register(Well)
class WellAdmin(RegistryAdmin):
    list_display = ["code", "name", "kind", "use", "region", "water_user", "pump_rated_power_kw"]
    list_filter = ["kind", "use", "region"]
    search_fields = ["code", "name"]
    raw_id_fields = ["water_user"]
    inlines = [TerminalInline, MeterInline]
    change_list_template = "admin/water/well/change_list.html"

    def get_urls(self):  # noqa: ANN201
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="water_well_import"),
            path("import/template.xlsx", self.admin_site.admin_view(self.template_view),
                 name="water_well_import_template"),
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Bulk import of water users and wells: all rows or none, every error listed (registry_import)."""
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = RegistryImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                result = import_registry(form.cleaned_data["workbook"].read(), request.user)
            except WorkbookError as error:
                errors = [str(error)]
            else:
                errors = result.errors
                if not errors:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return redirect("admin:water_well_changelist")
        context = {**self.admin_site.each_context(request), "title": _("批量导入取水户与机井"), "form": form,
                   "errors": errors, "opts": self.model._meta}
        refused = bool(errors) or (request.method == "POST" and bool(form.errors))
        return TemplateResponse(request, "admin/water/well/import.html", context, status=400 if refused else 200)

    def template_view(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="registry-template.xlsx"'
        return response


@admin.register(Terminal)
class TerminalAdmin(RegistryAdmin):
    list_display = ["address", "protocol", "well", "region", "report_interval_s", "last_seen_at", "batch",
                    "profile_override"]
    list_filter = ["protocol", "region", "batch", "profile_override"]
    search_fields = ["address", "well__code", "well__name"]
    raw_id_fields = ["well"]
    #: The per-terminal profile is set only by a confirmed 规约不符 switch (``water.profiles.service``).
    readonly_fields = ["last_seen_at", "last_peer", "profile_override"]


@admin.register(Meter)
class MeterAdmin(RegistryAdmin):
    list_display = ["serial", "kind", "well", "accuracy_class", "last_calibrated_on", "installed_at", "removed_at"]
    list_filter = ["kind"]
    search_fields = ["serial", "well__code"]
    raw_id_fields = ["well"]


@admin.register(MeterReplacement)
class MeterReplacementAdmin(ReadOnlyAdmin):
    read_permission = P.WATER_REGISTRY_READ

    list_display = ["well", "replaced_at", "old_meter", "old_final_register", "new_meter", "new_initial_register"]
    search_fields = ["well__code"]


@admin.register(Licence)
class LicenceAdmin(RegionScopedAdmin):
    """取水许可证 of the user's region, to look up; every change goes through the licence pages.

    A licence changes only through ``water.licences.service`` (``save_licence``, ``transition_licence``), which
    validates wells and terms and writes the audit entries the licence's history is read from; the admin's own
    forms would bypass both, so it neither adds, changes nor deletes (``/water/licences/`` does).
    """

    read_permission = P.WATER_ALLOCATION_READ
    edit_permission = P.WATER_ALLOCATION_EDIT
    addable = False
    list_display = ["number", "water_user", "source", "purpose", "permitted_m3_per_year", "valid_from", "valid_to",
                    "state", "region"]
    list_filter = ["state", "source", "purpose", "region"]
    search_fields = ["number", "water_user__code", "water_user__name", "issuing_authority"]
    date_hierarchy = "valid_to"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Frame)
class FrameAdmin(EvidenceAdmin):
    list_display = ["received_at", "protocol", "address", "function", "outcome", "observed_at", "peer"]
    list_filter = ["outcome", "protocol", "function"]
    search_fields = ["address"]
    readonly_fields = ["raw_hex"]
    exclude = ["raw"]
    date_hierarchy = "received_at"
    show_full_result_count = False

    @admin.display(description=_("原始字节（十六进制）"))
    def raw_hex(self, frame: Frame) -> str:
        return bytes(frame.raw).hex().upper()


@admin.register(Reading)
class ReadingAdmin(EvidenceAdmin):
    list_display = ["terminal", "observed_at", "flow_m3h", "volume_m3", "energy_kwh", "depth_m", "pump_on",
                    "door_open"]
    search_fields = ["terminal__address"]
    date_hierarchy = "observed_at"
    show_full_result_count = False


@admin.register(Snapshot)
class SnapshotAdmin(EvidenceAdmin):
    list_display = ["terminal", "observed_at", "size_bytes", "image"]
    search_fields = ["terminal__address"]


@admin.register(Command)
class CommandAdmin(EvidenceAdmin):
    list_display = ["created_at", "terminal", "kind", "state", "requested_by_name", "attempts", "finished_at"]
    list_filter = ["state", "kind"]
    search_fields = ["terminal__address", "reason"]


@admin.register(QuarantinedTerminal)
class QuarantinedTerminalAdmin(RegionScopedAdmin):
    """Terminals that reported without being registered, of the user's region; register them in one step."""

    read_permission = P.WATER_QUARANTINE_READ
    list_display = ["address", "protocol", "region", "frame_count", "first_seen_at", "last_seen_at", "last_peer"]
    search_fields = ["address"]
    actions = ["register"]

    def has_register_permission(self, request: HttpRequest) -> bool:
        return allows(request.user, P.WATER_TERMINAL_REGISTER)

    @admin.action(description=_("登记所选终端"), permissions=["register"])
    def register(self, request, queryset):  # noqa: ANN001
        done = 0
        for quarantined in queryset:
            try:
                register_quarantined(quarantined, request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        self.message_user(request, f"已登记 {done} 个终端", messages.SUCCESS)


class AllocationChangeInline(PolicyInline):
    """The recharges and 追加指标 of an allocation: appended by the quota service, shown here, never edited."""

    model = AllocationChange
    extra = 0
    fields = ("at", "amount_m3", "reason", "by_name")
    readonly_fields = ("at", "amount_m3", "reason", "by_name")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    """Allocations are derived from the annual plans and county targets (water.plans.allocations): read-only."""

    read_permission = P.WATER_ALLOCATION_READ
    list_display = ["year", "well", "water_user", "region", "allocation_m3", "plan", "level_reached",
                    "stopped_by_quota", "note"]
    list_filter = ["year", "stopped_by_quota"]
    search_fields = ["well__code", "water_user__code", "region__code"]
    inlines = [AllocationChangeInline]
from changji.water.norms import admin as _norms_admin  # noqa: E402,F401  (用水定额 and 种植计划 admins)
from changji.water.orders import admin as orders_admin  # noqa: E402,F401  (registers the O&M contractor tables)
from changji.water.tax import admin as tax_admin  # noqa: E402,F401  (registers the tax tables)
