"""统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999) validation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changji.core.identity import (
    PROVINCE_CODES,
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


@pytest.mark.parametrize(
    ("head8", "body8", "fragment"),
    [
        ("00000000", "00000000", "不能全为0"),
        ("01110000", "60003734", "第1位（登记管理部门代码）不能为“0”"),
        ("90110000", "60003734", "第2位（机构类别代码）不能为“0”"),
        ("91000000", "60003734", "第3-8位“000000”不是行政区划代码"),
        ("91160000", "60003734", "第3-8位“160000”不是行政区划代码"),
        ("91110000", "00000000", "第9-17位（主体标识码）不能全为0"),
    ],
)
def test_codes_made_of_parts_the_standard_never_assigns_are_refused(head8, body8, fragment):
    """Eighteen zeros pass both check characters (0 and 0); each unassigned part is refused, naming it."""
    code = _make_uscc(head8, body8)
    assert _uscc_check(code[:17]) == code[17] and _org_check(body8) == code[16]  # only the new rules refuse it
    with pytest.raises(IdentifierError, match=fragment):
        validate_uscc(code)
    with pytest.raises(IdentifierError, match=fragment):
        validate_uscc(code, check_organisation_code=False)


def test_the_state_level_division_and_every_province_are_accepted():
    for province in sorted(PROVINCE_CODES | {"10"}):
        code = _make_uscc(f"51{province}0000", "50000012")
        assert validate_uscc(code) == code
    assert _make_uscc("00000000", "00000000") == "0" * 18


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


uscc_chars = st.sampled_from(USCC_ALPHABET[1:])  # a department or category code is never 0
valid_uscc = st.builds(
    lambda dept, category, province, division, body: _make_uscc(dept + category + province + division, body),
    uscc_chars,
    uscc_chars,
    st.sampled_from(sorted(PROVINCE_CODES | {"10"})),
    st.text("0123456789", min_size=4, max_size=4),
    st.text(USCC_ALPHABET, min_size=8, max_size=8).filter(lambda body: body != "0" * 8),
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


@pytest.mark.parametrize("address", ["000000", "010105", "160101", "720101", "800000"])
def test_an_address_code_that_is_no_place_is_refused(address):
    """Zeros (or any head that is no province) pass the check character but are no 行政区划代码 (GB/T 2260)."""
    number = _make_id(address, date(1990, 5, 17), "002")
    with pytest.raises(IdentifierError, match=f"第1-6位“{address}”不是行政区划代码"):
        validate_resident_id(number, today=TODAY)


@pytest.mark.parametrize("address", ["652301", "110105", "810000", "820000", "830000", "911100"])
def test_provinces_residence_permits_and_permanent_residence_cards_are_accepted(address):
    number = _make_id(address, date(1990, 5, 17), "002")
    assert validate_resident_id(number, today=TODAY) == number


def test_born_today_and_on_1900_01_01_are_accepted():
    for birth in (TODAY, date(1900, 1, 1)):
        number = _make_id("652301", birth, "001")
        assert validate_resident_id(number, today=TODAY) == number


def test_default_today_is_shanghai_today():
    # A number born in 1990 is valid whatever today is; one born in 2999 is always in the future.
    assert validate_resident_id(_make_id("652301", date(1990, 5, 17), "002"))
    with pytest.raises(IdentifierError, match="晚于今天"):
        validate_resident_id(_make_id("652301", date(2999, 1, 1), "002"))


ADDRESS_HEADS = sorted(PROVINCE_CODES | {"83", "91", "99"})
valid_id = st.builds(
    lambda head, rest, birth, sequence: _make_id(head + rest, birth, sequence),
    st.sampled_from(ADDRESS_HEADS),
    st.text("0123456789", min_size=4, max_size=4),
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
