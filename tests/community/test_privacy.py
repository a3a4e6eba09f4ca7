"""Masks of personal data: whatever the length, most of an identity number or phone stays hidden."""

from __future__ import annotations

import pytest

from changji.community.privacy import mask_id_number, mask_name, mask_phone


def test_identity_numbers_keep_region_and_last_four():
    assert mask_id_number("652328199001011234") == "652328********1234"
    assert mask_id_number("") == ""
    assert mask_id_number("12345") == "****5"


@pytest.mark.parametrize(("phone", "masked"), [
    ("13912345678", "139****5678"), ("09945551234", "099****1234"), ("5551234", "55***34"),
    ("55512345", "55****45"), ("12345", "*****"), ("", ""),
])
def test_phones_hide_at_least_the_middle(phone, masked):
    assert mask_phone(phone) == masked
    hidden = masked.count("*")
    assert hidden >= min(len(phone), 3) if phone else hidden == 0


def test_names_keep_the_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李"
