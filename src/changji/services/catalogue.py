"""Bundle versions (一件事版本): draft → published → withdrawn, so running cases keep the version they began on.

Editing a published bundle means making a new draft version (a copy of its questions, items and conditions),
changing the draft, and publishing it with an effective date (生效日期). Publishing freezes the definition
(``definitions.snapshot``) and refuses one whose conditions name nothing it asks (``bundles.check_definition``).
From its effective day the new version is the one applications use (``current_bundles``) and the version before
it is withdrawn: at once when it takes effect today, else by the daily job ``services.catalogue.supersede``
(``supersede_due``). Cases point at the version they were filed on and are never moved. Every step is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from changji.core import audit
from changji.core.errors import Refusal
from changji.core.transitions import Table, TransitionError, check_transition
from changji.services import definitions
from changji.services.models import Bundle, BundleItem, BundleStatus


class CatalogueError(Refusal):
    """A refused change to the catalogue, with the field at fault (``core.errors``)."""


#: The allowed moves of a bundle version.
BUNDLE_MOVES: Mapping[str, frozenset[str]] = {
    BundleStatus.DRAFT: frozenset({BundleStatus.PUBLISHED}),
    BundleStatus.PUBLISHED: frozenset({BundleStatus.WITHDRAWN}),
    BundleStatus.WITHDRAWN: frozenset(),
}
#: The bundle version table (``core.transitions``); the labels are the model field's choices.
# The choices' labels are lazy translation strings (django-stubs: _StrPromise); they render as str wherever the table
# shows them, and stay lazy so a label follows the active language, as before.
BUNDLE_TABLE = Table(noun="一件事版本", moves=BUNDLE_MOVES, labels=cast("dict[Any, str]", dict(BundleStatus.choices)))


def _today() -> date:
    return timezone.localdate()


def current_bundles(today: date | None = None) -> QuerySet[Bundle]:
    """The versions applications use today: published, effective, and no newer effective version of the code."""
    today = today or _today()
    effective = Q(effective_on__isnull=True) | Q(effective_on__lte=today)
    newer = Bundle.objects.filter(effective, code=OuterRef("code"), status=BundleStatus.PUBLISHED,
                                  version__gt=OuterRef("version"))
    return Bundle.objects.filter(effective, status=BundleStatus.PUBLISHED).exclude(Exists(newer))


def _move(bundle: Bundle, target: str, by: Any, reason: str = "") -> None:
    try:
        check_transition(BUNDLE_TABLE, bundle.status, target)
    except TransitionError as error:
        raise CatalogueError(error.field, error.message) from error
    previous = bundle.status
    bundle.status = target
    bundle.save()
    audit.record(f"services.bundle.{target}", actor=by, target=bundle, region=bundle.region, reason=reason,
                 code=bundle.code, version=bundle.version, previous=previous)


@transaction.atomic
def new_version(bundle: Bundle, by: Any) -> Bundle:
    """A draft copy of ``bundle`` (its questions, items, positions and conditions) as the next version number."""
    latest = Bundle.objects.filter(code=bundle.code).aggregate(v=Max("version"))["v"] or 0
    if Bundle.objects.filter(code=bundle.code, status=BundleStatus.DRAFT).exists():
        raise CatalogueError("status", "已有草稿版本，请先发布或修改该草稿")
    draft = Bundle.objects.create(
        code=bundle.code, version=latest + 1, name=bundle.name, category=bundle.category, region=bundle.region,
        lead_department=bundle.lead_department, status=BundleStatus.DRAFT, online_allowed=bundle.online_allowed,
        refusal_fails_case=bundle.refusal_fails_case, description=bundle.description, demo=bundle.demo,
        questions=bundle.questions,
    )
    BundleItem.objects.bulk_create([BundleItem(bundle=draft, item_id=link.item_id, position=link.position,
                                               condition=link.condition) for link in bundle.bundle_items.all()])
    audit.record("services.bundle.draft", actor=by, target=draft, region=draft.region, code=draft.code,
                 version=draft.version, copied_from=bundle.version)
    return draft


@transaction.atomic
def publish(bundle: Bundle, by: Any, effective_on: date | None = None) -> Bundle:
    """Publish a draft from ``effective_on`` (default today, never earlier); its definition is frozen.

    The version it replaces is withdrawn once this one takes effect (now, when that is today).
    """
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    today = _today()
    effective_on = effective_on or today
    if effective_on < today:
        raise CatalogueError("effective_on", "生效日期不能早于今天")
    if bundle.status != BundleStatus.DRAFT:
        raise CatalogueError("status", "只有草稿可以发布")
    errors = definitions.snapshot(bundle)
    if errors:
        raise CatalogueError("items", "；".join(errors))
    bundle.effective_on, bundle.published_at = effective_on, timezone.now()
    _move(bundle, BundleStatus.PUBLISHED, by, f"生效日期 {effective_on:%Y-%m-%d}")
    if Bundle.objects.filter(code=bundle.code, status=BundleStatus.PUBLISHED).exclude(pk=bundle.pk).exists():
        supersede_due(by, today, code=bundle.code)  # an older version to withdraw, now if this one is effective
    return bundle


@transaction.atomic
def withdraw(bundle: Bundle, by: Any, reason: str = "") -> Bundle:
    """Stop new applications on a published version; running cases go on with it."""
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    _move(bundle, BundleStatus.WITHDRAWN, by, reason or "撤回")
    return bundle


@transaction.atomic
def supersede_due(by: Any = "system", today: date | None = None, code: str | None = None) -> int:
    """Withdraw every published version a newer effective version replaces; return how many."""
    today = today or _today()
    current = current_bundles(today)
    if code is not None:  # one bundle's versions (a publish): not the whole catalogue's
        current = current.filter(code=code)
    latest = {row["code"]: row["version"] for row in current.values("code", "version")}
    older = Bundle.objects.filter(status=BundleStatus.PUBLISHED, code__in=list(latest))
    count = 0
    for bundle in older.select_for_update():
        if bundle.version < latest[bundle.code]:
            _move(bundle, BundleStatus.WITHDRAWN, by, f"由第 {latest[bundle.code]} 版取代")
            count += 1
    return count
