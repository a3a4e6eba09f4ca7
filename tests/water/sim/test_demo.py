"""The demo registry is seeded from the simulated fleet, idempotently."""

import pytest

from changji.water.models import Terminal, WaterUser, Well
from changji.water.sim.demo import seed_fleet

pytestmark = pytest.mark.django_db


def test_seed_fleet_registers_wells_terminals_and_users_once():
    fleet = seed_fleet(40)
    seed_fleet(40)
    assert Well.objects.count() == 40 and Terminal.objects.count() == 40
    assert WaterUser.objects.exists()
    well = Well.objects.get(code=fleet[0].code)
    terminal = well.terminals.get()
    assert (terminal.protocol, terminal.address, terminal.region_id) == (
        fleet[0].protocol, fleet[0].address, fleet[0].county_code)
    assert Terminal.objects.filter(protocol="sl651").count() == sum(w.kind == "monitoring" for w in fleet)
