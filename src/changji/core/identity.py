"""Validation of the identifiers of persons and organisations, shared by the apps (pure: standard library only).

一件事一次办 checks applicants with both; the community app checks party members' identity numbers.

Two identifiers are checked here:

* 统一社会信用代码 (unified social credit code) of an organisation, GB 32100-2015;
* 公民身份号码 (citizen identity number) of a person, GB 11643-1999.

Both validators normalise their input (Unicode NFKC, so that full-width characters typed with a Chinese input method
become ASCII; surrounding whitespace stripped; letters upper-cased) and return the normalised value, or raise
:class:`IdentifierError` with a Chinese message that says what is wrong and where.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from changji.core.errors import Refusal
from changji.core.localtime import SHANGHAI

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "IdentifierError",
    "organisation_code_check_char",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_resident_id",
    "validate_uscc",
]


#: GB 32100-2015 §4.1: digits and upper-case Latin letters except I, O, Z, S, V; a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
#: GB 32100-2015 §5: W_i = 3^(i-1) mod 31 for the 17 information characters.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714-1997: weights for the 8 body characters of an organisation code.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
#: GB 11643-1999: W_i = 2^(17-i) mod 11 for i = 0..16 (positions 1..17).
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "0123456789X"
#: GB/T 2260 province-level codes (the first two digits of every division code): 11-15 华北, 21-23 东北, 31-37 华东,
#: 41-46 中南, 50-54 西南, 61-65 西北, 71 台湾, 81 香港, 82 澳门. The list has not changed since 重庆 (50) in 1997.
PROVINCE_CODES = frozenset({"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                            "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
                            "65", "71", "81", "82"})
#: The division part (positions 3-4) of a 统一社会信用代码 may also be 10: 100000 is the state level, used by
#: national registration authorities (e.g. 国家市场监督管理总局, 民政部 for national social organisations).
_USCC_DIVISION_HEADS = PROVINCE_CODES | {"10"}
#: The address part (positions 1-2) of an identity number may also be 83 (台湾居民居住证, 2018, with 81 and 82 for
#: 港澳居民) or begin with 9 (外国人永久居留身份证, 2023 format, same structure and check character).
_ID_ADDRESS_HEADS = PROVINCE_CODES | {"83"} | {f"9{d}" for d in "0123456789"}


class IdentifierError(Refusal):
    """An identifier is malformed; ``str(error)`` is a Chinese message fit to show the applicant.

    A ``core.errors.Refusal`` of the value alone: the caller that knows which field carried it names the field.
    """

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


def _normalise(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return unicodedata.normalize("NFKC", value).strip().upper()


# --- 统一社会信用代码 ---------------------------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character (position 18) for the first 17 characters of a code.

    C18 = 31 - (Σ value(C_i) × W_i mod 31), where 31 stands for 0; ``first17`` must use :data:`USCC_ALPHABET`.
    """
    if len(first17) != 17:
        raise ValueError("uscc_check_char needs exactly 17 characters")
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(body8: str) -> str:
    """Return the GB 11714-1997 check character of an organisation code from its 8 body characters.

    Letters count A=10 … Z=35; C9 = 11 - (Σ value(C_i) × W_i mod 11) with W = 3,7,9,10,5,8,4,2; 10 is written ``X``
    and 11 is written ``0``.
    """
    if len(body8) != 8 or not body8.isascii() or not body8.isalnum():
        raise ValueError("organisation_code_check_char needs exactly 8 digits or letters")
    total = sum(int(c, 36) * w for c, w in zip(body8.upper(), _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(code: str, *, check_organisation_code: bool = True) -> str:
    """Validate a 统一社会信用代码 (GB 32100-2015) and return it normalised; raise :class:`IdentifierError` if not.

    Structure of the 18 characters, all from :data:`USCC_ALPHABET` (no I, O, Z, S, V):

    * position 1: 登记管理部门代码 (registration-management department, e.g. 1 机构编制, 5 民政, 9 工商/市场监管,
      Y 其他);
    * position 2: 机构类别代码 (organisation category within that department, e.g. 91 企业, 92 个体工商户);
    * positions 3-8: 登记管理机关行政区划码 (administrative division code, GB/T 2260; six digits);
    * positions 9-17: 主体标识码 (组织机构代码, GB 11714);
    * position 18: 校验码, computed by :func:`uscc_check_char` over positions 1-17.

    Positions 1 and 2 are not checked against a list of department/category codes: that list has grown since 2015
    (e.g. A, N) and a stale copy would turn real applicants away. What no version of the list has ever held is
    refused, so that a placeholder such as eighteen zeros (whose check characters happen to work out: 0 and 0) is
    not taken for a real organisation:

    * ``0`` at position 1 or 2 (GB 32100-2015 附录A numbers departments and categories from 1);
    * positions 3-8 whose first two digits are no GB/T 2260 province-level code nor 10 (the state level,
      ``100000``): e.g. ``000000``;
    * positions 9-16 all zero (主体标识码 ``00000000-0`` is not an organisation code GB 11714 issues).

    Positions 9-17 are an organisation code with its own GB 11714 check character at position 17 (see
    :func:`organisation_code_check_char`). GB 32100-2015 §4.3 says positions 9-17 follow GB 11714, and the reference
    codes checked in the tests satisfy it, so it is enforced by default. Note that python-stdnum's ``cn.uscc`` does not
    check it, and this rule could not be confirmed against a register of real codes: if a genuine code is ever
    rejected for this reason alone, call with ``check_organisation_code=False`` (the position-18 check already
    detects every single-character error, so nothing is lost for typing mistakes).
    """
    normalised = _normalise(code)
    if not normalised:
        raise IdentifierError("统一社会信用代码不能为空")
    if len(normalised) != 18:
        raise IdentifierError(f"统一社会信用代码应为18位，现为{len(normalised)}位")
    for position, char in enumerate(normalised, start=1):
        if char not in _USCC_VALUES:
            raise IdentifierError(
                f"统一社会信用代码第{position}位“{char}”不是有效字符（只能是数字或除I、O、Z、S、V以外的大写英文字母）"
            )
    for position in range(3, 9):
        char = normalised[position - 1]
        if not char.isdigit():
            raise IdentifierError(f"统一社会信用代码第3-8位应为行政区划代码（6位数字），第{position}位却是“{char}”")
    _refuse_unassigned_uscc(normalised)
    expected = uscc_check_char(normalised[:17])
    if normalised[17] != expected:
        raise IdentifierError(
            f"统一社会信用代码校验码不符：按前17位计算，第18位应为“{expected}”，实际为“{normalised[17]}”，请核对代码是否抄错"
        )
    if check_organisation_code:
        expected = organisation_code_check_char(normalised[8:16])
        if normalised[16] != expected:
            raise IdentifierError(
                f"统一社会信用代码第9-17位（组织机构代码）校验码不符：第17位应为“{expected}”，"
                f"实际为“{normalised[16]}”，请核对代码是否抄错"
            )
    return normalised


def _refuse_unassigned_uscc(code: str) -> None:
    """Raise :class:`IdentifierError` for a code made of parts that GB 32100-2015 never assigns (see validate_uscc)."""
    if code == "0" * 18:
        raise IdentifierError("统一社会信用代码不能全为0，请填写营业执照或登记证书上的代码")
    if code[0] == "0":
        raise IdentifierError("统一社会信用代码第1位（登记管理部门代码）不能为“0”，请核对代码是否抄错")
    if code[1] == "0":
        raise IdentifierError("统一社会信用代码第2位（机构类别代码）不能为“0”，请核对代码是否抄错")
    if code[2:4] not in _USCC_DIVISION_HEADS:
        raise IdentifierError(f"统一社会信用代码第3-8位“{code[2:8]}”不是行政区划代码，请核对代码是否抄错")
    if code[8:16] == "0" * 8:
        raise IdentifierError("统一社会信用代码第9-17位（主体标识码）不能全为0，请核对代码是否抄错")


# --- 公民身份号码 ---------------------------------------------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits of a 公民身份号码.

    W_i = 2^(17-i) mod 11 (7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2); check = (12 - Σ a_i × W_i mod 11) mod 11, 10 → ``X``.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("resident_id_check_char needs exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[(12 - total % 11) % 11]


def validate_resident_id(number: str, *, today: date | None = None) -> str:
    """Validate an 18-character 公民身份号码 (GB 11643-1999) and return it normalised (``x`` → ``X``).

    Structure: positions 1-6 address code (GB/T 2260), 7-14 birth date YYYYMMDD, 15-17 sequence code (odd for men,
    even for women), 18 check character (:func:`resident_id_check_char`). The birth date must be a real calendar date,
    not before 1900-01-01 and not after ``today`` (default: today in Asia/Shanghai). The address code is not checked
    against a list of divisions: numbers keep the code of the place of first registration, including abolished ones.
    Its first two digits must still be a GB/T 2260 province-level code (:data:`PROVINCE_CODES`, which abolished
    counties share), 83 (台湾居民居住证; 81 and 82 serve 港澳居民), or begin with 9 (外国人永久居留身份证, 2023):
    ``000000`` is no place. Old 15-digit numbers are not accepted.
    """
    normalised = _normalise(number)
    if not normalised:
        raise IdentifierError("公民身份号码不能为空")
    if len(normalised) != 18:
        raise IdentifierError(f"公民身份号码应为18位，现为{len(normalised)}位")
    for position, char in enumerate(normalised[:17], start=1):
        if not ("0" <= char <= "9"):
            raise IdentifierError(f"公民身份号码第{position}位“{char}”应为数字")
    if normalised[17] not in _ID_CHECK:
        raise IdentifierError(f"公民身份号码第18位“{normalised[17]}”应为数字或X")
    if normalised[:2] not in _ID_ADDRESS_HEADS:
        raise IdentifierError(f"公民身份号码第1-6位“{normalised[:6]}”不是行政区划代码，请核对号码是否抄错")
    raw_birth = normalised[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise IdentifierError(f"公民身份号码第7-14位出生日期“{raw_birth}”不是有效日期") from None
    if birth < date(1900, 1, 1):
        raise IdentifierError(f"公民身份号码第7-14位出生日期“{raw_birth}”早于1900年")
    if today is None:
        today = datetime.now(SHANGHAI).date()
    if birth > today:
        raise IdentifierError(f"公民身份号码第7-14位出生日期“{raw_birth}”晚于今天")
    expected = resident_id_check_char(normalised[:17])
    if normalised[17] != expected:
        raise IdentifierError(
            f"公民身份号码校验码不符：按前17位计算，第18位应为“{expected}”，实际为“{normalised[17]}”，请核对号码是否抄错"
        )
    return normalised
