"""Typed page parameters (core.params): a bad value is one ParamError, a good one comes back typed.

Digits Python's int() and isdigit() take but the platform cannot use, days and years it cannot store or convert,
ids past 64 bits, NUL, overlong text and unknown choices are one ParamError (a 400 naming the parameter).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.core.exceptions import BadRequest
from django.http import QueryDict

from changji.core import params
from changji.core.params import ParamError

ODD_DIGITS = ("²", "٣", "１２", "٢٠٢٦", "２０２６", "1e3", "0x10", " 1 2", "+1", "1.0", "nan", "inf", "")


def read(param: params.Param, raw: str | None, name: str = "x"):
    return param.read(name, raw)


@pytest.mark.parametrize("raw", [r for r in ODD_DIGITS if r.strip()])
def test_unicode_and_odd_digits_are_not_numbers(raw):
    for param in (params.Int(), params.Id(), params.Page(), params.Year()):
        with pytest.raises(ParamError):
            read(param, raw)


def test_python_itself_takes_these_digits():
    """Why the module exists: isdigit() and int() accept what the database and the pages cannot."""
    assert "²".isdigit() and "٣".isdigit() and int("１２") == 12 and int("٣") == 3


def test_good_numbers_come_back_typed():
    assert read(params.Int(-5, 5), "-5") == -5
    assert read(params.Id(), str(params.MAX_ID)) == 2**63 - 1
    assert read(params.Page(), None) == 1 and read(params.Page(), " 3 ") == 3
    assert read(params.Year(default=2026), "") == 2026 and read(params.Year(), "1970") == 1970
    assert read(params.Number(-90, 90), "43.835") == 43.835


@pytest.mark.parametrize("param, raw", [
    (params.Id(), "0"), (params.Id(), "-1"), (params.Id(), str(2**63)), (params.Id(), "1" + "0" * 30),
    (params.Page(), "0"), (params.Page(), str(params.MAX_PAGE + 1)),
    (params.Year(), "1969"), (params.Year(), "2101"), (params.Year(), "99999"), (params.Year(2000, 2027), "1999"),
    (params.Number(-90, 90), "90.5"), (params.Number(-90, 90), "1e309"), (params.Number(-90, 90), "nan"),
])
def test_numbers_out_of_range_are_refused(param, raw):
    with pytest.raises(ParamError):
        read(param, raw)


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "1969-12-31", "2101-01-01", "2026-02-30", "2026-13-01",
                                 "20260101", "2026-W01", "２０２６-01-01", "2026-1-1", "yesterday"])
def test_days_the_platform_cannot_use_are_refused(raw):
    with pytest.raises(ParamError) as caught:
        read(params.Day(), raw, "at")
    assert caught.value.name == "at" and "参数「at」" in caught.value.message


def test_days_and_moments_come_back_typed():
    assert read(params.Day(), "2026-02-28") == date(2026, 2, 28)
    assert read(params.Day(default=date(2026, 1, 1)), None) == date(2026, 1, 1)
    moment = read(params.Moment(), "2026-03-01T08:00:00+08:00")
    assert moment == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert read(params.Moment(), "2026-03-01T08:00:00Z").tzinfo is not None
    assert read(params.Moment(), "2026-03-01 08:00").utcoffset().total_seconds() == 8 * 3600  # Shanghai
    assert read(params.Moment(days=True), "2026-03-01").date() == date(2026, 3, 1)
    for raw in ("9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "2026-03-01", "2026-03-01T25:00"):
        with pytest.raises(ParamError):
            read(params.Moment(), raw)


def test_choices_codes_text_and_paths():
    assert read(params.Choice(["open", "closed"]), "open") == "open"
    with pytest.raises(ParamError) as caught:
        read(params.Choice(["open", "closed"]), "<script>", "status")
    assert "open、closed" in caught.value.message
    assert read(params.Choice([("a", "甲"), ("b", "乙")]), "b") == "b"
    assert read(params.RegionCode(), "652328100001") == "652328100001"
    for raw in ("65232", "6523281", "652328' OR 1=1", "６５２３２８"):
        with pytest.raises(ParamError):
            read(params.RegionCode(), raw)
    assert read(params.Text(8), " 张三 ") == "张三"
    with pytest.raises(ParamError):
        read(params.Text(8), "x" * 9)
    assert read(params.LocalPath(), "/water/alarms/?state=open") == "/water/alarms/?state=open"
    for raw in ("//evil.example/", "https://evil.example/", "-1", "javascript:alert(1)", "/\\evil.example"):
        with pytest.raises(ParamError):
            read(params.LocalPath(), raw, "next")


def test_nul_and_overlong_values_are_refused_before_any_conversion():
    for param in (params.Text(), params.Choice(["a\x00"]), params.Int()):
        with pytest.raises(ParamError):
            read(param, "a\x00")
        with pytest.raises(ParamError):
            read(param, "1" * 10_000)
    with pytest.raises(ParamError):
        params.refuse_nul(QueryDict("q=%00"))
    with pytest.raises(ParamError):
        params.refuse_nul(QueryDict("%00=1"))
    params.refuse_nul(QueryDict("q=%2500"))  # the text "%00" is not NUL


def test_parse_reads_a_query_and_the_error_is_a_bad_request():
    chosen = params.parse(QueryDict("year=2026&page=2&page=3&state="), {
        "year": params.Year(), "page": params.Page(), "state": params.Choice(["open"], default="all"),
        "q": params.Text(default="")})
    assert chosen == {"year": 2026, "page": 3, "state": "all", "q": ""}
    with pytest.raises(BadRequest):
        params.parse(QueryDict("year=²"), {"year": params.Year()})
    assert repr(ParamError("year", "坏")) == "ParamError(name='year', message='参数「year」坏')"


class _Form(forms.Form):
    day = params.DayField()
    moment = params.MomentField(input_formats=["%Y-%m-%dT%H:%M"])
    year = params.YearField(first=2000)
    entry = params.IdField()


@pytest.mark.parametrize("field, raw", [("day", "9999-12-31"), ("day", "0001-01-01"), ("moment", "0001-01-01T00:00"),
                                        ("moment", "9999-12-31T23:59"), ("year", "1999"), ("year", "²"),
                                        ("entry", "0"), ("entry", str(2**63)), ("entry", "1" + "0" * 30)])
def test_form_fields_refuse_what_the_platform_cannot_use(field, raw):
    good = {"day": "2026-03-01", "moment": "2026-03-01T08:00", "year": "2026", "entry": "7"}
    form = _Form({**good, field: raw})
    assert not form.is_valid() and list(form.errors) == [field]
    assert _Form(good).is_valid()
