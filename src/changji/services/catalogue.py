"""Bundle versions (一件事版本): draft → published → retired, so running cases keep the version they began on.

Editing a published bundle means making a new draft version (a copy of its items and conditions),
changing the draft, and publishing it, which retires the version published before. Cases point at
the version they were filed on and are never moved. Every step is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction
from django.db.models import Max

from changji.core import audit
from changji.core.transitions import Table, TransitionError, check_transition
from changji.services.cases import CaseError
from changji.services.models import Bundle, BundleItem, BundleStatus

#: The allowed moves of a bundle version.
BUNDLE_MOVES: Mapping[str, frozenset[str]] = {
    BundleStatus.DRAFT: frozenset({BundleStatus.PUBLISHED}),
    BundleStatus.PUBLISHED: frozenset({BundleStatus.RETIRED}),
    BundleStatus.RETIRED: frozenset(),
}
#: The bundle version table (``core.transitions``); the labels are the model field's choices.
# The choices' labels are lazy translation strings (django-stubs: _StrPromise); they render as str wherever the table
# shows them, and stay lazy so a label follows the active language, as before.
BUNDLE_TABLE = Table(noun="一件事版本", moves=BUNDLE_MOVES, labels=cast("dict[Any, str]", dict(BundleStatus.choices)))


def _move(bundle: Bundle, target: str, by: Any) -> None:
    try:
        check_transition(BUNDLE_TABLE, bundle.status, target)
    except TransitionError as error:
        raise CaseError(error.field, error.message) from error
    previous = bundle.status
    bundle.status = target
    bundle.save(update_fields=["status"])
    audit.record(f"services.bundle.{target}", actor=by, target=bundle, region=bundle.region,
                 code=bundle.code, version=bundle.version, previous=previous)


@transaction.atomic
def new_version(bundle: Bundle, by: Any) -> Bundle:
    """A draft copy of ``bundle`` (its items, positions and conditions) as the next version number."""
    latest = Bundle.objects.filter(code=bundle.code).aggregate(v=Max("version"))["v"] or 0
    if Bundle.objects.filter(code=bundle.code, status=BundleStatus.DRAFT).exists():
        raise CaseError("status", "已有草稿版本，请先发布或修改该草稿")
    draft = Bundle.objects.create(
        code=bundle.code, version=latest + 1, name=bundle.name, category=bundle.category, region=bundle.region,
        lead_department=bundle.lead_department, status=BundleStatus.DRAFT,
        refusal_fails_case=bundle.refusal_fails_case, description=bundle.description, demo=bundle.demo,
    )
    BundleItem.objects.bulk_create([BundleItem(bundle=draft, item_id=link.item_id, position=link.position,
                                               condition=link.condition) for link in bundle.bundle_items.all()])
    audit.record("services.bundle.draft", actor=by, target=draft, region=draft.region, code=draft.code,
                 version=draft.version, copied_from=bundle.version)
    return draft


@transaction.atomic
def publish(bundle: Bundle, by: Any) -> Bundle:
    """Publish a draft; the version published before it is retired (new applications use this one)."""
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if not bundle.bundle_items.exists():
        raise CaseError("items", "一件事至少包含一个事项")
    for older in Bundle.objects.select_for_update().filter(code=bundle.code, status=BundleStatus.PUBLISHED):
        _move(older, BundleStatus.RETIRED, by)
    _move(bundle, BundleStatus.PUBLISHED, by)
    return bundle


@transaction.atomic
def retire(bundle: Bundle, by: Any) -> Bundle:
    """Stop new applications on a published version; running cases go on with it."""
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    _move(bundle, BundleStatus.RETIRED, by)
    return bundle
