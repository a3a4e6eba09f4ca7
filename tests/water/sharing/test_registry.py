"""The registry stream: written on every save in its transaction, applied upstream idempotently by natural keys."""

from __future__ import annotations

import pytest
from django.db import transaction

from changji.core.models import Region
from changji.water.models import Allocation, AnnualPlan, Licence, Meter, OutboxEntry, Terminal, WaterUser, Well
from changji.water.sharing import capture, registry_apply
from changji.water.sharing.streams import Row, get

from .conftest import PEER

pytestmark = pytest.mark.django_db


def _forget_county(terminal: Terminal) -> None:
    """Remove the county's rows as if this database were the upstream that never saw them."""
    with capture.quiet():
        Allocation.objects.all().delete()
        AnnualPlan.objects.all().delete()
        Licence.objects.all().delete()
        Meter.objects.all().delete()
        Terminal.objects.all().delete()
        Well.objects.all().delete()
        WaterUser.objects.all().delete()
        for code in ("652323100201", "652323100"):  # the village before its township
            Region.objects.filter(code=code).delete()


def _state() -> list[tuple]:
    return [
        tuple(WaterUser.objects.values_list("code", "name", "region_id", "reported_by")),
        tuple(Well.objects.values_list("code", "name", "region_id", "water_user__code", "reported_by")),
        tuple(Terminal.objects.values_list("protocol", "address", "well__code", "accepted_on", "reported_by")),
        tuple(Meter.objects.values_list("well__code", "kind", "serial", "installed_at")),
        tuple(Licence.objects.values_list("number", "water_user__code", "permitted_m3_per_year", "reported_by")),
        tuple(Licence.wells.through.objects.values_list("licence__number", "well__code")),
        tuple(AnnualPlan.objects.values_list("licence__number", "year", "volume_m3")),
    ]


def test_every_registry_save_writes_an_entry_with_natural_keys(county_registry, sent):
    rows = sent("registry")
    keys = {row.key for row in rows}
    assert {"user:WU-652323-001", "well:652323-00001", "terminal:szy206:6523230001",
            "meter:652323-00001|electromagnetic|DC-1", "licence:取水(新呼)字[2026]第001号",
            "plan:取水(新呼)字[2026]第001号|2026"} <= keys
    well = next(r for r in rows if r.key == "well:652323-00001")
    assert well.region_code == "652323100201" and well.payload["water_user_code"] == "WU-652323-001"
    assert [c for c, *_ in well.payload["regions"]] == ["652300", "652323", "652323100", "652323100201"]
    terminal = next(r for r in rows if r.key.startswith("terminal:"))
    assert "password" not in terminal.payload and terminal.payload["accepted_on"] == "2026-04-01"


def test_a_rolled_back_change_leaves_no_entry(county_registry):
    before = OutboxEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        Well.objects.filter(code="652323-00001").get().save()
        raise RuntimeError("rolled back")
    assert OutboxEntry.objects.count() == before


def test_gateway_bookkeeping_writes_nothing(county_registry, sent):
    sent("registry")
    county_registry.last_peer = "10.0.0.1:4000"
    county_registry.save(update_fields=["last_peer"])
    assert sent("registry") == []


def test_applying_twice_equals_applying_once_and_marks_the_rows_reported(county_registry, sent):
    rows = sent("registry")
    _forget_county(county_registry)
    first = get("registry").apply(rows, PEER)
    assert first.refused == [] and first.applied == len({r.key for r in rows})
    once = _state()
    assert Region.objects.filter(code="652323100201").exists()  # the village came with the well
    second = get("registry").apply(rows, PEER)
    assert second.refused == [] and _state() == once
    assert set(Well.objects.values_list("reported_by", flat=True)) == {PEER}
    assert Allocation.objects.get(well__code="652323-00001", year=2026).allocation_m3 == 80000  # as below


def test_parents_are_applied_first_whatever_the_order(county_registry, sent):
    rows = list(reversed(sent("registry")))
    _forget_county(county_registry)
    assert get("registry").apply(rows, PEER).refused == []
    assert Terminal.objects.get().well.code == "652323-00001"


def test_an_older_snapshot_later_in_the_batch_does_not_win(county_registry, sent):
    sent("registry")
    well = Well.objects.get()
    well.name = "改名后"
    well.save()
    [renamed] = [r for r in sent("registry") if r.key.startswith("well:")]
    older = Row(renamed.key, renamed.region_code, {**renamed.payload, "name": "旧名",
                                                    "changed_at": "2000-01-01T00:00:00+00:00"})
    with capture.quiet():
        Well.objects.update(reported_by=PEER)
        WaterUser.objects.update(reported_by=PEER)
    assert get("registry").apply([renamed, older], PEER).refused == []
    assert Well.objects.get().name == "改名后"


def test_rows_with_unknown_parents_are_refused_with_a_reason_not_raised(county_registry, sent):
    rows = [r for r in sent("registry") if r.key.startswith(("terminal:", "plan:"))]
    _forget_county(county_registry)
    result = get("registry").apply(rows, PEER)
    assert result.applied == 0
    reasons = dict(result.refused)
    assert "未知机井 652323-00001" in reasons["terminal:szy206:6523230001"]
    assert "未知取水许可证" in reasons["plan:取水(新呼)字[2026]第001号|2026"]


def test_a_row_this_level_registered_itself_is_refused(county_registry, sent):
    rows = [r for r in sent("registry") if r.key == "well:652323-00001"]
    result = registry_apply.apply(rows, PEER)
    assert result.applied == 0 and "本级平台直接登记" in result.refused[0][1]


def test_applied_rows_are_pushed_on_upwards(county_registry, sent):
    rows = sent("registry")
    _forget_county(county_registry)
    get("registry").apply(rows, PEER)
    assert {r.key for r in rows} <= {r.key for r in sent("registry")}


def test_a_deleted_plan_is_deleted_upstream(county_registry, sent):
    rows = sent("registry")
    _forget_county(county_registry)
    get("registry").apply(rows, PEER)
    plan = next(r for r in rows if r.key.startswith("plan:"))
    assert get("registry").apply([Row(plan.key, plan.region_code, plan.payload, deleted=True)], PEER).refused == []
    assert not AnnualPlan.objects.exists()
