"""Property tests of the SZY206 codec: self-report and downlink round trips, and hostile input.

Expected values are computed here from random integers (digits × 10^-decimals), independently of the
codec's value decoder, so a symmetric encode/decode bug still fails.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from changji.water.protocols.crc import crc8_e5
from changji.water.protocols.errors import ProtocolError
from changji.water.protocols.szy206 import (
    AFN_02_LINK_CHECK,
    AFN_11_SET_CLOCK,
    AFN_34_SET_QUOTA,
    AFN_81_ALARM_REPORT,
    AFN_82_MANUAL_REPORT,
    AFN_83_IMAGE_REPORT,
    AFN_84_VOLTAGE_REPORT,
    AFN_92_START_PUMP,
    AFN_93_STOP_PUMP,
    AFN_B0_QUERY_REALTIME,
    AFN_C0_SELF_REPORT,
    Szy206Frame,
    Szy206Options,
    TimeLabel,
    build_ack,
    decode_szy206,
    encode_query_realtime,
    encode_quota_control,
    encode_self_report,
    encode_set_clock,
    encode_set_quota,
    encode_start_pump,
    encode_stop_pump,
    encode_szy206,
    to_reading,
)
from changji.water.protocols.szy206.values import encode_values

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

addresses = st.binary(min_size=5, max_size=5).map(lambda b: b.hex().upper())


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _fixed(digits: int, decimals: int, signed: bool = False) -> st.SearchStrategy[int | float]:
    """A value of ``digits`` BCD digits with ``decimals`` implied, as the decoder must return it."""
    low = -(10**digits - 1) if signed else 0
    return st.integers(low, 10**digits - 1).map(lambda n: n / 10**decimals if decimals else n)


# Scalar classes: type code -> (key, digits, decimals, signed).
SCALARS = {
    0x1: ("rainfall_mm", 6, 1, False),
    0x2: ("level_m", 7, 3, True),
    0x4: ("velocity_ms", 5, 3, True),
    0x5: ("gate_m", 6, 2, False),
    0x6: ("power_kw", 6, 0, False),
    0x8: ("energy_kwh", 8, 2, False),
    0x9: ("water_temp_c", 4, 1, False),
    0xC: ("evaporation_mm", 6, 1, False),
    0xD: ("voltage_v", 4, 2, False),
    0xF: ("pressure_kpa", 8, 2, False),
}


@st.composite
def flow_values(draw: st.DrawFn, unit_bits: bool) -> dict[str, Any]:
    count = draw(st.integers(0, 4))
    flows, units, m3h, volumes = [], [], [], []
    for _ in range(count):
        flow = draw(_maybe(_fixed(9, 3, signed=True)))
        unit = None if flow is None else draw(st.sampled_from(["m3/s", "m3/h"] if unit_bits else ["m3/s"]))
        flows.append(flow)
        units.append(unit)
        m3h.append(None if flow is None else flow * 3600 if unit == "m3/s" else flow)
        volumes.append(draw(_maybe(st.integers(0, 799_999_999))))
    return {"flow": flows, "flow_unit": units, "flow_m3h": m3h, "volume_m3": volumes}


def _weather_item(parts: tuple[Any, Any, Any, Any]) -> dict[str, Any] | None:
    if all(part is None for part in parts):
        return None  # an all-"A" item is "no weather instrument"
    return dict(zip(("pressure_hpa", "wind_ms", "wind_dir", "air_temp_c"), parts, strict=True))


weather_items = st.tuples(
    _maybe(st.integers(0, 999_999)),
    _maybe(_fixed(5, 2)),
    _maybe(st.integers(0, 9)),
    _maybe(_fixed(3, 1, True)),
).map(_weather_item)
soil_items = st.tuples(_maybe(_fixed(4, 1)), _maybe(st.integers(0, 9999))).map(
    lambda p: None if p == (None, None) else {"moisture_pct": p[0], "depth_cm": p[1]}
)
quality_blocks = st.lists(st.integers(0, 39), max_size=10, unique=True).flatmap(
    lambda bits: st.lists(_maybe(st.integers(0, 99_999_999)), min_size=len(bits), max_size=len(bits)).map(
        lambda raws: {"parameters": sorted(bits), "raw": raws}
    )
)


@st.composite
def class_values(draw: st.DrawFn, type_code: int, unit_bits: bool) -> dict[str, Any]:
    if type_code in SCALARS:
        key, digits, decimals, signed = SCALARS[type_code]
        return {key: draw(st.lists(_maybe(_fixed(digits, decimals, signed)), max_size=6))}
    if type_code == 0x3:
        return draw(flow_values(unit_bits))
    if type_code == 0x7:
        return {"weather": draw(st.lists(weather_items, max_size=4))}
    if type_code == 0xB:
        return {"soil": draw(st.lists(soil_items, max_size=6))}
    if type_code == 0xA:
        return {"water_quality": draw(st.lists(quality_blocks, max_size=2))}
    raw = draw(st.binary(max_size=20))
    return {"raw": raw.hex().upper()} if raw else {}


time_labels_2016 = st.builds(
    TimeLabel, *(st.integers(0, 99) for _ in range(4)), delay_minutes=st.integers(0, 255)
)
time_labels_sl427 = st.builds(
    TimeLabel,
    *(st.integers(0, 99) for _ in range(4)),
    delay_minutes=st.integers(0, 255),
    month=st.integers(0, 99),
    year=st.integers(2000, 2099),
)
#: 2-byte, variable and raw classes fit both Tp lengths: a 7-byte Tp must be configured.
AMBIGUOUS_CLASSES = {0x0, 0x9, 0xA, 0xD, 0xE}


@st.composite
def self_reports(draw: st.DrawFn) -> tuple[Szy206Frame, Szy206Options]:
    type_code = draw(st.integers(0, 15))
    long_tp = draw(st.booleans())
    configured = draw(st.booleans()) or (long_tp and type_code in AMBIGUOUS_CLASSES)
    options = Szy206Options(
        word_order=draw(st.sampled_from(["little", "big"])),
        flow_first=draw(st.booleans()),
        flow_unit_bits=draw(st.booleans()),
        time_label_length=(7 if long_tp else 5) if configured else None,
    )
    values = draw(class_values(type_code, options.flow_unit_bits))
    alarm, status = draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF))
    words = alarm.to_bytes(2, options.word_order) + status.to_bytes(2, options.word_order)  # type: ignore[arg-type]
    frame = Szy206Frame(
        direction="up",
        div=False,
        divs=None,
        fcb=draw(st.integers(0, 3)),
        type_code=type_code,
        address=draw(addresses),
        afn=draw(
            st.sampled_from(
                [AFN_C0_SELF_REPORT, AFN_81_ALARM_REPORT, AFN_82_MANUAL_REPORT, AFN_B0_QUERY_REALTIME]
            )
        ),
        data=encode_values(type_code, values, options.flow_first, options.flow_unit_bits) + words,
        password=None,
        time_label=draw(time_labels_sl427 if long_tp else time_labels_2016),
        values=values,
        alarm_word=alarm,
        status_word=status,
    )
    return frame, options


@PROPERTY_SETTINGS
@given(self_reports())
def test_self_report_encode_decode_is_identity(case: tuple[Szy206Frame, Szy206Options]) -> None:
    frame, options = case
    raw = encode_szy206(frame, options)
    assert decode_szy206(raw, options) == frame
    built = encode_self_report(
        frame.address,
        frame.type_code,
        frame.values,
        frame.time_label,  # type: ignore[arg-type]
        alarm_word=frame.alarm_word,  # type: ignore[arg-type]
        status_word=frame.status_word,  # type: ignore[arg-type]
        afn=frame.afn,
        fcb=frame.fcb,
        options=options,
    )
    assert built == raw
    json.dumps(frame.describe())


# --- downlinks ---------------------------------------------------------------------------------

moments = st.datetimes(datetime(2000, 1, 2), datetime(2099, 12, 30), timezones=st.just(UTC))
passwords = _maybe(st.integers(0, 0xFFFF))
tp_lengths = st.sampled_from([5, 7])
delays = st.integers(0, 255)


def _check_downlink(
    raw: bytes, afn: int, now: datetime, length: int, delay: int, password: int | None
) -> Szy206Frame:
    frame = decode_szy206(raw, Szy206Options(time_label_length=length))
    assert (frame.direction, frame.afn, frame.div, frame.password) == ("down", afn, False, password)
    assert frame.time_label == TimeLabel.from_datetime(now, delay, length)
    assert encode_szy206(frame) == raw
    assert build_ack(frame, now) is None and to_reading(frame, now) is None
    return frame


@PROPERTY_SETTINGS
@given(
    addresses, moments, passwords, st.integers(0, 3), st.integers(0, 255), tp_lengths, delays, st.booleans()
)
def test_pump_commands_round_trip(
    address: str,
    now: datetime,
    password: int | None,
    fcb: int,
    pump: int,
    length: int,
    delay: int,
    start: bool,
) -> None:
    encoder, afn = (encode_start_pump, AFN_92_START_PUMP) if start else (encode_stop_pump, AFN_93_STOP_PUMP)
    raw = encoder(address, now, password, fcb, pump=pump, time_label_length=length, delay_minutes=delay)
    frame = _check_downlink(raw, afn, now, length, delay, password)
    assert (frame.address, frame.fcb, frame.type_code, frame.values) == (address, fcb, 0, {"pump": pump})


@PROPERTY_SETTINGS
@given(addresses, moments, passwords, st.booleans(), st.integers(0, 9_999_999_999), tp_lengths, delays)
def test_quota_commands_round_trip(
    address: str, now: datetime, password: int | None, enabled: bool, quota: int, length: int, delay: int
) -> None:
    raw = encode_quota_control(address, enabled, now, password, time_label_length=length, delay_minutes=delay)
    frame = _check_downlink(raw, 0x32 if enabled else 0x33, now, length, delay, password)
    assert frame.values == {"quota_control": enabled}
    raw = encode_set_quota(address, quota, now, password, time_label_length=length, delay_minutes=delay)
    assert _check_downlink(raw, AFN_34_SET_QUOTA, now, length, delay, password).values == {"quota_m3": quota}


@PROPERTY_SETTINGS
@given(addresses, moments, passwords, st.integers(0, 15), tp_lengths, delays)
def test_clock_and_query_round_trip(
    address: str, now: datetime, password: int | None, type_code: int, length: int, delay: int
) -> None:
    raw = encode_set_clock(address, now, password, time_label_length=length, delay_minutes=delay)
    frame = _check_downlink(raw, AFN_11_SET_CLOCK, now, length, delay, password)
    local = now.astimezone(timezone(timedelta(hours=8)))
    assert frame.values == {"clock": local.replace(microsecond=0, tzinfo=None).isoformat() + "+08:00"}
    raw = encode_query_realtime(address, type_code, now, time_label_length=length, delay_minutes=delay)
    query = _check_downlink(raw, AFN_B0_QUERY_REALTIME, now, length, delay, None)
    assert (query.type_code, query.data, query.values) == (type_code, b"", {})


@PROPERTY_SETTINGS
@given(self_reports(), st.sampled_from(["hm1212", "blg", "sl427"]), moments)
def test_confirms_round_trip(case: tuple[Szy206Frame, Szy206Options], style: str, now: datetime) -> None:
    frame, options = case
    ack = build_ack(frame, now, Szy206Options(ack_style=style))
    if frame.afn == AFN_B0_QUERY_REALTIME:
        assert ack is None
        return
    assert ack is not None
    confirm = decode_szy206(ack)
    assert (confirm.direction, confirm.afn, confirm.address, confirm.data) == (
        "down",
        frame.afn,
        frame.address,
        b"\x00",
    )
    assert confirm.fcb == frame.fcb
    expected_tp = TimeLabel.from_datetime(now, 0, 7) if style == "sl427" else None
    assert confirm.time_label == expected_tp


# --- hostile input -----------------------------------------------------------------------------


def _wrap(user: bytes, length: int | None = None) -> bytes:
    size = (len(user) if len(user) <= 255 else 1) if length is None else length
    return bytes([0x68, size, 0x68]) + user + bytes([crc8_e5(user), 0x16])


INTERESTING_AFNS = [
    0x02,
    0x11,
    0x32,
    0x33,
    0x34,
    0x5D,
    0x5E,
    0x61,
    0x83,
    0x84,
    0x92,
    0x93,
    0xB0,
    0xC0,
    0xFF,
    0x81,
]
BYTE_POOL = [0x00, 0x01, 0x09, 0x10, 0x12, 0x30, 0x59, 0x99, 0xAA, 0xF0, 0xFF, 0x0A, 0xA0, 0xC3, 0x16, 0x68]


def _random_user(rng: random.Random) -> bytes:
    control = rng.randrange(256)
    head = bytes([control]) + (bytes([rng.randrange(256)]) if control & 0x40 else b"")
    afn = rng.choice(INTERESTING_AFNS) if rng.random() < 0.9 else rng.randrange(256)
    size = rng.randrange(0, 40)
    pick = BYTE_POOL if rng.random() < 0.7 else range(256)
    body = bytes(rng.choice(pick) for _ in range(size))
    return head + rng.randbytes(5) + bytes([afn]) + body


def _seed_frames() -> list[bytes]:
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    label = TimeLabel(0, 30, 12, 15, 5, 6, 2026)
    frames = [
        bytes.fromhex("681A68B31237899876C000000000000800000000000000000057172800F116"),
        bytes.fromhex("681568B34406070001C0AAAAAAAAAA004040000000000101E516"),
        bytes.fromhex("680868805303810D0002F25C16"),
        encode_start_pump("6523010001", now, 0x1234),
        encode_set_clock("6523010001", now),
        encode_set_quota("6523010001", 1234, now),
        encode_query_realtime("6523010001", 3, now),
        encode_self_report("6523010001", 0x8, {"energy_kwh": [12345.67]}, label),
        encode_self_report("6523010001", 0x7, {"weather": [{"pressure_hpa": 1, "wind_dir": 3}]}, label),
        encode_self_report(
            "6523010001", 0xA, {"water_quality": [{"parameters": [1, 5], "raw": [1, None]}]}, label
        ),
        _wrap(bytes.fromhex("BD652301000184341201002000") + label.to_bytes()),
        _wrap(bytes([0xF0, 0x03]) + bytes(5) + bytes([AFN_83_IMAGE_REPORT]) + b"\xff\xd8" + bytes(600), 1),
    ]
    return frames


def _exercise(raw: bytes, rng: random.Random) -> None:
    options = Szy206Options(
        word_order=rng.choice(["little", "big"]),
        flow_unit_bits=rng.random() < 0.5,
        time_label_length=rng.choice([None, 5, 7]),
        ack_style=rng.choice(["hm1212", "blg", "sl427"]),
    )
    try:
        frame = decode_szy206(raw, options)
        if not (frame.div and frame.afn in (0x61, AFN_83_IMAGE_REPORT)):
            assert encode_szy206(frame) == raw, raw.hex()
        json.dumps(frame.describe("le_bcd"))
        build_ack(frame, datetime(2026, 1, 1, tzinfo=UTC), options)
        to_reading(frame, datetime(2026, 1, 1, tzinfo=UTC), options)
    except ProtocolError:
        pass


def _mutate(seed: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    raw = bytearray(seed)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if kind == 1:  # truncation
        return bytes(raw[: rng.randrange(len(raw))])
    if kind == 2:  # random bytes
        return rng.randbytes(rng.randrange(0, 40))
    if kind == 3:  # random user area with a valid L and CS: the body parser runs
        return _wrap(_random_user(rng))
    user = bytearray(seed[3:-2])  # a real frame with some bytes changed, L and CS recomputed
    for _ in range(rng.randint(1, 3)):
        user[rng.randrange(len(user))] = rng.choice(BYTE_POOL)
    if rng.random() < 0.3:
        user = user[: rng.randrange(1, len(user) + 1)]
    return _wrap(bytes(user))


@pytest.mark.slow
def test_hostile_input_raises_only_protocol_errors() -> None:
    rng = random.Random(20260615)
    seeds = _seed_frames()
    for seed in seeds:
        decode_szy206(seed)  # the seeds themselves are valid
    for _ in range(100_000):
        _exercise(_mutate(rng.choice(seeds), rng), rng)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64), st.booleans())
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes, valid_envelope: bool) -> None:
    raw = _wrap(data) if valid_envelope and len(data) <= 255 else data
    try:
        decode_szy206(raw)
    except ProtocolError:
        pass


def test_link_and_voltage_uplinks_with_time_labels_round_trip() -> None:
    for user in ("80 6523010001 02 F0 0030121506", "BD 6523010001 84 3412 0030121506"):
        raw = _wrap(bytes.fromhex(user.replace(" ", "")))
        frame = decode_szy206(raw)
        assert frame.afn in (AFN_02_LINK_CHECK, AFN_84_VOLTAGE_REPORT)
        assert encode_szy206(frame) == raw
