"""Case statistics over a hand-built March/April 2026 in 阜康市, every figure worked out by hand below.

March 2026 has no public holiday: the working days are Monday to Friday.

A  online, submitted & accepted Mon 2 Mar; rated 5
   SCJG-001 (promised 1, statutory 15): due 3 Mar, decided Thu 5 Mar -> 3 wd, overdue
   SCJG-002 (5 / 20): due 9 Mar, committed Wed 4 Mar -> 2 wd
   CGJ-001  (5 / 20): due 9 Mar, decided Fri 6 Mar -> 4 wd
B  window, submitted 2 Mar, correction until Wed 4 Mar (suspended 2), accepted 4 Mar; not rated
   SCJG-001: due 5 Mar, decided Mon 9 Mar -> 3 wd (5, 6, 9; the clock runs from acceptance), overdue
   SCJG-002: due 11 Mar, still pending on 20 Mar -> overdue
F  window, submitted & accepted Tue 3 Mar; rated 3
   SCJG-001: due 4 Mar, decided 4 Mar 01:00 Shanghai (3 Mar 17:00 UTC) -> 1 wd, on time
   SCJG-002: due 10 Mar, refused 4 Mar -> 1 wd
C  online, submitted & accepted Mon 16 Mar
   SCJG-001: due 17 Mar, claimed, open on 20 Mar -> overdue
   SCJG-002: due 23 Mar, pending -> on time
E  window, submitted 1 Apr 00:30 Shanghai (31 Mar UTC), not accepted: April
D  submitted 28 Feb 23:30 Shanghai: outside the period

Keeping the promise: finished cases (a decided sub-case, none open) are A and F; F is within the limit, A is not
(A1 late). Decided sub-cases on time: A2 A3 F1 F2 of A1 A2 A3 B1 F1 F2 (4 of 6).
即办 and visits (set on the rows): F's two sub-cases were decided at the window, so F is an instant case (1 of the
2 finished) and 2 of the 6 decided sub-cases are instant. Visits: A 0 and C 0 (online), B 2 (came back for the
correction), F 1, E 1: 4 visits for 5 cases.
Ratings: A's case reasons fast + one_visit, F's fast. Department ratings: A SCJG 5 (fast, polite), A CGJ 2 (slow),
F SCJG 3 (fast); D SCJG 1 (slow) is outside the period.

Today is Fri 20 Mar; the period 1 Mar - 30 Apr.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from changji.core.models import Region
from changji.services import cases, ratings, workdays
from changji.services.cases import Applicant
from changji.services.models import Case, Department, DepartmentRating, SubCase
from changji.services.statistics import _working_days, case_statistics, reason_labels, to_xlsx

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": False}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety")}
TODAY = date(2026, 3, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    """``hour`` o'clock in Shanghai on ``month``/``day`` 2026 (UTC+8)."""
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)






def _sub(case, code: str) -> SubCase:
    return SubCase.objects.get(case=case, item__code=code)


def _submit(bundle, channel, now, answers=ANSWERS, materials=MATERIALS):
    return cases.submit(bundle, Applicant("enterprise", "阜康市老王餐饮有限公司", USCC), channel, answers, materials,
                        by="applicant", now=now)


@pytest.fixture
def history(restaurant, staff):
    clerk, rev = staff
    scjg, cgj = rev["SCJG"], rev["CGJ"]
    a = _submit(restaurant, "online", at(2), {**ANSWERS, "outdoor_sign": True, "sign_size": "3×1"},
                {**MATERIALS, "sign_design": ("s.pdf", b"%PDF s")})
    cases.accept(a, clerk, now=at(2))
    cases.claim(_sub(a, "SCJG-001"), scjg, now=at(2))
    cases.decide(_sub(a, "SCJG-001"), scjg, True, "符合条件", "L-1", now=at(5))
    cases.commit(_sub(a, "SCJG-002"), "applicant", "本人承诺", now=at(4))
    cases.record_licence(_sub(a, "SCJG-002"), scjg, "JY-1", now=at(4))  # the department's number, after commitment
    cases.claim(_sub(a, "CGJ-001"), cgj, now=at(2))
    cases.decide(_sub(a, "CGJ-001"), cgj, True, "同意设置", "S-1", now=at(6))
    cases.issue(a, clerk, "王某", now=at(9))
    ratings.rate(a, "applicant", 5)

    b = _submit(restaurant, "window", at(2), materials={k: v for k, v in MATERIALS.items() if k != "layout"})
    cases.request_correction(b, clerk, cases.missing_for(b), now=at(2))
    cases.resubmit(b, {}, {"layout": ("layout.pdf", b"%PDF layout")}, by="applicant", now=at(4))
    cases.accept(b, clerk, now=at(4))
    cases.claim(_sub(b, "SCJG-001"), scjg, now=at(4))
    cases.decide(_sub(b, "SCJG-001"), scjg, True, "符合条件", "L-2", now=at(9))

    f = _submit(restaurant, "window", at(3))
    cases.accept(f, clerk, now=at(3))
    cases.claim(_sub(f, "SCJG-001"), scjg, now=at(3))
    cases.decide(_sub(f, "SCJG-001"), scjg, True, "符合条件", "L-3", now=at(4, hour=1))
    cases.claim(_sub(f, "SCJG-002"), scjg, now=at(4))
    cases.decide(_sub(f, "SCJG-002"), scjg, False, "场所不符合要求", now=at(4))
    cases.issue(f, clerk, "李某", now=at(5))
    ratings.rate(f, "applicant", 3)

    c = _submit(restaurant, "online", at(16))
    cases.accept(c, clerk, now=at(16))
    cases.claim(_sub(c, "SCJG-001"), scjg, now=at(16))

    e = _submit(restaurant, "window", at(1, hour=0, month=4))
    d = _submit(restaurant, "online", datetime(2026, 2, 28, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai

    SubCase.objects.filter(case=f).update(decided_at_window=True)
    for case, visits in ((a, 0), (b, 2), (f, 1), (c, 0), (e, 1)):
        Case.objects.filter(pk=case.pk).update(visits=visits)
    Case.objects.filter(pk=a.pk).update(rating_reasons=["fast", "one_visit"])
    Case.objects.filter(pk=f.pk).update(rating_reasons=["fast"])
    for case, code, score, reasons in ((a, "SCJG", 5, ["fast", "polite"]), (a, "CGJ", 2, ["slow"]),
                                       (f, "SCJG", 3, ["fast"]), (d, "SCJG", 1, ["slow"])):
        DepartmentRating.objects.create(case=case, department=Department.objects.get(code=f"652302-{code}"),
                                        score=score, reasons=reasons)
    return {"a": a, "b": b, "c": c, "f": f}


def test_the_fixture_is_what_the_docstring_says(history):
    b = history["b"]
    b.refresh_from_db()
    assert b.suspended_days == 2 and b.accepted_on == date(2026, 3, 4)
    assert _sub(b, "SCJG-001").due_on == date(2026, 3, 5) and _sub(b, "SCJG-002").due_on == date(2026, 3, 11)
    assert _sub(history["c"], "SCJG-002").due_on == date(2026, 3, 23)
    for case in (history["a"], history["f"]):
        case.refresh_from_db()
    assert (history["a"].state, history["a"].outcome, history["f"].state, history["f"].outcome) == \
        ("rated", "granted", "rated", "partial")


def test_totals_and_bundles(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    total = stats["total"]
    assert (total["cases"], total["online"], total["online_share"]) == (5, 2, 0.4)
    assert (total["rated"], total["rating_avg"], total["good_share"]) == (2, 4.0, 0.5)
    assert (total["accepted"], total["sub_cases"], total["decided"], total["open"]) == (4, 9, 6, 3)
    assert total["overdue"] == 4 and total["overdue_rate"] == pytest.approx(4 / 9)  # A1, B1, B2, C1
    assert total["handling_days_avg"] == pytest.approx(14 / 6)  # 3 + 2 + 4 + 3 + 1 + 1
    assert total["promised_days_avg"] == pytest.approx(18 / 6)  # 1 + 5 + 5 + 1 + 1 + 5
    assert total["statutory_days_avg"] == pytest.approx(105 / 6)  # 15 + 20 + 20 + 15 + 15 + 20
    [bundle] = stats["bundles"]
    assert (bundle["code"], bundle["name"]) == ("YJS-CY", "开办餐馆一件事")
    assert {k: bundle[k] for k in total} == total


def test_departments_count_each_case_once(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    cgj, scjg = stats["departments"]
    assert (cgj["code"], scjg["code"], scjg["name"]) == ("652302-CGJ", "652302-SCJG", "市场监督管理局")
    # SCJG: sub-cases A1 A2 B1 B2 C1 C2 F1 F2 of cases A B C F (A and F count once, though with two items each).
    assert (scjg["sub_cases"], scjg["cases"], scjg["online_share"]) == (8, 4, 0.5)
    assert (scjg["rated"], scjg["rating_avg"], scjg["good_share"]) == (2, 4.0, 0.5)
    assert (scjg["decided"], scjg["open"], scjg["overdue"], scjg["overdue_rate"]) == (5, 3, 4, 0.5)
    assert scjg["handling_days_avg"] == pytest.approx(10 / 5)  # A1 3, A2 2, B1 3, F1 1, F2 1
    assert scjg["promised_days_avg"] == pytest.approx(13 / 5)
    assert scjg["statutory_days_avg"] == pytest.approx(85 / 5)
    assert (cgj["sub_cases"], cgj["cases"], cgj["online_share"], cgj["rating_avg"], cgj["good_share"]) == \
        (1, 1, 1.0, 5.0, 1.0)
    assert (cgj["handling_days_avg"], cgj["promised_days_avg"], cgj["statutory_days_avg"]) == (4, 5, 20)
    assert (cgj["overdue"], cgj["overdue_rate"]) == (0, 0)


def test_months_are_local_and_every_month_of_the_period_is_listed(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 1, 1), date(2026, 4, 30), today=TODAY)
    months = {row["month"]: row for row in stats["months"]}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert months["2026-01"]["cases"] == 0 and months["2026-01"]["rating_avg"] is None
    assert months["2026-02"]["cases"] == 1  # D: 28 Feb 23:30 in Shanghai
    march, april = months["2026-03"], months["2026-04"]
    assert (march["cases"], march["online_share"], march["sub_cases"], march["overdue"]) == (4, 0.5, 9, 4)
    assert march["handling_days_avg"] == pytest.approx(14 / 6)
    assert (april["cases"], april["online"], april["sub_cases"], april["handling_days_avg"]) == (1, 0, 0, None)


def test_the_clock_decides_what_is_overdue_today(history):
    region = Region.objects.get(code="652302")
    early = case_statistics(region, date(2026, 3, 1), date(2026, 4, 30), today=date(2026, 3, 11))
    assert early["total"]["overdue"] == 2  # A1 and B1 were decided late; B2 is due that very day
    late = case_statistics(region, date(2026, 3, 1), date(2026, 4, 30), today=date(2026, 3, 24))
    assert late["total"]["overdue"] == 5  # and C2, due 23 Mar


def test_the_region_filter_takes_the_region_and_below(history):
    assert case_statistics(Region.objects.get(code="652300"), date(2026, 3, 1), date(2026, 4, 30),
                           today=TODAY)["total"]["cases"] == 5
    other = case_statistics(Region.objects.get(code="652301"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    assert other["total"]["cases"] == 0 and other["bundles"] == [] and other["departments"] == []
    assert other["total"]["online_share"] is None and other["total"]["overdue_rate"] is None
    with pytest.raises(ValueError):
        case_statistics(Region.objects.get(code="652302"), date(2026, 4, 1), date(2026, 3, 1))


def test_the_workbook(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    book = load_workbook(io.BytesIO(to_xlsx(stats)))
    assert book.sheetnames == ["按一件事", "按渠道", "按部门", "按月份", "部门评价", "评价理由"]
    rows = list(book["按一件事"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("一件事编码", "一件事名称", "办件数（件）", "网上办件占比（%）")
    assert "平均办理时长（工作日）" in header and "超期率（%）" in header and "满意率（%，4分及以上）" in header
    restaurant_row = dict(zip(header, rows[1], strict=True))
    assert restaurant_row["一件事编码"] == "YJS-CY" and restaurant_row["办件数（件）"] == 5
    assert restaurant_row["平均办理时长（工作日）"] == pytest.approx(14 / 6)
    assert restaurant_row["超期件数（件）"] == 4 and restaurant_row["平均评分（分，1–5）"] == 4
    assert rows[2][0] == "合计" and len(rows) == 3
    assert book["按一件事"].cell(row=2, column=4).number_format == "0.0%"
    departments = list(book["按部门"].iter_rows(values_only=True))
    assert [r[0] for r in departments[1:]] == ["652302-CGJ", "652302-SCJG"]  # no total: departments overlap
    months = list(book["按月份"].iter_rows(values_only=True))
    assert [r[0] for r in months[1:]] == ["2026-03", "2026-04", "合计"]
    assert months[2][1] == 1 and months[2][months[0].index("平均办理时长（工作日）")] is None
    assert restaurant_row["按期办结率（%，整件）"] == 0.5 and restaurant_row["平均到场次数（次，目标 1）"] == 0.8
    assert restaurant_row["整件即办占比（%）"] == 0.5
    assert restaurant_row["分办件按期办结率（%）"] == pytest.approx(4 / 6)
    channels = list(book["按渠道"].iter_rows(values_only=True))
    assert [r[0] for r in channels[1:]] == ["窗口", "网上", "合计"] and channels[1][1] == 3
    ratings = list(book["部门评价"].iter_rows(values_only=True))
    assert ratings[0][:5] == ("部门编码", "部门名称", "评价数（件）", "平均评分（分，1–5）", "好评率（%，4分及以上）")
    assert ratings[2][:5] == ("652302-SCJG", "市场监督管理局", 2, 4, 0.5)
    labels = reason_labels()
    assert ratings[2][5] == f"{labels.get('fast', 'fast')} 2；{labels.get('polite', 'polite')} 1"
    reasons = list(book["评价理由"].iter_rows(values_only=True))
    assert reasons[1:] == [("fast", labels.get("fast", "fast"), 2),
                           ("one_visit", labels.get("one_visit", "one_visit"), 1)]


def test_the_working_day_table_counts_as_working_days_between():
    days = [date(2025, 9, 20) + timedelta(days=n) for n in range(0, 200, 3)]  # National Day, Spring Festival
    between = _working_days(days)
    for start in days[::5]:
        for end in days:
            assert between(start, end) == workdays.working_days_between(start, end), (start, end)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_hostile_bundle_and_department_names_are_text_in_the_workbook(restaurant, staff, name):
    """Bundle and department names are typed by administrators: each is written as text, never as a formula."""
    clerk, _ = staff
    restaurant.name = name
    restaurant.save()
    Department.objects.filter(code="652302-SCJG").update(name=name)
    cases.accept(_submit(restaurant, "online", at(2)), clerk, now=at(2))
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 3, 31), today=TODAY)
    book = load_workbook(io.BytesIO(to_xlsx(stats)))
    bundle = book["按一件事"]["B2"]
    department = next(row[1] for row in book["按部门"].iter_rows(min_row=2) if row[0].value == "652302-SCJG")
    for cell in (bundle, department):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (name.replace("\r", "\n"), "s", True)
    assert (book["按一件事"]["C2"].value, book["按一件事"]["C2"].data_type) == (1, "n")


def test_keeping_the_promise_instant_items_and_visits(history):
    total = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30),
                            today=TODAY)["total"]
    assert (total["finished"], total["within"], total["within_share"]) == (2, 1, 0.5)  # A late, F within
    assert (total["on_time"], total["on_time_share"]) == (4, pytest.approx(4 / 6))
    assert (total["instant"], total["instant_share"]) == (2, pytest.approx(2 / 6))  # F1, F2
    assert (total["instant_cases"], total["instant_case_share"]) == (1, 0.5)  # F
    assert (total["visits_sum"], total["visits_avg"]) == (4, 0.8)


def test_the_channel_table(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    window, online = stats["channels"]
    assert (window["channel"], window["label"], online["channel"], online["label"]) == \
        ("window", "窗口", "online", "网上")
    # window: B, F, E; sub-cases B1 B2 F1 F2, decided B1 (late) F1 F2
    assert (window["cases"], window["online"], window["sub_cases"], window["decided"]) == (3, 0, 4, 3)
    assert (window["finished"], window["within_share"], window["instant_case_share"]) == (1, 1.0, 1.0)
    assert window["on_time_share"] == pytest.approx(2 / 3) and window["instant_share"] == pytest.approx(2 / 3)
    assert window["visits_avg"] == pytest.approx(4 / 3)
    assert window["handling_days_avg"] == pytest.approx(5 / 3)  # B1 3, F1 1, F2 1
    assert window["statutory_days_avg"] == pytest.approx(50 / 3)  # 15 + 15 + 20
    assert (window["rated"], window["rating_avg"]) == (1, 3.0)
    # online: A, C; decided A1 (late) A2 A3
    assert (online["cases"], online["online"], online["sub_cases"], online["decided"], online["open"]) == \
        (2, 2, 5, 3, 2)
    assert (online["finished"], online["within_share"], online["instant"], online["instant_case_share"]) == \
        (1, 0.0, 0, 0.0)
    assert online["on_time_share"] == pytest.approx(2 / 3) and online["visits_avg"] == 0
    assert online["handling_days_avg"] == pytest.approx(9 / 3)  # 3 + 2 + 4
    for name in ("cases", "sub_cases", "decided", "finished", "within", "instant", "visits_sum", "handling_sum"):
        assert window[name] + online[name] == stats["total"][name], name
    empty = case_statistics(Region.objects.get(code="652301"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    assert [(row["channel"], row["cases"], row["within_share"], row["visits_avg"]) for row in empty["channels"]] == \
        [("window", 0, None, None), ("online", 0, None, None)]


def test_the_bundle_and_month_rows_carry_the_new_figures(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    [bundle] = stats["bundles"]
    assert (bundle["within_share"], bundle["instant_case_share"], bundle["visits_avg"]) == (0.5, 0.5, 0.8)
    march, april = stats["months"]
    assert (march["finished"], march["visits_sum"], april["visits_sum"], april["within_share"]) == (2, 3, 1, None)
    scjg = stats["departments"][1]
    assert (scjg["code"], scjg["on_time"], scjg["instant"]) == ("652302-SCJG", 3, 2)  # A2 F1 F2 on time
    assert (scjg["within_share"], scjg["instant_case_share"], scjg["visits_avg"]) == (None, None, None)


def test_ratings_per_department_and_reasons(history):
    stats = case_statistics(Region.objects.get(code="652302"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    labels = reason_labels()
    cgj, scjg = stats["department_ratings"]
    assert (scjg["code"], scjg["name"], scjg["ratings"], scjg["score_avg"], scjg["good_share"]) == \
        ("652302-SCJG", "市场监督管理局", 2, 4.0, 0.5)  # D's rating of 28 Feb is outside the period
    assert [(r["code"], r["count"]) for r in scjg["reasons"]] == [("fast", 2), ("polite", 1)]
    assert (cgj["ratings"], cgj["score_avg"], cgj["good_share"]) == (1, 2.0, 0.0)
    assert cgj["reasons"] == [{"code": "slow", "label": labels.get("slow", "slow"), "count": 1}]
    assert [(r["code"], r["count"]) for r in stats["rating_reasons"]] == [("fast", 2), ("one_visit", 1)]
    assert stats["rating_reasons"][0]["label"] == labels.get("fast", "fast")
    other = case_statistics(Region.objects.get(code="652301"), date(2026, 3, 1), date(2026, 4, 30), today=TODAY)
    assert other["department_ratings"] == [] and other["rating_reasons"] == []


def test_the_statistics_take_a_constant_number_of_queries(history, django_assert_num_queries):
    region = Region.objects.get(code="652302")
    with django_assert_num_queries(5):
        case_statistics(region, date(2026, 1, 1), date(2026, 12, 31), today=TODAY)


def test_the_page_shows_channels_bundles_and_department_ratings(history, client, staff):
    import re

    clerk, _ = staff
    client.force_login(clerk)
    page = client.get("/services/statistics/?first=2026-03-01&last=2026-04-30").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "按渠道 渠道 办件数" in text and "窗口 3 100.0% 66.7%" in text and "网上 2 0.0% 66.7%" in text
    assert "开办餐馆一件事 5 50.0% 66.7% 2.3 17.5 33.3% 50.0% 0.80 / 1.0" in text
    labels = reason_labels()
    assert f"市场监督管理局 2 4.00 50.0% {labels.get('fast', 'fast')} 2" in text
