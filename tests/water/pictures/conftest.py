"""Fixtures of the picture tests: real JPEG pictures of wells stored in a temporary media root."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def make_picture(db, media):
    """Return a factory: a stored picture (the simulator's real JPEG) of the terminal at ``observed_at``."""
    from changji.water.models import Snapshot
    from changji.water.sim.simulator import camera_picture

    def make(terminal, observed_at: datetime, **fields):
        jpeg = camera_picture(terminal.well.code if terminal.well_id else terminal.address)
        name = f"snapshots/{terminal.pk}-{observed_at:%Y%m%d%H%M%S}.jpg"
        (media / "snapshots").mkdir(exist_ok=True)
        (media / name).write_bytes(jpeg)
        return Snapshot.objects.create(terminal=terminal, observed_at=observed_at, received_at=observed_at,
                                       image=name, size_bytes=len(jpeg), sha256=hashlib.sha256(jpeg).hexdigest(),
                                       **fields)

    return make
