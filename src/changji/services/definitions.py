"""A bundle version's definition (``bundles.Definition``): live from the catalogue for a draft, frozen once published.

``definition_of(bundle)`` is what every page, the API and ``services.cases`` read: the questions, the items that
may apply with their fields, materials and limits. A draft reads the catalogue as it is now (``live_definition``);
a published or withdrawn version reads ``Bundle.definition``, written once by ``snapshot`` when it was published,
so editing an item later never changes the form, the materials or the limits of cases filed on that version.
"""

from __future__ import annotations

from typing import Any

from changji.services import bundles
from changji.services.models import Bundle, BundleStatus, Item


def item_spec(item: Item, condition: Any = None) -> bundles.ItemSpec:
    """One catalogue item as a plain spec (its department by code, its limits, fields and materials)."""
    return bundles.ItemSpec(
        code=item.code, condition=condition or None, name=item.name, department=item.department.code,
        fields=tuple(bundles.field_from_json(f) for f in item.form_fields),
        materials=tuple(bundles.material_from_json(m) for m in item.materials),
        instant=item.instant, inspection=item.inspection_required, inspection_limit_days=item.inspection_limit_days,
        promised_limit_days=item.promised_limit_days, statutory_limit_days=item.statutory_limit_days,
        commitment_allowed=item.commitment_allowed, result_type=item.result_type, result_name=item.result_name,
        fee_yuan=str(item.fee_yuan),
    )


def live_definition(bundle: Bundle) -> bundles.Definition:
    """The bundle as the catalogue describes it now (its questions, its items in order with their conditions)."""
    links = bundle.bundle_items.select_related("item__department").order_by("position", "pk")
    return bundles.Definition(questions=tuple(bundles.field_from_json(q) for q in bundle.questions),
                              items=tuple(item_spec(link.item, link.condition) for link in links))


def definition_of(bundle: Bundle) -> bundles.Definition:
    """The definition cases on ``bundle`` are judged against: frozen once published, live while a draft."""
    if bundle.status != BundleStatus.DRAFT and bundle.definition:
        return bundles.definition_from_json(bundle.definition)
    return live_definition(bundle)


def snapshot(bundle: Bundle) -> list[str]:
    """Freeze the live definition into ``bundle.definition`` (not saved); return why it cannot be published."""
    definition = live_definition(bundle)
    errors = bundles.check_definition(definition)
    if not errors:
        bundle.definition = bundles.definition_to_json(definition)
    return errors


def question_labels(bundle: Bundle) -> dict[str, str]:
    """Every name the bundle asks (questions and fields) with its label, for showing a case's answers."""
    definition = definition_of(bundle)
    labels = {f.name: f.label for item in definition.items for f in item.fields}
    labels.update({q.name: q.label for q in definition.questions})
    return labels
