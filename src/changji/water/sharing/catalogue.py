"""The streams this software exchanges, registered on both sides at app start (``WaterConfig.ready``).

In delivery order: ``registry`` (10) before what refers to it, then ``usage`` (20), ``alarms`` (30), ``kpi`` (40),
``reports`` (50) and ``readings`` (60, on request only). Installing also connects the receivers that write the
registry, alarm and report streams on each save (``receivers``).
"""

from __future__ import annotations

from changji.water.sharing import alarms, kpi, readings, receivers, registry_apply, reports, usage
from changji.water.sharing.streams import Stream

NAMES = ("registry", "usage", "alarms", "kpi", "reports", "readings")


def install() -> list[Stream]:
    """Register every stream and connect the receivers; idempotent."""
    streams = [registry_apply.register_stream(), usage.register_stream(), alarms.register_stream(),
               kpi.register_stream(), reports.register_stream(), readings.register_stream()]
    receivers.connect()
    return streams
