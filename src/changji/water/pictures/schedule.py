"""When pictures are due (定时抓拍): daily times in Asia/Shanghai, the slot due now, the alarm kinds that take one.

Pure: no Django (tests/test_architecture.py). ``water.pictures.service`` applies it to the policies.

* A policy's times are "HH:MM" local times, at most ``MAX_TIMES`` a day, kept sorted and unique.
* The slot due at ``now`` is the latest of today's times not after ``now`` and not older than
  ``MAX_LATE``, unless it was already queued (``last_slot``): a job that missed a minute catches up, a job
  down for half a day does not queue this morning's pictures at night.
* ``DEFAULT_ALARM_KINDS`` are the tamper kinds (柜门打开, 交流失电, 计量设备故障, 表码突变, 表码倒走, 有电无水):
  what a camera shows best.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

__pure__ = True  # no Django: tests/test_architecture.py checks it

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_TIMES = 6
#: A daily time is queued at most this long after it passed.
MAX_LATE = timedelta(hours=2)
DEFAULT_TIMES = ("10:00",)
_TIME = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?")
DEFAULT_ALARM_KINDS = (
    "door_open", "ac_power_lost", "meter_fault", "impossible_jump", "register_reversal", "energy_without_water",
)


def parse_times(values: Iterable[str]) -> list[str]:
    """Return the daily times as sorted unique "HH:MM"; ValueError (Chinese message) for a bad one."""
    out: set[str] = set()
    for raw in values:
        text = str(raw).strip().replace("：", ":")
        if not text:
            continue
        match = _TIME.fullmatch(text)
        if match is None or int(match[1]) > 23 or int(match[2] or 0) > 59:
            raise ValueError(f"抓拍时间应为 时:分，如 10:00，而不是 {raw!r}")
        out.add(f"{int(match[1]):02d}:{int(match[2] or 0):02d}")
    if len(out) > MAX_TIMES:
        raise ValueError(f"每天最多抓拍 {MAX_TIMES} 次")
    return sorted(out)


def check_alarm_kinds(values: Iterable[str], known: Iterable[str]) -> list[str]:
    """Return the alarm kinds, unique and in the order of ``known``; ValueError for an unknown one."""
    wanted, order = {str(value) for value in values}, list(known)
    unknown = sorted(wanted - set(order))
    if unknown:
        raise ValueError(f"未知的告警类型：{'、'.join(unknown)}")
    return [kind for kind in order if kind in wanted]


def due_slot(times: Sequence[str], now: datetime, last_slot: datetime | None) -> datetime | None:
    """Return the daily slot (aware, Asia/Shanghai) to queue at ``now``, or None when none is due."""
    local = now.astimezone(SHANGHAI)
    due = None
    for text in times:
        hour, minute = (int(part) for part in text.split(":"))
        slot = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if slot <= local and local - slot <= MAX_LATE:
            due = slot if due is None or slot > due else due
    if due is None or (last_slot is not None and last_slot >= due):
        return None
    return due


def slot_key(slot: datetime) -> str:
    """The slot as the picture query records it (``Command.params["slot"]``): local "YYYY-MM-DDTHH:MM"."""
    return f"{slot.astimezone(SHANGHAI):%Y-%m-%dT%H:%M}"
