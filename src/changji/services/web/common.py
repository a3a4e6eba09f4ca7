"""Helpers shared by the services pages: looking up a case for the applicant, certificate data."""

from __future__ import annotations

import secrets
from datetime import datetime

from changji.services import certificate
from changji.services.models import Case, SubCase
from changji.services.workflow import SUB_CASE_LABELS, CaseState, SubCaseState

#: What the certificate prints for a sub-case. Items granted on commitment stay "承诺即准入" after a
#: confirming verification (so a printed certificate keeps verifying); a revocation flips it to 不予许可.
_GRANTED, _REFUSED, _COMMITTED = (SUB_CASE_LABELS[SubCaseState.APPROVED], SUB_CASE_LABELS[SubCaseState.REFUSED],
                                  SUB_CASE_LABELS[SubCaseState.COMMITTED])
CERTIFICATE_OUTCOMES = {
    SubCaseState.APPROVED: _GRANTED, SubCaseState.REFUSED: _REFUSED, SubCaseState.WITHDRAWN: _REFUSED,
    SubCaseState.COMMITTED: _COMMITTED, SubCaseState.CONFIRMED: _COMMITTED, SubCaseState.RECTIFY: _COMMITTED,
    SubCaseState.REVOKED: _REFUSED,
}
ISSUED_STATES = (CaseState.ISSUED, CaseState.RATED)


def find_case(receipt_number: str, query_code: str) -> Case | None:
    """The case for a receipt number and its query code; None for either wrong (the caller says only 未找到)."""
    case = Case.objects.select_related("bundle").filter(receipt_number=receipt_number.strip()).first()
    if case is None or not secrets.compare_digest(case.query_code.encode(), query_code.strip().encode()):
        return None
    return case


def certificate_items(case: Case) -> tuple[certificate.CertificateItem, ...]:
    subs = SubCase.objects.filter(case=case).select_related("item", "department").order_by("pk")
    return tuple(certificate.CertificateItem(
        item_name=s.item.name, department=s.department.name, outcome=CERTIFICATE_OUTCOMES[SubCaseState(s.state)],
        licence_number=s.licence_number or None, valid_until=s.valid_until) for s in subs)


def _issued_at(case: Case) -> datetime:
    """When ``case`` was issued; only for a case in ``ISSUED_STATES``, whose issued_at ``cases.issue`` has set."""
    assert case.issued_at is not None, f"case {case.pk} has no issued_at: it was not issued"
    return case.issued_at


def case_fingerprint(case: Case) -> str:
    return certificate.fingerprint(receipt_number=case.receipt_number, bundle_name=case.bundle.name,
                                   applicant_identifier=case.applicant_identifier, items=certificate_items(case),
                                   issued_at=_issued_at(case))


def certificate_data(case: Case, verify_base: str) -> certificate.CertificateData:
    """The 办结凭证 of an issued case; ``verify_base`` is the absolute URL of the public verify page."""
    digest = case_fingerprint(case)
    return certificate.CertificateData(
        receipt_number=case.receipt_number, bundle_name=case.bundle.name, applicant_name=case.applicant_name,
        applicant_identifier=case.applicant_identifier, issued_at=_issued_at(case),
        issuing_office=f"{case.region.name}政务服务中心", items=certificate_items(case),
        verify_url=certificate.build_verify_url(verify_base, case.receipt_number, digest), digest=digest)
