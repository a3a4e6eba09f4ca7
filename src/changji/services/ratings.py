"""好差评: the applicant's rating of an issued case, and of each department that handled part of it, with reasons.

The reasons are a fixed list (``REASONS``: code, label, good or bad), so that the statistics count them; a low
score (``LOW_SCORE`` or less) needs at least one reason, so that a 差评 says what went wrong. ``rate`` stores the
case's score, comment and reasons (``Case.rating``, ``rating_comment``, ``rating_reasons``) and one
``DepartmentRating`` per department rated, moves the case to rated (``services.case.rated``) and audits the
department scores (``services.rating.recorded``). Nothing is stored when any part is refused. (It replaces
``cases.rate``: call ``ratings.rate(case, by, rating, comment)`` where that was called.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from changji.core import audit
from changji.services import cases
from changji.services.cases import CaseError
from changji.services.models import Case, Department, DepartmentRating
from changji.services.workflow import CaseState, SubCaseState


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    good: bool


REASONS: tuple[Reason, ...] = (
    Reason("one_visit", "一次办成", True),
    Reason("warm", "态度热情", True),
    Reason("fast", "效率高", True),
    Reason("few_materials", "材料精简", True),
    Reason("clear_guidance", "指引清晰", True),
    Reason("many_trips", "多次跑动", False),
    Reason("long_wait", "等候时间长", False),
    Reason("many_materials", "材料繁琐", False),
    Reason("rude", "态度生硬", False),
    Reason("overdue", "超时办理", False),
    Reason("unclear", "告知不清", False),
)
REASON_LABELS = {reason.code: reason.label for reason in REASONS}
#: A score of this or less is a 差评 and needs at least one reason.
LOW_SCORE = 2
SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "很不满意"}
MAX_COMMENT = 500

#: ``{department id: (score, reason codes, comment)}``
DepartmentScores = Mapping[int, tuple[int, Iterable[str], str]]


def departments_of(case: Case) -> list[Department]:
    """The departments that handled a sub-case of ``case`` (not those whose sub-case was withdrawn), by code."""
    ids = case.sub_cases.exclude(state=SubCaseState.WITHDRAWN).values_list("department_id", flat=True)
    return list(Department.objects.filter(pk__in=ids).order_by("code"))


def _checked(field: str, score: Any, reasons: Iterable[str], comment: str) -> tuple[int, list[str], str]:
    """One score with its reasons and comment, checked; the reasons in ``REASONS`` order, each once."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise CaseError(field, "评价须为 1 至 5 分")
    given = set(reasons)
    unknown = sorted(given - set(REASON_LABELS))
    if unknown:
        raise CaseError(f"{field}_reasons" if field != "rating" else "reasons", f"未知的评价理由：{'、'.join(unknown)}")
    if score <= LOW_SCORE and not given:
        raise CaseError(f"{field}_reasons" if field != "rating" else "reasons", "差评（2 分及以下）请至少选择一项理由")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise CaseError(f"{field}_comment" if field != "rating" else "comment", f"评价意见不能超过 {MAX_COMMENT} 字")
    return score, [reason.code for reason in REASONS if reason.code in given], comment


@transaction.atomic
def rate(case: Case, by: Any, rating: int, comment: str = "", reasons: Iterable[str] = (),
         department_ratings: DepartmentScores | None = None) -> Case:
    """Rate an issued case (1 很不满意 … 5 非常满意) and the departments that handled it; once.

    ``department_ratings`` maps a department's id to ``(score, reasons, comment)``; a department that did not
    handle a sub-case of the case is refused. A refusal names its field: ``rating``/``reasons``/``comment``
    for the case, ``department_<id>``/``department_<id>_reasons``/``department_<id>_comment`` for a department.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.state != CaseState.ISSUED:
        raise CaseError("rating", "只有已出件且尚未评价的办件可以评价")
    score, chosen, comment = _checked("rating", rating, reasons, comment)
    handled = {department.pk: department for department in departments_of(case)}
    rated: list[tuple[Department, tuple[int, list[str], str]]] = []
    for department_id, (dept_score, dept_reasons, dept_comment) in (department_ratings or {}).items():
        if department_id not in handled:
            raise CaseError("department_ratings", "只能评价办理了本件事项的部门")
        rated.append((handled[department_id],
                      _checked(f"department_{department_id}", dept_score, dept_reasons, dept_comment)))
    case.rating, case.rating_comment, case.rating_reasons = score, comment, chosen
    cases._move_case(case, CaseState.RATED, by, comment, rating=score)  # the case's move, as every other's
    DepartmentRating.objects.bulk_create([
        DepartmentRating(case=case, department=department, score=checked[0], reasons=checked[1], comment=checked[2])
        for department, checked in rated])
    audit.record("services.rating.recorded", actor=by, target=case, region=case.region,
                 receipt_number=case.receipt_number, rating=score, reasons=chosen,
                 departments={department.code: checked[0] for department, checked in rated})
    return case
