"""The derivation loop counts its passes for Prometheus (``water.usage.derive``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from changji.water.models import Frame
from changji.water.usage.derive import derive_pending

pytestmark = pytest.mark.django_db


def test_frames_taken_and_lag_are_recorded():
    derive_pending(settle=timedelta(0))  # whatever the database holds already
    before = REGISTRY.get_sample_value("changji_derive_frames_total") or 0.0
    Frame.objects.create(received_at=datetime.now(UTC) - timedelta(seconds=90), peer="p", protocol="szy206",
                         raw=b"\x68", outcome="undecodable")
    assert derive_pending(settle=timedelta(0)) == 1
    assert REGISTRY.get_sample_value("changji_derive_frames_total") == before + 1
    assert REGISTRY.get_sample_value("changji_derive_lag_seconds") == pytest.approx(90, abs=10)
    assert derive_pending(settle=timedelta(0)) == 0
    assert REGISTRY.get_sample_value("changji_derive_lag_seconds") == 0
