"""save_licence and transition_licence: validation, scope, audit entries."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changji.core.models import AuditEntry
from changji.water.licences.service import save_licence, transition_licence
from changji.water.models import Licence
from tests.water.licences.conftest import licence_data


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("at"))


def test_create_is_audited_with_every_field(world, licence):
    assert licence.state == "valid" and licence.region_id == "652323"
    assert sorted(w.code for w in licence.wells.all()) == [w.code for w in world.wells]
    (entry,) = _entries("water.licence.create")
    assert entry.object_id == str(licence.pk) and entry.actor == world.operator
    assert entry.detail["wells"] == [w.code for w in world.wells]
    assert entry.detail["valid_to"] == "2030-12-31" and entry.detail["water_user"] == "HTB-U1"


def test_update_audits_only_the_changed_fields(world, licence):
    save_licence(licence_data(world.user, world.wells[:2], permitted_m3_per_year=90_000.0), world.operator, licence)
    (entry,) = _entries("water.licence.update")
    assert entry.detail["changed"] == {"permitted_m3_per_year": [120_000.0, 90_000.0],
                                       "wells": [[w.code for w in world.wells], [w.code for w in world.wells[:2]]]}
    save_licence(licence_data(world.user, world.wells[:2], permitted_m3_per_year=90_000.0), world.operator, licence)
    assert len(_entries("water.licence.update")) == 1  # nothing changed: nothing audited


@pytest.mark.parametrize(("change", "field"), [
    ({"valid_to": date(2025, 12, 31)}, "valid_to"),
    ({"permitted_m3_per_year": -1.0}, "permitted_m3_per_year"),
    ({"permitted_m3_per_year": float("nan")}, "permitted_m3_per_year"),
    ({"number": " "}, "number"),
    ({"issuing_authority": ""}, "issuing_authority"),
    ({"source": "rain"}, "source"),
])
def test_bad_fields_are_refused_and_nothing_is_saved(world, change, field):
    with pytest.raises(ValidationError) as refused:
        save_licence(licence_data(world.user, world.wells, **change), world.operator)
    assert field in refused.value.message_dict
    assert not Licence.objects.exists() and not AuditEntry.objects.filter(action__startswith="water.licence").exists()


def test_number_is_unique(world, licence):
    with pytest.raises(ValidationError) as refused:
        save_licence(licence_data(world.user, []), world.operator)
    assert "number" in refused.value.message_dict


def test_wells_must_be_the_holders_own(world):
    with pytest.raises(ValidationError) as refused:
        save_licence(licence_data(world.user, world.other_wells[:1]), world.admin)
    assert "wells" in refused.value.message_dict


def test_a_well_is_in_one_living_licence_of_a_source_at_a_time(world, licence):
    overlapping = licence_data(world.user, world.wells[:1], number="二号证", valid_from=date(2030, 6, 1),
                               valid_to=date(2033, 5, 31))
    with pytest.raises(ValidationError) as refused:
        save_licence(overlapping, world.operator)
    assert world.wells[0].code in refused.value.message_dict["wells"][0]
    save_licence({**overlapping, "source": "surface"}, world.operator)  # another source: fine
    save_licence({**overlapping, "number": "三号证", "valid_from": date(2031, 1, 1)}, world.operator)  # no overlap
    transition_licence(licence, "revoked", world.operator, "违法取水")
    save_licence({**overlapping, "number": "四号证", "valid_from": date(2026, 1, 1),
                  "valid_to": date(2030, 12, 31)}, world.operator)  # the revoked licence holds nothing


def test_another_countys_operator_may_not_register_or_edit(world, licence):
    with pytest.raises(PermissionDenied):
        save_licence(licence_data(world.user, world.wells, number="x"), world.other_operator)
    with pytest.raises(PermissionDenied):
        save_licence(licence_data(world.user, world.wells, permitted_m3_per_year=1.0), world.other_operator, licence)
    with pytest.raises(PermissionDenied):
        transition_licence(licence, "suspended", world.other_operator, "越权")
    with pytest.raises(PermissionDenied):
        transition_licence(licence, "suspended", world.viewer, "无权")
    assert Licence.objects.get().state == "valid"


def test_the_water_user_does_not_change(world, licence):
    with pytest.raises(ValidationError) as refused:
        save_licence(licence_data(world.other_user, [], number=licence.number), world.admin, licence)
    assert "water_user" in refused.value.message_dict


def test_transitions_are_audited_and_checked(world, licence):
    transition_licence(licence, "suspended", world.operator, "超许可取水")
    licence.refresh_from_db()
    assert (licence.state, licence.state_reason) == ("suspended", "超许可取水")
    (entry,) = _entries("water.licence.suspended")
    assert entry.reason == "超许可取水" and entry.detail["from_state"] == "valid"
    with pytest.raises(ValidationError) as no_reason:
        transition_licence(licence, "valid", world.operator, " ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as system_only:
        transition_licence(licence, "expired", world.operator, "到期")
    assert "state" in system_only.value.message_dict
    transition_licence(licence, "valid", world.operator, "整改完成")
    transition_licence(licence, "revoked", world.operator, "拒不整改")
    with pytest.raises(ValidationError):
        transition_licence(licence, "valid", world.operator, "恢复")
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(licence.pk)).order_by("at")] == [
        "water.licence.create", "water.licence.suspended", "water.licence.valid", "water.licence.revoked"]


def test_an_expired_licence_is_renewed_only_with_a_new_term(world, licence):
    transition_licence(licence, "expired", "system", "有效期届满")
    with pytest.raises(ValidationError) as refused:
        transition_licence(licence, "valid", world.operator, "延续", on=date(2031, 2, 1))
    assert "state" in refused.value.message_dict
    save_licence(licence_data(world.user, world.wells, valid_to=date(2035, 12, 31)), world.operator, licence)
    transition_licence(licence, "valid", world.operator, "延续", on=date(2031, 2, 1))
    assert Licence.objects.get().state == "valid"


def test_a_renewal_may_not_take_back_wells_another_licence_now_holds(world, licence):
    transition_licence(licence, "expired", "system", "有效期届满")
    save_licence(licence_data(world.user, world.wells[:1], number="新证", valid_from=date(2031, 1, 1),
                              valid_to=date(2035, 12, 31)), world.operator)
    save_licence(licence_data(world.user, world.wells, valid_to=date(2033, 12, 31)), world.operator, licence)
    with pytest.raises(ValidationError) as refused:
        transition_licence(licence, "valid", world.operator, "延续", on=date(2031, 2, 1))
    assert world.wells[0].code in refused.value.message_dict["state"][0]
    assert Licence.objects.get(pk=licence.pk).state == "expired"
