"""Masking of personal data in every page and export of the community app (pure, no Django).

The grid keeps residents' identity numbers to tell people apart; no page or spreadsheet shows one
whole. The masks follow common practice for 公民身份号码 (GB 11643-1999) on public-facing systems:
the first 6 digits (the region) and the last 4 stay, the birth date and sequence are hidden.
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it


def mask_id_number(value: str) -> str:
    """``652328199001011234`` → ``652328********1234``; anything too short to mask keeps only its last character."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) < 11:
        return "*" * (len(value) - 1) + value[-1]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13912345678`` → ``139****5678``; a shorter (landline) number keeps only its first and last 2 digits."""
    value = (value or "").strip()
    if len(value) < 11:
        return value[:2] + "*" * (len(value) - 4) + value[-2:] if len(value) > 5 else "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name stays, for pages shown to the public (published wishes)."""
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)
