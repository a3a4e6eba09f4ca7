"""The 定额 service: validation, who may change which rows, audit entries, version copy, crop plans."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from changji.core.models import AuditEntry, Region
from changji.water.models import CropPlan, QuotaNorm
from changji.water.norms import service
from changji.water.norms.service import NormError

pytestmark = pytest.mark.django_db


def values(**changes):
    base = {"year": 2026, "kind": "crop", "category": "葡萄", "region": None, "method": "drip", "value": 380.0,
            "unit": "m³/亩", "source": "测试", "note": ""}
    return {**base, **changes}


def test_prefecture_admin_creates_a_prefecture_wide_row_audited(world):
    norm = service.save_norm(values(), by=world.accounts.pref)
    entry = AuditEntry.objects.get(action="water.norm.create")
    assert norm.region is None and entry.detail["after"]["value"] == 380.0 and entry.detail["before"] is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"value": 0}, "value"), ({"value": -1.0}, "value"), ({"unit": "m³/吨"}, "unit"), ({"unit": "立方"}, "unit"),
    ({"method": ""}, "method"), ({"year": 1800}, "year"), ({"category": "  "}, "category"),
])
def test_invalid_rows_are_refused_and_change_nothing(world, changes, field):
    before = QuotaNorm.objects.count()
    with pytest.raises(NormError) as refused:
        service.save_norm(values(**changes), by=world.accounts.pref)
    assert refused.value.field == field
    assert QuotaNorm.objects.count() == before and not AuditEntry.objects.filter(action__startswith="water.norm")


def test_a_second_row_with_the_same_key_is_refused(world):
    with pytest.raises(NormError, match="已存在"):
        service.save_norm(values(category="棉花", value=300.0), by=world.accounts.pref)
    with pytest.raises(NormError, match="已存在"):
        service.save_norm(values(category="小麦", region=Region.objects.get(pk="652323")), by=world.accounts.pref)


def test_county_operator_edits_only_their_county_rows(world):
    hutubi, manas = Region.objects.get(pk="652323"), Region.objects.get(pk="652324")
    mine = service.save_norm(values(region=hutubi), by=world.accounts.hutubi)
    assert mine.region == hutubi
    with pytest.raises(NormError, match="州级"):
        service.save_norm(values(), by=world.accounts.hutubi)
    with pytest.raises(NormError, match="管辖"):
        service.save_norm(values(region=manas), by=world.accounts.hutubi)
    with pytest.raises(NormError, match="州级"):
        service.save_norm({"value": 1.0}, by=world.accounts.hutubi, norm=world.norms.cotton_2026)
    with pytest.raises(NormError, match="管辖"):
        service.delete_norm(world.norms.maize_manas_2026, by=world.accounts.hutubi)
    with pytest.raises(NormError, match="州级"):  # moving their own row to prefecture-wide is not theirs either
        service.save_norm({"region": None}, by=world.accounts.hutubi, norm=mine)
    with pytest.raises(PermissionDenied):
        service.save_norm(values(region=hutubi, category="苜蓿"), by=world.accounts.viewer)
    service.save_norm({"value": 280.0}, by=world.accounts.hutubi, norm=world.norms.wheat_hutubi_2026)
    entry = AuditEntry.objects.get(action="water.norm.update")
    assert (entry.detail["before"]["value"], entry.detail["after"]["value"]) == (290, 280.0)


def test_a_county_row_must_name_a_county(world):
    with pytest.raises(NormError, match="县"):
        service.save_norm(values(region=Region.objects.get(pk="652300")), by=world.accounts.pref)


def test_visible_rows_are_prefecture_wide_and_the_users_county(world):
    seen = set(service.visible_norms(world.accounts.hutubi).values_list("pk", flat=True))
    assert world.norms.wheat_hutubi_2026.pk in seen and world.norms.cotton_2026.pk in seen
    assert world.norms.maize_manas_2026.pk not in seen
    assert service.visible_norms(world.accounts.pref).count() == QuotaNorm.objects.count()


def test_delete_is_audited_with_what_the_row_said(world):
    service.delete_norm(world.norms.town, by=world.accounts.pref)
    entry = AuditEntry.objects.get(action="water.norm.delete")
    assert entry.detail["before"]["category"] == "城镇居民"
    assert not QuotaNorm.objects.filter(category="城镇居民").exists()


def test_copy_version_copies_to_the_next_year_and_skips_existing_rows(world):
    copied, skipped = service.copy_version(2025, by=world.accounts.pref)
    # 2025 has 棉花 drip and 小麦 drip (prefecture-wide); both already exist in 2026
    assert (copied, skipped) == (0, 2)
    copied, skipped = service.copy_version(2026, by=world.accounts.pref)
    assert (copied, skipped) == (6, 0)
    assert QuotaNorm.objects.filter(year=2027).count() == 6
    assert service.copy_version(2026, by=world.accounts.pref) == (0, 6)
    entries = AuditEntry.objects.filter(action="water.norm.copy")
    assert sorted((e.detail["source_year"], e.detail["copied"]) for e in entries) == [(2025, 0), (2026, 0), (2026, 6)]


def test_a_county_operator_copies_only_their_county_rows(world):
    assert service.copy_version(2026, by=world.accounts.hutubi) == (1, 0)
    assert list(QuotaNorm.objects.filter(year=2027).values_list("category", "region_id")) == [("小麦", "652323")]
    with pytest.raises(NormError):
        service.copy_version(2025, by=world.accounts.hutubi)  # nothing of theirs in 2025


def test_crop_plans_are_scoped_validated_and_audited(world):
    plan = service.save_crop_plan(world.users.hutubi, {"year": 2026, "crop": "棉花", "area_mu": 100.0,
                                                       "method": "drip"}, by=world.accounts.hutubi)
    assert AuditEntry.objects.get(action="water.crop_plan.create").detail["after"]["area_mu"] == 100.0
    with pytest.raises(NormError, match="管辖"):
        service.save_crop_plan(world.users.manas, {"year": 2026, "crop": "棉花", "area_mu": 1.0, "method": "drip"},
                               by=world.accounts.hutubi)
    with pytest.raises(NormError) as refused:
        service.save_crop_plan(world.users.hutubi, {"year": 2026, "crop": "棉花", "area_mu": 0.0, "method": "drip"},
                               by=world.accounts.hutubi)
    assert refused.value.field == "area_mu"
    with pytest.raises(NormError, match="相同作物"):
        service.save_crop_plan(world.users.hutubi, {"year": 2026, "crop": "棉花", "area_mu": 5.0, "method": "drip"},
                               by=world.accounts.hutubi)
    service.save_crop_plan(world.users.hutubi, {"area_mu": 120.0}, by=world.accounts.hutubi, plan=plan)
    assert CropPlan.objects.get(pk=plan.pk).area_mu == 120.0
    service.delete_crop_plan(plan, by=world.accounts.hutubi)
    assert sorted(AuditEntry.objects.filter(action__startswith="water.crop_plan").values_list("action", flat=True)) == [
        "water.crop_plan.create", "water.crop_plan.delete", "water.crop_plan.update"]


def test_suggested_volume_uses_the_users_county_norms(world):
    for crop, area in (("棉花", 100.0), ("小麦", 50.0), ("葡萄", 10.0)):
        service.save_crop_plan(world.users.hutubi, {"year": 2026, "crop": crop, "area_mu": area, "method": "drip"},
                               by=world.accounts.pref)
        service.save_crop_plan(world.users.manas, {"year": 2026, "crop": crop, "area_mu": area, "method": "drip"},
                               by=world.accounts.pref)
    # 呼图壁: 棉花 340 (prefecture), 小麦 290 (county row); 葡萄 has no norm
    assert service.suggested_volume_m3(world.users.hutubi, 2026) == 100 * 340 + 50 * 290
    assert service.suggested_volume_m3(world.users.manas, 2026) == 100 * 340 + 50 * 300
    found = service.suggestion_for(world.users.hutubi, 2026)
    assert [line.crop for line in found.suggestion.missing] == ["葡萄"]
    # 2025 has no plan lines; a zone overrides the user's county
    assert service.suggested_volume_m3(world.users.hutubi, 2025) == 0
    plan = CropPlan.objects.get(water_user=world.users.manas, crop="小麦")
    service.save_crop_plan(world.users.manas, {"zone": Region.objects.get(pk="652323")}, by=world.accounts.pref,
                           plan=plan)
    assert service.suggested_volume_m3(world.users.manas, 2026) == 100 * 340 + 50 * 290
