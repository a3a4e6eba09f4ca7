"""Result delivery (结果送达): window pickup, postal delivery or an e-licence, as the applicant chose when filing.

* ``choose`` checks the choice made on the application form (the online form and the window's walk-in form use
  the same fields): postal delivery needs an address and a recipient; the others keep neither.
* ``hand_over`` is what ``cases.issue`` asks of the method at 出件: who took the results at the window (an in-person
  step), the tracking number of the parcel (the 领取人 becomes "邮寄：<recipient>"), or nothing for an e-licence.
* ``issue_e_licences`` writes an ``ELicence`` for every granted sub-case when the case is issued, whatever the
  method, so the public verify page (``services:verify_licence``) finds every licence the centre issued;
  ``revoke_e_licence`` marks it revoked when a commitment verification revokes the licence.
* ``mask_holder`` is what the public page shows of the holder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from changji.core.errors import Refusal
from changji.services.models import Case, DeliveryMethod, ELicence, ELicenceStatus, SubCase
from changji.services.workflow import SUB_CASE_GRANTED, SubCaseState

#: A parcel's tracking number (快递单号): ASCII letters and digits, as the carriers print them.
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9]{8,40}")
#: Where the results are, per method, for the "results ready" notice and the pages.
WHERE = {
    DeliveryMethod.WINDOW: "请携带身份证件到政务服务中心综合窗口领取",
    DeliveryMethod.POSTAL: "将通过邮政快递寄送",
    DeliveryMethod.E_LICENCE: "电子证照可在政务服务网“证照核验”页面按证照编号查询",
}


class DeliveryError(Refusal):
    """A refused delivery choice or hand-over, on its field (``delivery_method``, ``postal_address``, …)."""


@dataclass(frozen=True)
class Choice:
    """The applicant's choice: the method and, for postal delivery, where and to whom."""

    method: str = DeliveryMethod.WINDOW
    postal_address: str = ""
    postal_recipient: str = ""


WINDOW_PICKUP = Choice()


def choose(method: str, postal_address: str = "", postal_recipient: str = "") -> Choice:
    """The checked choice; postal delivery needs both an address and a recipient."""
    if method not in DeliveryMethod.values:
        raise DeliveryError("delivery_method", f"未知的送达方式：{method}")
    if method != DeliveryMethod.POSTAL:
        return Choice(method)
    address, recipient = postal_address.strip(), postal_recipient.strip()
    if len(address) < 6:
        raise DeliveryError("postal_address", "邮寄送达须填写详细的邮寄地址")
    if not recipient:
        raise DeliveryError("postal_recipient", "邮寄送达须填写收件人")
    if len(address) > 200 or len(recipient) > 60:
        raise DeliveryError("postal_address" if len(address) > 200 else "postal_recipient", "地址或收件人过长")
    return Choice(method, address, recipient)


def apply_choice(case: Case, choice: Choice) -> None:
    """Put ``choice`` on ``case`` (not saved)."""
    case.delivery_method = choice.method
    case.postal_address, case.postal_recipient = choice.postal_address, choice.postal_recipient


@dataclass(frozen=True)
class HandOver:
    """What 出件 records: the 领取人, the note of the step, whether the applicant was there."""

    handed_to: str
    note: str
    in_person: bool


def hand_over(case: Case, handed_to: str = "", tracking_number: str = "") -> HandOver:
    """What the case's method needs at 出件, checked; the tracking number is put on the case (not saved)."""
    if case.delivery_method == DeliveryMethod.POSTAL:
        number = tracking_number.strip()
        if not TRACKING_NUMBER.fullmatch(number) or not number.isascii():
            raise DeliveryError("tracking_number", "请填写快递单号（8–40 位字母或数字）")
        case.postal_tracking_number = number
        recipient = f"邮寄：{case.postal_recipient}"[:64]
        return HandOver(recipient, f"出件，邮寄送达，快递单号：{number}", in_person=False)
    if case.delivery_method == DeliveryMethod.E_LICENCE:
        return HandOver("", "出件，电子证照送达", in_person=False)
    who = handed_to.strip()
    if not who:
        raise DeliveryError("handed_to", "请填写领取人")
    if len(who) > 64:
        raise DeliveryError("handed_to", "领取人不能超过 64 个字")
    return HandOver(who, f"出件，领取人：{who}", in_person=True)


def granted_without_licence(sub: SubCase) -> bool:
    """A granted sub-case whose licence number the department has not recorded yet (after 承诺即准入)."""
    return SubCaseState(sub.state) in SUB_CASE_GRANTED and not sub.licence_number


def number_taken(department_id: Any, number: str, sub: SubCase | None = None) -> bool:
    """True when the department's e-licence ``number`` is already on record (for another sub-case)."""
    taken = ELicence.objects.filter(department_id=department_id, number=number)
    if sub is not None:
        taken = taken.exclude(sub_case=sub)
    return taken.exists()


def issue_e_licences(case: Case, issued_on: date) -> list[ELicence]:
    """One ``ELicence`` per granted sub-case with a licence number (kept as is when one exists already)."""
    made = []
    subs = case.sub_cases.select_related("item", "department").filter(state__in=SUB_CASE_GRANTED).order_by("pk")
    for sub in subs:
        if not sub.licence_number or ELicence.objects.filter(sub_case=sub).exists():
            continue
        if number_taken(sub.department_id, sub.licence_number):
            raise DeliveryError("licence_number", f"{sub.item.name}的证照编号 {sub.licence_number} "
                                                  f"已在{sub.department.name}的电子证照中登记")
        made.append(ELicence.objects.create(
            sub_case=sub, number=sub.licence_number, name=sub.item.result_name or sub.item.name,
            department=sub.department, holder_name=case.applicant_name, issued_on=issued_on,
            valid_until=sub.valid_until))
    return made


def revoke_e_licence(sub: SubCase) -> bool:
    """Mark the sub-case's e-licence revoked; False when none was issued (the case was not issued yet)."""
    return ELicence.objects.filter(sub_case=sub).update(status=ELicenceStatus.REVOKED) > 0


def mask_holder(name: str, enterprise: bool) -> str:
    """The holder as the public page shows it: 王** for a person, 阜康*****有限公司 for an enterprise."""
    name = name.strip()
    if not name:
        return ""
    if not enterprise:
        return name[0] + "*" * max(len(name) - 1, 1)
    if len(name) <= 6:
        return name[:1] + "*" * (len(name) - 1)
    return name[:2] + "*" * (len(name) - 6) + name[-4:]
