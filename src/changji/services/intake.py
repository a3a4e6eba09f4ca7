"""前台综合受理: a walk-in application filed by the window clerk with the applicant at the window.

The clerk fills the one form with the applicant, checks the identifier (resident ID or credit code, by its
check character: ``core.identity`` through ``cases.submit``), scans or uploads each material or marks it
seen in original (``Material.seen_in_original``, no file, the clerk's name), and records how the applicant
wants the results (``DeliveryMethod``). The case is filed with channel "window" (``cases.submit``, the first
visit), on the clerk's window when they sit at one; with nothing missing it is accepted in the same step.
Answers, uploads and ticks for questions and materials whose condition does not hold are dropped
(``bundles.required_form`` / ``required_materials``), whatever the browser sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from changji.core import access
from changji.services import bundles, cases, definitions
from changji.services.models import Bundle, Case, Channel, DeliveryMethod, Material, ServiceWindow


@dataclass(frozen=True)
class Delivery:
    """How the applicant receives the results; postal needs an address and a recipient."""

    method: str = DeliveryMethod.WINDOW
    address: str = ""
    recipient: str = ""


def relevant_answers(definition: bundles.Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to what is asked for these answers (a hidden field's stale value is dropped).

    Repeated until stable: dropping an answer may hide a field whose condition named it.
    """
    kept = dict(answers)
    while True:
        asked = {f.name for f in bundles.required_form(definition, kept)}
        narrowed = {name: value for name, value in kept.items() if name in asked}
        if narrowed == kept:
            return kept
        kept = narrowed


def _check_delivery(delivery: Delivery) -> None:
    if delivery.method not in DeliveryMethod.values:
        raise cases.CaseError("delivery_method", "请选择结果送达方式")
    if delivery.method == DeliveryMethod.POSTAL:
        if not delivery.address.strip():
            raise cases.CaseError("postal_address", "邮寄送达须填写邮寄地址")
        if not delivery.recipient.strip():
            raise cases.CaseError("postal_recipient", "邮寄送达须填写收件人")


def window_of(clerk: Any, bundle: Bundle) -> ServiceWindow | None:
    """The active window of the bundle's region where ``clerk`` sits, if any."""
    return (ServiceWindow.objects.filter(clerks=clerk, region=bundle.region, active=True).order_by("number").first()
            if getattr(clerk, "pk", None) else None)


@transaction.atomic
def file_at_window(bundle: Bundle, applicant: cases.Applicant, answers: dict[str, Any],
                   uploads: dict[str, tuple[str, bytes]], seen_in_original: set[str], delivery: Delivery, by: Any,
                   accept_now: bool = False, now: datetime | None = None) -> Case:
    """File the walk-in application (channel window, one visit); accept it at once when asked and complete.

    ``uploads``: ``{material code: (file name, bytes)}``; ``seen_in_original``: the codes whose originals the
    clerk saw (stored without a file; they count as supplied). Refusals are ``cases.CaseError``.
    """
    access.check_actor(by, access.P.SERVICES_CASE_INTAKE, bundle.region)
    _check_delivery(delivery)
    now = now or timezone.now()
    definition = definitions.definition_of(bundle)
    answers = relevant_answers(definition, answers)
    needed = {m.code: m for m in bundles.required_materials(definition, answers)}
    scans = {code: upload for code, upload in uploads.items() if code in needed}
    case = cases.submit(bundle, applicant, Channel.WINDOW, answers, scans, by, now=now, in_person=True)
    clerk_name = by.get_username() if hasattr(by, "get_username") else str(by)
    for code in sorted(set(seen_in_original) & set(needed)):
        spec = needed[code]
        if code in scans:  # a scan and the original: the scan is kept and marked checked
            Material.objects.filter(case=case, code=code).update(seen_in_original=True, checked_by_name=clerk_name)
        else:
            Material.objects.create(case=case, code=code, name=spec.name, item_codes=list(spec.items),
                                    seen_in_original=True, checked_by_name=clerk_name)
    case.window = window_of(by, bundle)
    case.identity_checked_at = now  # cases.submit has validated the identifier's check character
    case.delivery_method = delivery.method
    if delivery.method == DeliveryMethod.POSTAL:
        case.postal_address, case.postal_recipient = delivery.address.strip(), delivery.recipient.strip()
    case.save(update_fields=["window", "identity_checked_at", "delivery_method", "postal_address",
                             "postal_recipient"])
    if accept_now and not cases.missing_for(case):
        cases.accept(case, by, now=now)
        case.refresh_from_db()
    return case
