"""统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999) validation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.core.identity import (
    USCC_ALPHABET,
    IdentifierError,
    organisation_code_check_char,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)

TODAY = date(2025, 6, 1)

# --- independent re-implementations from the standards' texts, to cross-check the module --------------------------


def _uscc_check(first17: str) -> str:
    # GB 32100-2015: W_i = 3^(i-1) mod 31; C18 = 31 - (sum mod 31), 31 -> "0".
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _org_check(body8: str) -> str:
    # GB 11714-1997: A=10 ... Z=35; C9 = 11 - (sum mod 11); 10 -> "X", 11 -> "0".
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(values.index(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _id_check(first17: str) -> str:
    # GB 11643-1999: W_i = 2^(17-i) mod 11 for positions i = 0..16; check = (12 - sum mod 11) mod 11, 10 -> "X".
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "0123456789X"[(12 - total % 11) % 11]


def _make_uscc(head10: str, body8: str) -> str:
    first17 = head10 + body8 + _org_check(body8)
    return first17 + _uscc_check(first17)


# --- 统一社会信用代码 ------------------------------------------------------------------------------------------

REAL_USCC = [
    "91350100M000100Y43",  # the example code in GB 32100-2015 / its explanatory material
    "91110000600037341L",  # a Beijing enterprise, python-stdnum's doctest example
    "9144030071526726XG",  # Tencent (Shenzhen): organisation code 71526726-X
    "91330100716105852F",  # Alibaba (Hangzhou): organisation code 71610585-2
]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_codes_pass_both_check_characters(code):
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17] == _uscc_check(code[:17])
    assert organisation_code_check_char(code[8:16]) == code[16] == _org_check(code[8:16])


def test_weights_are_powers_of_three_mod_31():
    from changji.core import identity

    assert identity._USCC_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


def test_uscc_is_normalised():
    assert validate_uscc("  91110000600037341l\n") == "91110000600037341L"
    # Full-width characters as typed with a Chinese input method.
    assert validate_uscc("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("", "不能为空"),
        ("9111000060003734", "应为18位，现为16位"),
        ("91110000600037341L0", "现为19位"),
        ("91110000600037341I", "第18位“I”不是有效字符"),
        ("911100006000O7341L", "第13位“O”不是有效字符"),
        ("91110000600037341-", "第18位“-”"),
        ("911A0000600037341L", "第4位却是“A”"),
        ("91110000600037341A", "第18位应为“L”，实际为“A”"),
    ],
)
def test_uscc_errors_say_what_is_wrong(code, fragment):
    with pytest.raises(IdentifierError) as caught:
        validate_uscc(code)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_organisation_code_check_is_enforced_and_can_be_switched_off():
    # Organisation code 60003734 with a wrong own check character (2 instead of 1), position 18 recomputed.
    first17 = "91110000600037342"
    code = first17 + _uscc_check(first17)
    with pytest.raises(IdentifierError, match="第17位应为“1”，实际为“2”"):
        validate_uscc(code)
    assert validate_uscc(code, check_organisation_code=False) == code


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        validate_uscc(91110000600037341)  # type: ignore[arg-type]


uscc_chars = st.sampled_from(USCC_ALPHABET)
valid_uscc = st.builds(
    lambda dept, category, division, body: _make_uscc(dept + category + division, body),
    uscc_chars,
    uscc_chars,
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=8, max_size=8),
)


@settings(max_examples=300)
@given(valid_uscc)
def test_generated_codes_are_valid(code):
    assert validate_uscc(code) == code
    assert validate_uscc(code.lower()) == code


@settings(max_examples=500)
@given(valid_uscc, st.data())
def test_any_single_character_change_is_rejected(code, data):
    position = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(
        st.sampled_from(USCC_ALPHABET + USCC_ALPHABET.lower() + "IOZSVioszv#*-_ ").filter(
            lambda c: c.upper() != code[position]
        ),
        label="replacement",
    )
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_uscc(changed)
    # Even without the organisation-code rule, position 18 alone catches every single-character change.
    with pytest.raises(IdentifierError):
        validate_uscc(changed, check_organisation_code=False)


# --- 公民身份号码 ---------------------------------------------------------------------------------------------


def _make_id(address: str, birth: date, sequence: str) -> str:
    first17 = f"{address}{birth:%Y%m%d}{sequence}"
    return first17 + _id_check(first17)


def test_textbook_example():
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert resident_id_check_char("11010519491231002") == "X"


def test_lowercase_x_and_spaces_are_normalised():
    assert validate_resident_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"


def test_weights_are_the_standard_table():
    from changji.core import identity

    assert identity._ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "不能为空"),
        ("110105194912310", "应为18位，现为15位"),
        ("1101051949123100X2", "第17位“X”应为数字"),
        ("11010519491231002A", "第18位“A”应为数字或X"),
        ("11010519491231002Y", "第18位“Y”"),
        ("110105194912310021", "第18位应为“X”，实际为“1”"),
        ("110105" + "20000230" + "1231", "“20000230”不是有效日期"),
        ("652301" + "18991231" + "001" + _id_check("65230118991231001"), "早于1900年"),
        ("652301" + "20250602" + "001" + _id_check("65230120250602001"), "晚于今天"),
    ],
)
def test_resident_id_errors_say_what_is_wrong(number, fragment):
    with pytest.raises(IdentifierError) as caught:
        validate_resident_id(number, today=TODAY)
    assert fragment in str(caught.value)


def test_born_today_and_on_1900_01_01_are_accepted():
    for birth in (TODAY, date(1900, 1, 1)):
        number = _make_id("652301", birth, "001")
        assert validate_resident_id(number, today=TODAY) == number


def test_default_today_is_shanghai_today():
    # A number born in 1990 is valid whatever today is; one born in 2999 is always in the future.
    assert validate_resident_id(_make_id("652301", date(1990, 5, 17), "002"))
    with pytest.raises(IdentifierError, match="晚于今天"):
        validate_resident_id(_make_id("652301", date(2999, 1, 1), "002"))


valid_id = st.builds(
    _make_id,
    st.text("0123456789", min_size=6, max_size=6),
    st.dates(date(1900, 1, 1), TODAY),
    st.text("0123456789", min_size=3, max_size=3),
)


@settings(max_examples=300)
@given(valid_id)
def test_generated_numbers_are_valid(number):
    assert validate_resident_id(number, today=TODAY) == number
    assert resident_id_check_char(number[:17]) == number[17]


@settings(max_examples=500)
@given(valid_id, st.data())
def test_any_single_character_change_of_an_id_is_rejected(number, data):
    position = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(
        st.sampled_from("0123456789Xx A").filter(lambda c: c.upper() != number[position]), label="replacement"
    )
    with pytest.raises(IdentifierError):
        validate_resident_id(number[:position] + replacement + number[position + 1 :], today=TODAY)
