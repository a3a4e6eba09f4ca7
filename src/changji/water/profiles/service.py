"""Protocol profiles and device batches: saving, effective profile, detection, the confirmed switch.

Saving them is versioned and audited; a terminal on the wrong profile is found from its raw frames and,
once an operator confirms, switched and its readings re-decoded.

* ``save_profile`` checks the options (``options.parse_options``), bumps ``version`` on every change and keeps
  each version as a ``ProtocolProfileVersion`` row; ``save_batch`` keeps a batch's profile on its terminals'
  protocol. Both are audited.
* ``detect`` scores each terminal's recent raw frames (``Frame.raw``) under its own profile
  (``scoring.score_frames``); a terminal that does not fit is tried under every profile of its protocol and
  flagged with the one that fits (``ProfileSuggestion``).
* ``confirm_switch`` sets the terminal's profile (an override, or none when the batch's profile is the one),
  re-decodes its archived frames under it (``redecode_terminal``) and rebuilds the derived figures from the
  first day touched (daily usage, terminal days), audited with the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from changji.core import access, audit, localtime
from changji.core.access import P
from changji.core.errors import Refusal
from changji.core.scope import covers_instance
from changji.water.gateway import storage
from changji.water.gateway.records import FrameOutcome
from changji.water.gateway.storable import storable_number, storable_text
from changji.water.kpi.terminal_days import rebuild_terminal_days
from changji.water.models import (
    DeviceBatch,
    Frame,
    ProfileSuggestion,
    ProtocolProfile,
    ProtocolProfileVersion,
    SuggestionState,
    Terminal,
    Well,
)
from changji.water.profiles import scoring
from changji.water.profiles.options import Options, ProfileOptionsError, normalise, parse_options
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.reading import CANONICAL_FIELDS
from changji.water.usage.derive import rebuild_usage

PROFILE_FIELDS = ("name", "protocol", "options", "link_mode", "report_interval_s", "description")
BATCH_FIELDS = ("name", "manufacturer", "model", "firmware", "delivery_year", "profile", "planned_count", "notes")
#: Frames scored per terminal by ``detect`` (the most recent ones with raw bytes).
RECENT_FRAMES = 60
#: A terminal scoring at least this under its own profile is not tried under the others.
GOOD_ENOUGH = 0.95
CHUNK = 5000


def _actor(by: Any) -> str:
    return by.get_username() if getattr(by, "is_authenticated", False) else str(by or "system")


def _options_or_refusal(protocol: str, stored: Any) -> dict[str, Any]:
    try:
        return normalise(protocol, stored)
    except ProfileOptionsError as exc:
        raise Refusal("options", "；".join(exc.problems)) from exc


def check_profile_editor(actor: Any) -> None:
    """Refuse an account that may not change profiles or batches: ``water.profile.edit`` over the whole instance.

    Profiles and batches are prefecture-wide (they decide how every county's terminals are decoded and answered),
    so a county-bound administrator may not change them; the system (a command, the demo) may.
    """
    access.check_actor(actor, P.WATER_PROFILE_EDIT)
    if hasattr(actor, "is_authenticated") and not covers_instance(actor):
        raise PermissionDenied("规约配置与设备批次适用于全州，仅全州范围的管理员可以修改")


@transaction.atomic
def save_profile(profile: ProtocolProfile | None, values: dict[str, Any], by: Any) -> ProtocolProfile:
    """Create or change a profile; a change bumps the version and keeps the new one as a history row."""
    check_profile_editor(by)
    values = {**values, "options": _options_or_refusal(values["protocol"], values.get("options"))}
    others = ProtocolProfile.objects.filter(name=values["name"])
    if (others.exclude(pk=profile.pk) if profile is not None else others).exists():
        raise Refusal("name", f"已有名为“{values['name']}”的规约配置")
    if profile is None:
        profile = ProtocolProfile(**values)
        profile.save()
        action = "water.profile.create"
    else:
        if values["protocol"] != profile.protocol and _users(profile).exists():
            raise Refusal("protocol", "该配置已被设备批次或终端使用，不能改变规约；请新建配置")
        changed = {name: values[name] for name in PROFILE_FIELDS if getattr(profile, name) != values[name]}
        if not changed:
            return profile
        for name, value in changed.items():
            setattr(profile, name, value)
        profile.version += 1
        profile.save()
        action = "water.profile.update"
    ProtocolProfileVersion.objects.create(
        profile=profile, version=profile.version, options=profile.options, link_mode=profile.link_mode,
        report_interval_s=profile.report_interval_s, description=profile.description, valid_from=timezone.now(),
        saved_by=_actor(by),
    )
    audit.record(action, actor=by, target=profile, version=profile.version, options=profile.options,
                 link_mode=profile.link_mode, report_interval_s=profile.report_interval_s)
    return profile


def _users(profile: ProtocolProfile) -> QuerySet[Terminal]:
    return Terminal.objects.filter(Q(batch__profile=profile) | Q(profile_override=profile))


@transaction.atomic
def save_batch(batch: DeviceBatch | None, values: dict[str, Any], by: Any) -> DeviceBatch:
    """Create or change a device batch; its profile must be of its terminals' protocol."""
    check_profile_editor(by)
    profile: ProtocolProfile = values["profile"]
    others = DeviceBatch.objects.filter(name=values["name"])
    if (others.exclude(pk=batch.pk) if batch is not None else others).exists():
        raise Refusal("name", f"已有编号为“{values['name']}”的设备批次")
    if batch is not None and batch.terminals.exclude(protocol=profile.protocol).exists():
        raise Refusal("profile", f"该批次的终端不是 {profile.get_protocol_display()} 规约，不能使用此配置")
    before = {} if batch is None else {"profile": batch.profile.name, "name": batch.name}
    if batch is None:
        batch = DeviceBatch(**values)
    else:
        for name, value in values.items():
            setattr(batch, name, value)
    batch.save()
    audit.record("water.batch.save", actor=by, target=batch, before=before, profile=profile.name,
                 name=batch.name, manufacturer=batch.manufacturer, model=batch.model, firmware=batch.firmware)
    return batch


def effective_profile(terminal: Terminal) -> ProtocolProfile | None:
    """Return the profile a terminal is decoded with: its override, else its batch's (None = the default)."""
    if terminal.profile_override_id:
        return terminal.profile_override
    return terminal.batch.profile if terminal.batch is not None else None


def options_of(profile: ProtocolProfile | None, protocol: str) -> Options:
    """Return the codec options of ``profile`` (the codec defaults for None)."""
    return parse_options(protocol, profile.options if profile is not None else {})


def profile_options(name: str) -> tuple[str, Options]:
    """Return (protocol, options) of the profile called ``name`` (``changji decode --profile``); LookupError."""
    profile = ProtocolProfile.objects.filter(name=name).first()
    if profile is None:
        known = "、".join(ProtocolProfile.objects.values_list("name", flat=True)) or "（无）"
        raise LookupError(f"没有名为“{name}”的规约配置；已有：{known}")
    return profile.protocol, parse_options(profile.protocol, profile.options)


# --- detection --------------------------------------------------------------------------------------


def recent_frames(terminal: Terminal, limit: int = RECENT_FRAMES) -> list[tuple[bytes, datetime]]:
    """Return a terminal's latest archived frames with raw bytes, oldest first."""
    rows = (Frame.objects.filter(terminal=terminal).exclude(raw=b"").exclude(outcome=FrameOutcome.QUARANTINED)
            .order_by("-received_at").values_list("raw", "received_at")[:limit])
    return [(bytes(raw), received) for raw, received in reversed(list(rows))]


def detect(terminals: Iterable[Terminal] | None = None, now: datetime | None = None) -> dict[str, int]:
    """Flag terminals whose recent frames fit another profile better; return counts (scored, flagged)."""
    now = now or timezone.now()
    profiles = {p.pk: p for p in ProtocolProfile.objects.all()}
    candidates: dict[str, dict[int | None, Options]] = {}
    for protocol in ("szy206", "sl651"):
        candidates[protocol] = {None: options_of(None, protocol)}
        for pk, profile in profiles.items():
            if profile.protocol == protocol:
                candidates[protocol][pk] = options_of(profile, protocol)
    if terminals is None:
        # Not the terminals reported from below (water.sharing): their frames are the lower level's.
        terminals = Terminal.objects.filter(frames__isnull=False, reported_by="").distinct().select_related("batch")
    scored = flagged = 0
    for terminal in terminals:
        frames = recent_frames(terminal)
        if not frames:
            continue
        scored += 1
        current = terminal.profile_override_id or (terminal.batch.profile_id if terminal.batch is not None else None)
        own = candidates[terminal.protocol].get(current, candidates[terminal.protocol][None])
        if scoring.score_frames(terminal.protocol, frames, own).score >= GOOD_ENOUGH:
            continue
        found = scoring.best_fit(terminal.protocol, frames, candidates[terminal.protocol], current)
        if found is None or found[0] is None:
            continue
        key, fit, mine = found
        _flag(terminal, profiles.get(current) if current else None, profiles[key], fit, mine, now)
        flagged += 1
    return {"scored": scored, "flagged": flagged}


def _flag(terminal: Terminal, current: ProtocolProfile | None, suggested: ProtocolProfile, fit: scoring.Fit,
          mine: scoring.Fit, now: datetime) -> None:
    evidence = {"suggested": fit.evidence(), "current": mine.evidence()}
    ProfileSuggestion.objects.update_or_create(
        terminal=terminal, state=SuggestionState.OPEN,
        defaults={"current_profile": current, "suggested_profile": suggested, "score": round(fit.score, 3),
                  "current_score": round(mine.score, 3), "evidence": evidence, "created_at": now},
    )
    audit.record("water.terminal.profile_flagged", actor="profiles", target=terminal, suggested=suggested.name,
                 current=current.name if current else "", score=round(fit.score, 3),
                 current_score=round(mine.score, 3))


# --- the switch and the re-decode -------------------------------------------------------------------


@dataclass(frozen=True)
class Redecoded:
    """What a re-decode changed: frames decoded, readings written, the first local day touched."""

    frames: int
    readings: int
    first_day: date | None


def confirm_switch(suggestion: ProfileSuggestion, by: Any) -> Redecoded:
    """Switch the terminal to the suggested profile, re-decode its archive, rebuild its derived figures."""
    with transaction.atomic():
        suggestion = ProfileSuggestion.objects.select_for_update(of=("self",)).select_related(
            "terminal__batch", "suggested_profile").get(pk=suggestion.pk)
        access.check_actor(by, P.WATER_REGISTRY_EDIT, suggestion.terminal.region)
        if suggestion.state != SuggestionState.OPEN:
            raise Refusal(None, f"该建议已{suggestion.get_state_display()}，不能再确认")
        result = switch_profile(suggestion.terminal, suggestion.suggested_profile, by, rebuild=False)
        suggestion.state, suggestion.decided_at = SuggestionState.CONFIRMED, timezone.now()
        suggestion.decided_by, suggestion.readings_redecoded = _actor(by), result.readings
        suggestion.save()
    _rebuild(suggestion.terminal, result.first_day)
    return result


def dismiss(suggestion: ProfileSuggestion, by: Any) -> None:
    """Dismiss an open suggestion (the terminal keeps its profile)."""
    access.check_actor(by, P.WATER_REGISTRY_EDIT, suggestion.terminal.region)
    if suggestion.state != SuggestionState.OPEN:
        raise Refusal(None, f"该建议已{suggestion.get_state_display()}")
    suggestion.state, suggestion.decided_at, suggestion.decided_by = (
        SuggestionState.DISMISSED, timezone.now(), _actor(by))
    suggestion.save()
    audit.record("water.terminal.profile_dismissed", actor=by, target=suggestion.terminal,
                 suggested=suggestion.suggested_profile.name)


def switch_profile(terminal: Terminal, profile: ProtocolProfile, by: Any, rebuild: bool = True) -> Redecoded:
    """Put ``terminal`` on ``profile`` and re-decode its archived frames under it (audited)."""
    access.check_actor(by, P.WATER_REGISTRY_EDIT, terminal.region)
    if profile.protocol != terminal.protocol:
        raise Refusal("profile", "规约配置与终端的规约不一致")
    before = effective_profile(terminal)
    batch_profile = terminal.batch.profile_id if terminal.batch is not None else None
    terminal.profile_override = None if batch_profile == profile.pk else profile
    terminal.save(update_fields=["profile_override"])
    result = redecode_terminal(terminal, options_of(profile, terminal.protocol))
    audit.record("water.terminal.profile_switch", actor=by, target=terminal,
                 before=str(before) if before else "默认", after=str(profile), frames=result.frames,
                 readings=result.readings, first_day=result.first_day.isoformat() if result.first_day else None)
    if rebuild:
        _rebuild(terminal, result.first_day)
    return result


def _rebuild(terminal: Terminal, first_day: date | None) -> None:
    if first_day is None:
        return
    if terminal.well_id:
        rebuild_usage(first_day, Well.objects.filter(pk=terminal.well_id))
    rebuild_terminal_days(first_day, Terminal.objects.filter(pk=terminal.pk))


def redecode_terminal(terminal: Terminal, options: Options, since: datetime | None = None) -> Redecoded:
    """Decode ``terminal``'s archived frames again under ``options`` and rewrite what they said.

    Readings are upserted per (terminal, observation time) as the gateway does (a value the new decode
    gives replaces the old one; SZY206 flow and energy frames of one report merge); frames whose outcome
    changes (undecodable before, stored now, or the reverse) are updated with it.
    """
    frames = Frame.objects.filter(terminal=terminal).exclude(raw=b"").exclude(outcome=FrameOutcome.QUARANTINED)
    if since is not None:
        frames = frames.filter(received_at__gte=since)
    count = written = 0
    first: datetime | None = None
    last_id = 0
    while True:
        chunk = list(frames.filter(id__gt=last_id).order_by("id").values_list(
            "id", "raw", "received_at", "outcome", "observed_at")[:CHUNK])
        if not chunk:
            break
        last_id = chunk[-1][0]
        rows, changed = _decode_chunk(terminal, chunk, options)
        with transaction.atomic():
            if rows:
                storage.upsert_readings(rows.values())
            if changed:
                storage.update_frame_outcomes(changed)
        count += len(chunk)
        written += len(rows)
        if rows:
            earliest = min(observed for _, observed in rows)
            first = earliest if first is None else min(first, earliest)
    return Redecoded(count, written, localtime.local_day(first) if first else None)


def _decode_chunk(terminal: Terminal, chunk: list[tuple[Any, ...]], options: Options
                  ) -> tuple[dict[tuple[int, datetime], dict[str, Any]], list[tuple[int, str, str, Any]]]:
    rows: dict[tuple[int, datetime], dict[str, Any]] = {}
    changed: list[tuple[int, str, str, Any]] = []
    for frame_id, raw, received_at, outcome, observed_before in chunk:
        try:
            reading = scoring.decode_reading(terminal.protocol, bytes(raw), received_at, options)
        except ProtocolError as exc:
            if outcome == FrameOutcome.STORED:
                changed.append((frame_id, FrameOutcome.UNDECODABLE, storable_text(exc.message, 255), None))
            continue
        if reading is None or reading.observed_at is None:
            continue
        observed = reading.observed_at
        if outcome != FrameOutcome.STORED or observed_before != observed:
            changed.append((frame_id, FrameOutcome.STORED, "", observed))
        key = (terminal.pk, observed)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"terminal_id": terminal.pk, "observed_at": observed, "received_at": received_at,
                               **dict.fromkeys(CANONICAL_FIELDS), "future_dated": False, "native": {}}
        for name in CANONICAL_FIELDS:
            value = storable_number(getattr(reading, name))
            if value is not None:
                row[name] = value
        row["native"].update(reading.native)
        row["frame_id"] = frame_id
    return rows, changed
