"""Registry services: quarantined terminals registered in one step; meter replacement."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from changji.core.models import AuditEntry
from changji.water.models import Meter, QuarantinedTerminal, Terminal
from changji.water.registry.service import register_quarantined, replace_meter

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _quarantined(address="6523240077"):
    return QuarantinedTerminal.objects.create(protocol="szy206", address=address, first_seen_at=T0,
                                              last_seen_at=T0, last_peer="10.1.2.3:4000", frame_count=5)


def test_register_quarantined_creates_the_terminal_in_its_county_and_audits(make_user):
    admin = make_user("zhou", "652300")
    terminal = register_quarantined(_quarantined(), admin)
    assert (terminal.protocol, terminal.address, terminal.region_id) == ("szy206", "6523240077", "652324")
    assert not QuarantinedTerminal.objects.exists()
    entry = AuditEntry.objects.get(action="water.terminal.register")
    assert entry.actor == admin and entry.detail["frames_in_quarantine"] == 5


def test_register_quarantined_on_a_well_takes_the_wells_region(make_terminal, make_user):
    well = make_terminal("6523270001", county="652327").well
    terminal = register_quarantined(_quarantined("1237899876"), make_user("a", "652300"), well=well)
    assert terminal.well == well and terminal.region_id == "652327"


def test_registering_an_already_registered_address_is_refused(make_terminal, make_user):
    make_terminal("6523240077", county="652324")
    with pytest.raises(ValidationError) as error:
        register_quarantined(_quarantined(), make_user("a", "652300"))
    assert "address" in error.value.message_dict
    assert Terminal.objects.count() == 1


def test_replace_meter_records_both_registers_and_installs_the_new_meter(make_terminal, make_user):
    well = make_terminal().well
    old = Meter.objects.create(well=well, kind="electromagnetic", serial="EM-1", installed_at=T0)
    replacement = replace_meter(old, serial="EM-2", replaced_at=datetime(2026, 6, 1, tzinfo=UTC),
                                old_final_register=12345.0, new_initial_register=3.0, by=make_user("op", "652323"),
                                reason="表头损坏")
    old.refresh_from_db()
    assert old.removed_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert replacement.new_meter.serial == "EM-2" and replacement.new_meter.kind == "electromagnetic"
    assert (replacement.old_final_register, replacement.new_initial_register) == (12345.0, 3.0)
    assert AuditEntry.objects.filter(action="water.meter.replace", region_id="652323").exists()


def test_replacing_a_removed_meter_or_back_in_time_is_refused(make_terminal, make_user):
    well = make_terminal().well
    old = Meter.objects.create(well=well, kind="electricity", serial="E-1", installed_at=T0)
    with pytest.raises(ValidationError):
        replace_meter(old, serial="E-2", replaced_at=datetime(2026, 4, 1, tzinfo=UTC), old_final_register=1,
                      new_initial_register=0, by="cli")
    replace_meter(old, serial="E-2", replaced_at=datetime(2026, 6, 1, tzinfo=UTC), old_final_register=1,
                  new_initial_register=0, by="cli")
    with pytest.raises(ValidationError):
        replace_meter(old, serial="E-3", replaced_at=datetime(2026, 7, 1, tzinfo=UTC), old_final_register=1,
                      new_initial_register=0, by="cli")
