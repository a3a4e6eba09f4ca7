"""Admin pages of the water app: the administrators' registry maintenance and evidence views.

Every page is region scoped (core.admin_scope). Frames, readings, snapshots and commands are
evidence: read-only here. Quarantined terminals are registered in one step with an action.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from changji.core.admin_scope import ReadOnlyAdmin, RegionScopedAdmin

from .models import (
    Command,
    Frame,
    Meter,
    MeterReplacement,
    QuarantinedTerminal,
    Reading,
    Snapshot,
    Terminal,
    WaterUser,
    Well,
)
from .registry import register_quarantined


class TerminalInline(admin.TabularInline):
    model = Terminal
    extra = 0
    fields = ["protocol", "address", "report_interval_s", "installed_on", "last_seen_at"]
    readonly_fields = ["last_seen_at"]


class MeterInline(admin.TabularInline):
    model = Meter
    extra = 0
    fields = ["kind", "serial", "accuracy_class", "last_calibrated_on", "installed_at", "removed_at"]


@admin.register(WaterUser)
class WaterUserAdmin(RegionScopedAdmin):
    list_display = ["code", "name", "kind", "licence_number", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name", "licence_number"]


@admin.register(Well)
class WellAdmin(RegionScopedAdmin):
    list_display = ["code", "name", "kind", "use", "region", "water_user", "pump_rated_power_kw"]
    list_filter = ["kind", "use", "region"]
    search_fields = ["code", "name"]
    raw_id_fields = ["water_user"]
    inlines = [TerminalInline, MeterInline]


@admin.register(Terminal)
class TerminalAdmin(RegionScopedAdmin):
    list_display = ["address", "protocol", "well", "region", "report_interval_s", "last_seen_at", "batch"]
    list_filter = ["protocol", "region", "batch"]
    search_fields = ["address", "well__code", "well__name"]
    raw_id_fields = ["well"]
    readonly_fields = ["last_seen_at", "last_peer"]


@admin.register(Meter)
class MeterAdmin(RegionScopedAdmin):
    list_display = ["serial", "kind", "well", "accuracy_class", "last_calibrated_on", "installed_at", "removed_at"]
    list_filter = ["kind"]
    search_fields = ["serial", "well__code"]
    raw_id_fields = ["well"]


@admin.register(MeterReplacement)
class MeterReplacementAdmin(ReadOnlyAdmin):
    list_display = ["well", "replaced_at", "old_meter", "old_final_register", "new_meter", "new_initial_register"]
    search_fields = ["well__code"]


@admin.register(Frame)
class FrameAdmin(ReadOnlyAdmin):
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
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ["terminal", "observed_at", "flow_m3h", "volume_m3", "energy_kwh", "depth_m", "pump_on",
                    "door_open"]
    search_fields = ["terminal__address"]
    date_hierarchy = "observed_at"
    show_full_result_count = False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["terminal", "observed_at", "size_bytes", "image"]
    search_fields = ["terminal__address"]


@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "terminal", "kind", "state", "requested_by_name", "attempts", "finished_at"]
    list_filter = ["state", "kind"]
    search_fields = ["terminal__address", "reason"]


@admin.register(QuarantinedTerminal)
class QuarantinedTerminalAdmin(admin.ModelAdmin):
    """Terminals that reported without being registered; register them in one step."""

    list_display = ["address", "protocol", "frame_count", "first_seen_at", "last_seen_at", "last_peer"]
    search_fields = ["address"]
    actions = ["register"]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    @admin.action(description=_("登记所选终端"))
    def register(self, request, queryset):  # noqa: ANN001
        done = 0
        for quarantined in queryset:
            try:
                register_quarantined(quarantined, request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        self.message_user(request, f"已登记 {done} 个终端", messages.SUCCESS)
