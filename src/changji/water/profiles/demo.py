"""The demo's protocol profiles and device batches (``sim.profiles``), and raw frames that show a misfit.

``seed_demo_batches`` creates the profiles and batches (idempotent). ``seed_profile_frames`` archives a day of
real encoded reports for a few terminals of each batch and for the misfit (``sim.profiles.MISFIT_CODE``),
each encoded as its device really speaks; ``detect`` then flags the misfit on the 规约不符 page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from changji.water.gateway.records import FrameOutcome
from changji.water.models import DeviceBatch, Frame, ProtocolProfile, ProtocolProfileVersion, Terminal
from changji.water.profiles import service
from changji.water.profiles.options import normalise
from changji.water.profiles.scoring import decode_reading
from changji.water.protocols.errors import ProtocolError
from changji.water.sim.fleet import FleetWell
from changji.water.sim.profiles import BATCHES, MISFIT_CODE, PROFILES, options_of, true_batch
from changji.water.sim.simulator import WellModel

PEER = "demo-profiles"


@transaction.atomic
def seed_demo_batches() -> dict[str, int]:
    """Create the demo profiles and batches once; return batch name -> id."""
    profiles = {}
    for name, (protocol, options, link_mode, interval, description) in PROFILES.items():
        profile, created = ProtocolProfile.objects.get_or_create(name=name, defaults={
            "protocol": protocol, "options": normalise(protocol, options), "link_mode": link_mode,
            "report_interval_s": interval, "description": description,
        })
        if created:
            ProtocolProfileVersion.objects.create(
                profile=profile, version=1, options=profile.options, link_mode=link_mode, report_interval_s=interval,
                description=description, valid_from=timezone.now(), saved_by="demo",
            )
        profiles[name] = profile
    ids = {}
    for name, (maker, model, firmware, year, profile_name) in BATCHES.items():
        batch, _ = DeviceBatch.objects.get_or_create(name=name, defaults={
            "manufacturer": maker, "model": model, "firmware": firmware, "delivery_year": year,
            "profile": profiles[profile_name], "planned_count": 3000 if profile_name.startswith("SZY") else 400,
        })
        ids[name] = batch.pk
    return ids


def true_batch_id(well: FleetWell) -> int:
    """Return the id of the demo batch ``well``'s simulated terminal really is (seeding the batches once).

    A simulated terminal speaks its batch's profile (``sim.profiles``); registering it in that batch lets the
    gateway decode it (the demo registers one well, ``MISFIT_CODE``, in another batch on purpose).
    """
    return seed_demo_batches()[true_batch(well)]


def seed_profile_frames(fleet: list[FleetWell], per_batch: int = 2, hours: int = 6) -> int:
    """Archive ``hours`` of real reports for a few terminals per batch and the misfit; return frames added."""
    if Frame.objects.filter(peer=PEER).exists():
        return 0
    chosen: dict[str, list[FleetWell]] = {}
    for well in fleet:
        group = chosen.setdefault(true_batch(well), [])
        if well.code == MISFIT_CODE or len(group) < per_batch:
            group.append(well)
    terminals = {t.address: t for t in Terminal.objects.filter(address__in=[w.address for g in chosen.values()
                                                                             for w in g])}
    end = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for wells in chosen.values():
        for well in wells:
            terminal = terminals.get(well.address)
            if terminal is not None:
                rows += _frames_of(well, terminal, end - timedelta(hours=hours), end)
    Frame.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _frames_of(well: FleetWell, terminal: Terminal, start: datetime, end: datetime) -> list[Frame]:
    model = WellModel(well, frozenset(), 2026)
    model.options = options_of(well)
    registered = service.options_of(service.effective_profile(terminal), terminal.protocol)
    frames, moment, serial = [], start, 1
    while moment < end:
        model.advance(moment, 300)
        raws = (model.szy206_report(moment, 0) if well.protocol == "szy206"
                else model.sl651_report(moment, moment, serial))
        for raw in raws:
            try:
                decode_reading(terminal.protocol, raw, moment, registered)
                outcome, error = FrameOutcome.STORED, ""
            except ProtocolError as exc:
                outcome, error = FrameOutcome.UNDECODABLE, exc.message[:255]
            frames.append(Frame(received_at=moment, peer=PEER, protocol=well.protocol, address=well.address,
                                terminal=terminal, function="C0" if well.protocol == "szy206" else "32",
                                observed_at=moment if outcome == FrameOutcome.STORED else None, raw=raw,
                                outcome=outcome, error=error))
        moment += timedelta(minutes=5)
        serial += 1
    return frames
