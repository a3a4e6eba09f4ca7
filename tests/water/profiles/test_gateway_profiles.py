"""Per-terminal protocol profiles in the gateway, over real TCP and the database sink.

Two terminals of two device batches send the very same report bytes (their addresses apart): the gateway
decodes and answers each with its own batch's profile, so the stored values and the acks differ. Moving a
batch to another profile reaches the open connections within seconds, without a restart.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from changji.water.gateway.database_sink import DatabaseSink
from changji.water.models import DeviceBatch, Reading
from changji.water.profiles import service
from changji.water.profiles.options import normalise
from changji.water.protocols import szy206
from tests.water.gateway.conftest import TerminalClient, running_gateway

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

JXJS = {"word_order": "big", "flow_first": False, "ack_style": "blg"}


def _report(address: str, observed: datetime) -> bytes:
    label = szy206.TimeLabel.from_datetime(observed, 0)
    values = {"flow": [42.5], "flow_unit": ["m3/h"], "volume_m3": [1234]}
    return szy206.encode_self_report(address, 3, values, label, status_word=0x20)


@pytest.fixture
def fleet(make_terminal, make_user, changji):
    admin = make_user("profile-admin", "652300", role="prefecture_admin")
    jxjs = service.save_profile(None, {"name": "JXJS", "protocol": "szy206", "options": JXJS, "link_mode": "online",
                                       "report_interval_s": 300, "description": ""}, admin)
    plain = service.save_profile(None, {"name": "通用", "protocol": "szy206", "options": {},
                                        "link_mode": "online", "report_interval_s": 300, "description": ""}, admin)
    batch_a = DeviceBatch.objects.create(name="A", profile=jxjs)
    batch_b = DeviceBatch.objects.create(name="B", profile=plain)
    one = make_terminal("6523230001", batch=batch_a)
    two = make_terminal("6523230002", batch=batch_b)
    return admin, one, two, batch_a, plain


def _reading(terminal) -> Reading:
    return Reading.objects.filter(terminal=terminal).order_by("-observed_at").first()


def test_same_bytes_mean_different_values_under_two_profiles_and_a_change_applies_without_restart(fleet, run):
    admin, one, two, batch_a, plain = fleet
    sink = DatabaseSink(batch_linger_s=0, command_refresh_s=0.2)
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    async def scenario():
        async with running_gateway(sink) as server:  # starts and closes the sink
            a, b = await TerminalClient.connect(server.port), await TerminalClient.connect(server.port)
            await a.send(_report(one.address, now - timedelta(minutes=10)))
            await b.send(_report(two.address, now - timedelta(minutes=10)))
            acks = [await a.receive(), await b.receive()]
            generation = sink.generation
            await sync_to_async(service.save_batch)(batch_a, {"name": "A", "profile": plain}, admin)
            for _ in range(50):  # the sink notices the change within its refresh period
                if sink.generation != generation:
                    break
                await asyncio.sleep(0.1)
            await a.send(_report(one.address, now - timedelta(minutes=5)))
            acks.append(await a.receive())
            await a.close()
            await b.close()
            return acks

    acks = run(scenario())
    assert all(acks), acks
    jxjs_ack, plain_ack, after_ack = (szy206.decode_szy206(ack) for ack in acks)
    assert jxjs_ack.afn == plain_ack.afn == 0xC0
    assert (acks[0][3], acks[1][3]) == (0x30, 0x33)  # C: blg echoes the report's FCB (0), hm1212 sends FCB 3
    first_one, first_two = Reading.objects.filter(terminal=one).order_by("observed_at"), _reading(two)
    under_jxjs, after_switch = list(first_one)
    assert (first_two.flow_m3h, first_two.volume_m3, first_two.door_open) == (42.5, 1234.0, False)
    assert (under_jxjs.flow_m3h, under_jxjs.volume_m3, under_jxjs.door_open) == (4442.4, 3000042500.0, True)
    assert (after_switch.flow_m3h, after_switch.volume_m3) == (42.5, 1234.0)  # the batch's new profile, no restart
    assert after_ack.address == one.address


def test_a_terminal_override_wins_over_its_batch_and_the_default_applies_without_a_batch(fleet):
    from changji.water.gateway import storage

    _, one, two, _, plain = fleet
    infos = storage.load_terminals()
    assert infos[("szy206", one.address)].options.word_order == "big"
    assert infos[("szy206", one.address)].profile == "JXJS v1"
    one.profile_override = plain
    one.save()
    two.batch = None
    two.save()
    infos = storage.load_terminals()
    assert infos[("szy206", one.address)].options.word_order == "little"
    assert infos[("szy206", two.address)].options is None  # the deployment default (GatewayConfig)


def test_the_profile_stamp_changes_with_profiles_batches_and_assignments(fleet, make_user):
    from changji.water.gateway import storage

    admin, one, two, batch_a, plain = fleet
    stamps = [storage.profile_stamp()]
    service.save_profile(plain, {"name": "通用", "protocol": "szy206", "options": {"ack_style": "sl427"},
                                 "link_mode": "online", "report_interval_s": 300, "description": ""}, admin)
    stamps.append(storage.profile_stamp())
    one.batch, two.batch = two.batch, one.batch  # two terminals swap batches
    one.save()
    two.save()
    stamps.append(storage.profile_stamp())
    assert len(set(stamps)) == 3
    assert normalise("szy206", plain.options)["ack_style"] == "sl427" and plain.version == 2
