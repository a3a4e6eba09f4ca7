"""好差评 per case and per department, with reasons from a fixed list (``services.ratings``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changji.core.models import AuditEntry
from changji.services import cases, ratings
from changji.services.cases import Applicant, CaseError
from changji.services.models import Case, Department, DepartmentRating

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ANSWERS = {"business_name": "老王面馆", "address": "阜康市天池街 1 号", "legal_person": "王某",
           "registered_capital": 10, "food_category": "热食类", "outdoor_sign": True, "sign_size": "3×1"}
MATERIALS = {code: (f"{code}.pdf", f"%PDF {code}".encode()) for code in
             ("id", "lease", "articles", "layout", "food_safety", "sign_design")}


@pytest.fixture
def issued(restaurant, staff) -> Case:
    """A restaurant case with a sign permit: 市场监管 and 城管 each decided their items; issued."""
    clerk, reviewers = staff
    case = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "online", ANSWERS, MATERIALS,
                        by="applicant", now=MONDAY)
    for sub in cases.accept(case, clerk, now=MONDAY):
        reviewer = reviewers[sub.department.code.split("-")[1]]
        cases.claim(sub, reviewer)
        cases.decide(sub, reviewer, True, "符合条件", f"N-{sub.item.code}")
    case.refresh_from_db()
    cases.issue(case, clerk, handed_to="王某")
    case.refresh_from_db()
    return case


def dept(code: str) -> Department:
    return Department.objects.get(code=f"652302-{code}")


def test_the_reasons_are_a_fixed_list_of_good_and_bad_ones():
    codes = [reason.code for reason in ratings.REASONS]
    assert len(codes) == len(set(codes))
    labels = {reason.label: reason.good for reason in ratings.REASONS}
    assert labels["一次办成"] and labels["材料精简"] and not labels["多次跑动"] and not labels["超时办理"]


def test_the_case_and_each_department_are_rated_with_reasons(issued):
    scjg, cgj = dept("SCJG"), dept("CGJ")
    assert [d.code for d in ratings.departments_of(issued)] == ["652302-CGJ", "652302-SCJG"]
    ratings.rate(issued, "applicant", 4, " 总体不错 ", ["fast", "one_visit", "fast"], {
        scjg.pk: (5, ["warm"], ""), cgj.pk: (2, ["long_wait", "overdue"], "招牌审批慢")})
    issued.refresh_from_db()
    assert (issued.state, issued.rating, issued.rating_comment, issued.rating_reasons) == (
        "rated", 4, "总体不错", ["one_visit", "fast"])  # each once, in the list's order
    assert sorted(DepartmentRating.objects.values_list("department__code", "score", "reasons", "comment")) == [
        ("652302-CGJ", 2, ["long_wait", "overdue"], "招牌审批慢"), ("652302-SCJG", 5, ["warm"], "")]
    entry = AuditEntry.objects.get(action="services.rating.recorded")
    assert entry.detail["departments"] == {"652302-SCJG": 5, "652302-CGJ": 2}


def test_a_rating_without_departments_or_reasons(issued):
    ratings.rate(issued, "applicant", 5)
    issued.refresh_from_db()
    assert (issued.state, issued.rating, issued.rating_reasons) == ("rated", 5, [])
    assert not DepartmentRating.objects.exists()


@pytest.mark.parametrize("score, reasons, departments, field", [
    (0, [], {}, "rating"), (6, [], {}, "rating"), (True, [], {}, "rating"), ("5", [], {}, "rating"),
    (2, [], {}, "reasons"),  # a 差评 says why
    (5, ["bogus"], {}, "reasons"),
    (5, [], {"CGJ": (1, [], "")}, "department_CGJ_reasons"),
    (5, [], {"CGJ": (9, ["fast"], "")}, "department_CGJ"),
    (5, [], {"CGJ": (4, ["nope"], "")}, "department_CGJ_reasons"),
    (5, [], {"CGJ": (4, [], "长" * 501)}, "department_CGJ_comment"),
    (5, [], {"JTJ": (4, [], "")}, "department_ratings"),  # a department that handled nothing of this case
])
def test_a_bad_rating_is_refused_and_nothing_is_stored(issued, score, reasons, departments, field):
    by_id = {dept(code).pk: value for code, value in departments.items()}
    with pytest.raises(CaseError) as error:
        ratings.rate(issued, "applicant", score, "", reasons, by_id)
    expected = field.replace("CGJ", str(dept("CGJ").pk))
    assert error.value.field == expected
    issued.refresh_from_db()
    assert (issued.state, issued.rating) == ("issued", None) and not DepartmentRating.objects.exists()


def test_a_case_is_rated_once_and_only_after_issue(issued, restaurant):
    ratings.rate(issued, "applicant", 5)
    with pytest.raises(CaseError):
        ratings.rate(issued, "applicant", 1, "", ["rude"])
    other = cases.submit(restaurant, Applicant("enterprise", "某公司", USCC), "online", ANSWERS, MATERIALS,
                         by="applicant", now=MONDAY)
    with pytest.raises(CaseError):
        ratings.rate(other, "applicant", 5)
