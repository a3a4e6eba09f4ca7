"""The only ways a licence changes: ``save_licence`` (register or edit) and ``transition_licence`` (its state).

Both check the actor against the access policy first (``water.allocation.edit`` within the licence's region,
``core.access.check_actor``; a job or command named by a string acts for the system), refuse with Django's
``ValidationError`` keyed by the field at fault (pages and the API answer 400, nothing changes), and write the
audit entry the licence's history is read from:

* ``water.licence.create`` — every field of the new licence;
* ``water.licence.update`` — ``changed``: each changed field as ``[before, after]`` (an edit changing nothing
  writes nothing);
* ``water.licence.<state>`` (``valid``, ``suspended``, ``revoked``, ``expired``) — ``from_state``, ``to_state``,
  the reason in ``reason``.

Rules beyond the model's own (decided here, the issue being silent):

* the water user and every well must lie within the actor's region; the wells must be the water user's own
  extraction wells;
* the water user of a licence does not change after registration (a transfer, 取水权转让, is a new licence);
* a well belongs to at most one living (valid or suspended) licence of the same source whose term overlaps
  (checked when a living licence is saved and when an expired one is renewed);
* a new licence starts valid; its state then changes only through ``transition_licence``;
* moving ``valid_to`` forgets the expiry warnings already given, so a renewed licence is warned again.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from changji.core import access, audit
from changji.core.access import P
from changji.core.localtime import today
from changji.core.scope import user_can_access_region
from changji.core.transitions import TransitionError, check_transition
from changji.water.licences.states import LIVING_STATES, TABLE, State
from changji.water.models import AnnualPlan, Licence, LicenceState, WaterUser, Well, WellKind
from changji.water.plans.allocations import derive_allocations

#: The fields ``save_licence`` takes (``wells``: the Well objects attached).
FIELDS = ("number", "water_user", "source", "purpose", "permitted_m3_per_year", "valid_from", "valid_to",
          "issuing_authority", "wells")
#: The labels of the fields, for messages naming an import's column or a form's field.
FIELD_LABELS = {
    "number": "许可证编号", "water_user": "取水权人", "source": "水源类型", "purpose": "取水用途",
    "permitted_m3_per_year": "许可年取水量", "valid_from": "有效期起", "valid_to": "有效期止",
    "issuing_authority": "发证机关", "wells": "取水井", "state": "状态",
}


def audit_value(field: str, value: Any) -> Any:
    """A field's value as the audit log keeps it (JSON): a date as ISO text, a water user as its code."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, WaterUser):
        return value.code
    return value


def licence_values(licence: Licence) -> dict[str, Any]:
    """The licence's fields as the audit log keeps them (wells as their sorted codes)."""
    values = {name: audit_value(name, getattr(licence, name)) for name in FIELDS if name != "wells"}
    values["wells"] = sorted(well.code for well in licence.wells.all()) if licence.pk else []
    return values


def _check_numbers(data: Mapping[str, Any], errors: dict[str, str]) -> None:
    volume = data.get("permitted_m3_per_year")
    if not isinstance(volume, (int, float)) or isinstance(volume, bool) or not math.isfinite(volume):
        errors["permitted_m3_per_year"] = "许可年取水量必须是数字"
    elif volume < 0:
        errors["permitted_m3_per_year"] = "许可年取水量不能为负数"
    start, end = data.get("valid_from"), data.get("valid_to")
    if not isinstance(start, date):
        errors["valid_from"] = "请填写有效期起"
    if not isinstance(end, date):
        errors["valid_to"] = "请填写有效期止"
    elif isinstance(start, date) and end < start:
        errors["valid_to"] = "有效期止不能早于有效期起"


def _check_wells(data: Mapping[str, Any], licence: Licence | None, by: Any, errors: dict[str, str]) -> None:
    """The wells must be the water user's extraction wells in scope, none held by another living licence."""
    user, wells = data["water_user"], list(data.get("wells") or [])
    problems = []
    for well in wells:
        if well.water_user_id != user.pk or well.kind != WellKind.EXTRACTION:
            problems.append(f"{well.code} 不是该取水权人的取水井")
        elif hasattr(by, "is_authenticated") and not user_can_access_region(by, well.region):
            problems.append(f"{well.code} 不在您的管辖范围内")
    if problems:
        errors["wells"] = "；".join(problems)
        return
    start, end = data.get("valid_from"), data.get("valid_to")
    if licence is not None and licence.state not in LIVING_STATES:
        return  # a revoked or expired licence holds no well; its renewal is checked by transition_licence
    if wells and isinstance(start, date) and isinstance(end, date):
        held = _held_elsewhere(wells, data.get("source"), start, end, licence.pk if licence else None)
        if held:
            errors["wells"] = held


def _held_elsewhere(wells: Iterable[Well], source: Any, start: date, end: date, own: int | None) -> str | None:
    """Why some of ``wells`` cannot be licensed from ``start`` to ``end``: a living licence of the source has them."""
    held = (Licence.objects.filter(wells__in=list(wells), source=source, state__in=LIVING_STATES,
                                   valid_from__lte=end, valid_to__gte=start)
            .exclude(pk=own or 0).values_list("wells__code", "number"))
    if not held:
        return None
    listed = "、".join(sorted({f"{code}（已属许可证 {number}）" for code, number in held}))
    return f"同一水源、有效期重叠的有效许可证已包含这些机井：{listed}"


def validate_licence(data: Mapping[str, Any], by: Any, licence: Licence | None = None) -> dict[str, str]:
    """Every problem of ``data`` (field → Chinese message); empty when ``save_licence`` would accept it.

    Raises ``PermissionDenied`` when ``by`` may not edit licences of the water user's (or the licence's) region.
    """
    user = data.get("water_user")
    if not isinstance(user, WaterUser):
        return {"water_user": "请选择取水权人"}
    access.check_actor(by, P.WATER_ALLOCATION_EDIT, user.region)
    if licence is not None and licence.pk:
        access.check_actor(by, P.WATER_ALLOCATION_EDIT, licence.region)
    errors: dict[str, str] = {}
    if licence is not None and licence.pk and licence.water_user_id != user.pk:
        errors["water_user"] = "许可证登记后不能更换取水权人（取水权转让请另行登记新证）"
    number = str(data.get("number") or "").strip()
    if not number:
        errors["number"] = "请填写许可证编号"
    elif len(number) > 64:
        errors["number"] = "许可证编号不能超过 64 个字符"
    elif Licence.objects.filter(number=number).exclude(pk=licence.pk if licence else 0).exists():
        errors["number"] = f"许可证编号 {number} 已存在"
    _check_numbers(data, errors)
    candidate = _apply(copy.copy(licence) if licence is not None else Licence(), data)
    try:
        candidate.full_clean(exclude=["region", "wells", "water_user", "state", "number"], validate_unique=False,
                             validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, "；".join(messages))
    if "wells" not in errors:
        _check_wells(data, licence, by, errors)
    return errors


def _apply(licence: Licence, data: Mapping[str, Any]) -> Licence:
    for name in FIELDS:
        if name != "wells" and name in data:
            value = data[name]
            setattr(licence, name, value.strip() if isinstance(value, str) else value)
    return licence


@transaction.atomic
def save_licence(data: Mapping[str, Any], by: Any, licence: Licence | None = None) -> Licence:
    """Register a licence (``licence`` None) or edit one with ``data`` (``FIELDS``); audited.

    Raises ``ValidationError`` keyed by the field at fault (every problem at once), ``PermissionDenied`` for an
    actor who may not edit licences in the region.
    """
    if licence is not None:
        licence = Licence.objects.select_for_update().get(pk=licence.pk)
    errors = validate_licence(data, by, licence)
    if errors:
        raise ValidationError(errors)
    before = licence_values(licence) if licence is not None else None
    created = licence is None
    licence = _apply(licence or Licence(state=LicenceState.VALID), data)
    if before is not None:
        preview = {name: audit_value(name, getattr(licence, name)) for name in FIELDS if name != "wells"}
        preview["wells"] = sorted(w.code for w in data["wells"]) if "wells" in data else before["wells"]
        if preview == before:
            return licence  # nothing changed: nothing saved, nothing audited
        if before["valid_to"] != preview["valid_to"]:
            licence.expiry_warned_days = None
    licence.save()
    if "wells" in data:
        licence.wells.set(list(data["wells"]))
    after = licence_values(licence)
    if created:
        audit.record("water.licence.create", actor=by, target=licence, **after)
    else:
        assert before is not None
        changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        if changed:
            audit.record("water.licence.update", actor=by, target=licence, changed=changed)
    _rederive(licence, by)
    return licence


def _rederive(licence: Licence, by: Any) -> None:
    """Re-derive the allocations of every year the licence has a plan for: its wells, state or volume may have changed.

    A suspended or revoked licence's wells fall to 0 m³ from this year on (``water.plans.allocations``), so the
    quota sweep treats further pumping as over quota; reinstating it restores their shares. An expired licence's
    plan stands for the years its term reached into.
    """
    # Past years are closed: their quota and their tax stand as they were.
    years = AnnualPlan.objects.filter(licence=licence, year__gte=today().year).values_list("year", flat=True)
    for year in years.distinct():
        derive_allocations(year, licence=licence, by=by)


def _state(to: Any) -> State:
    try:
        return State(to)
    except ValueError as error:
        raise ValidationError({"state": f"未知的许可证状态：{to}"}) from error


@transaction.atomic
def transition_licence(licence: Licence, to: State | str, by: Any, reason: str, *, on: date | None = None) -> Licence:
    """Move ``licence`` to ``to`` on behalf of ``by`` with ``reason``; audited ``water.licence.<state>``.

    Only the system (``by`` a string such as ``"system"``) sets EXPIRED. A reinstatement of an expired licence
    (延续) needs ``valid_to`` on or after ``on`` (default: today, Asia/Shanghai) first.
    """
    licence = Licence.objects.select_for_update().select_related("region").get(pk=licence.pk)
    access.check_actor(by, P.WATER_ALLOCATION_EDIT, licence.region)
    current, target = _state(licence.state), _state(to)
    reason = str(reason or "").strip()
    try:
        check_transition(TABLE, current, target, {"reason": reason}, by_system=not hasattr(by, "is_authenticated"))
    except TransitionError as error:
        raise ValidationError({error.field or "state": error.message}) from error
    day = on or today()
    if target == State.VALID and licence.valid_to < day:
        raise ValidationError({"state": f"有效期止（{licence.valid_to.isoformat()}）已过，请先延长有效期再恢复有效"})
    if target == State.VALID and current not in LIVING_STATES:
        held = _held_elsewhere(licence.wells.all(), licence.source, licence.valid_from, licence.valid_to, licence.pk)
        if held:
            raise ValidationError({"state": held})
    licence.state, licence.state_reason = target.value, reason
    licence.save(update_fields=["state", "state_reason", "updated_at"])
    audit.record(f"water.licence.{target.value}", actor=by, target=licence, reason=reason,
                 from_state=current.value, to_state=target.value, number=licence.number)
    _rederive(licence, by)
    return licence
