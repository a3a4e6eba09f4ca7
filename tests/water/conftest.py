"""Registry fixtures for water tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_terminal(db):
    """Return a factory: a well in ``county`` with a terminal of ``protocol`` at ``address``."""
    from changji.water.models import Terminal, Well

    def make(address: str = "6523230001", protocol: str = "szy206", county: str = "652323", **terminal_extra):
        well = Well.objects.create(
            code=f"{county}-{address[-5:]}", name=f"机井{address}", region_id=county,
            latitude=44.3, longitude=86.9, pump_rated_power_kw=30, pump_rated_flow_m3h=55,
        )
        return Terminal.objects.create(
            protocol=protocol, address=address, well=well, region_id=county, **terminal_extra
        )

    return make
