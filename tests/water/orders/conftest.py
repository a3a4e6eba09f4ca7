"""A small work-order world: a well of 呼图壁县 with a flowmeter and an electricity meter, its people."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest


def jpeg(gps: tuple[float, float] | None = None, taken: str | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    """A real JPEG, with EXIF DateTimeOriginal and GPS when given."""
    from PIL import Image

    image = Image.new("RGB", size, (90, 140, 60))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            degrees = int(abs(value))
            minutes = int((abs(value) - degrees) * 60)
            return (float(degrees), float(minutes), round((abs(value) - degrees - minutes / 60) * 3600, 4))

        exif.get_ifd(0x8825).update({1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W",
                                     4: dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def orders_world(make_user, make_terminal):
    from changji.water.models import Meter

    terminal = make_terminal("6523230001", county="652323")
    well = terminal.well
    installed = datetime(2024, 1, 1, tzinfo=UTC)
    flow = Meter.objects.create(well=well, kind="electromagnetic", serial="EM-1", installed_at=installed)
    power = Meter.objects.create(well=well, kind="electricity", serial="E-1", installed_at=installed)
    foreign = make_terminal("6523240001", county="652324")
    return SimpleNamespace(
        well=well, terminal=terminal, flow=flow, power=power, foreign_well=foreign.well,
        operator=make_user("htb-op", "652323"),
        worker=make_user("htb-worker", "652323", role="maintenance_worker"),
        other=make_user("htb-other", "652323", role="maintenance_worker"),
        foreign_worker=make_user("mns-worker", "652324", role="maintenance_worker"),
        foreign_operator=make_user("mns-op", "652324"),
    )
