"""Is a decoded time believable? The two-digit-year rule shared by both protocol families.

SL651 times (send time, ``F0 F0`` TT) and SL/T 427-2021 7-byte time labels carry the year as two BCD
digits, read as 2000 + YY. A terminal whose clock was never set, lost its battery or was set by hand
with a typo sends ``59`` or ``00``, and 2059 or 2000 would be stored without a word. Real encoders write
whatever their clock says: the RTU firmware of ``xiaozhuweini/fyyp_rtu`` (``components/ptcl/sl651.c``) puts
``tm_year % 100`` of its RTC calendar into the send time and TT, so a clock never set reads as its reset
value. The rule:

* more than ``MAX_AHEAD`` (366 days) after the receipt time: implausible (``59`` read as 2059);
* before ``MIN_YEAR`` (2005): implausible. A reset clock reads ``00`` (2000-01-01); no terminal speaking
  SZY206 (2012) or SL651-2014 was sending data before it. A fixed floor, not one relative to the
  receipt time, so that ``changji decode`` of a capture from 2014 still reads it.

Smaller offsets are the gateway's existing checks: ahead by more than ``future_tolerance_s`` is
*future-dated* (stored, flagged), a SZY206 label older than its delay is *late*. An implausible time is
stronger: the frame is archived with the reason and acknowledged (nothing acknowledged is lost), but no
reading is taken from it, since its observation time cannot be placed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__pure__ = True  # no Django: tests/test_architecture.py checks it

MAX_AHEAD = timedelta(days=366)
MIN_YEAR = 2005


def implausible_time(moment: datetime | None, received_at: datetime, what: str) -> str | None:
    """Return why ``moment`` (a decoded ``what``: "observation time", "send time") is not believable, or None."""
    if moment is None:
        return None
    if moment - received_at > MAX_AHEAD:
        return (
            f"implausible {what} {moment.isoformat()}: two-digit year {moment.year % 100:02d} read as "
            f"{moment.year} is more than a year after the receipt time {received_at.isoformat()}"
        )
    if moment.year < MIN_YEAR:
        return (
            f"implausible {what} {moment.isoformat()}: two-digit year {moment.year % 100:02d} read as "
            f"{moment.year} is before {MIN_YEAR} (a reset or unset terminal clock)"
        )
    return None


def first_implausible(times: list[tuple[datetime | None, str]], received_at: datetime) -> str | None:
    """Return the reason of the first implausible ``(moment, what)`` pair, or None when all are believable."""
    for moment, what in times:
        reason = implausible_time(moment, received_at, what)
        if reason is not None:
            return reason
    return None
