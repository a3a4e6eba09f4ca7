"""Who may read an applicant's material (申请材料): the one rule every download goes through.

A material is personal data (identity cards, licences, floor plans). The window clerk who takes the case
reads the materials of the cases of their region; a department reviewer reads a material only once the
case has been accepted (受理) and only when one of their departments' sub-cases of that case is an item
the material belongs to (``Material.item_codes``), so a reviewer cannot browse the county's materials by
id. Anything else is answered as if the material did not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from changji.core import access
from changji.core.scope import scope_queryset
from changji.services.models import Material, SubCase
from changji.services.workflow import CaseState

#: The case states in which the departments work on (or have finished) the case.
ACCEPTED_STATES = frozenset({CaseState.ACCEPTED, CaseState.RESULTS_READY, CaseState.ISSUED, CaseState.RATED})


def readable_material(user: Any, material_id: int) -> Material:
    """Return the material ``material_id`` when ``user`` may read it, else raise ``Http404``."""
    material = (scope_queryset(Material.objects.select_related("case"), user).filter(pk=material_id).first()
                if access.allows(user, access.P.SERVICES_MATERIAL_READ) else None)
    if material is None or not _may_read(user, material):
        raise Http404("材料不存在")
    return material


def _may_read(user: Any, material: Material) -> bool:
    if access.allows(user, access.P.SERVICES_CASE_INTAKE):
        return True  # the window took the case; region scope already applied
    if material.case.state not in ACCEPTED_STATES:
        return False
    items = SubCase.objects.filter(case=material.case, department__reviewers=user).values_list("item__code", flat=True)
    return any(code in material.item_codes for code in items)
