"""The demo fleet's device batches and protocol profiles: which options each simulated terminal speaks.

Three SZY206 deliveries and one SL651 delivery that disagree on protocol details, as the prefecture's do:

* 2019 JXJS-A: alarm/status words big-endian and volume before flow (``word_order=big``, ``flow_first=false``);
* 2021 SL/T 427-B: the 2021 standard as written (7-byte time label, ``sl427`` confirms);
* 2018 HM-C: the codec defaults (hm1212 confirms, 5-byte time label);
* 2020 SL651-G: monitoring wells on SL651 with ``FF01``/``FF02`` extension codes for volume and kWh, ESC acks.

``registered_batch`` is the batch the registry records; ``true_batch`` the one the device really is. They
differ for one well (``MISFIT_CODE``): it was registered in the SL/T 427 batch but is a JXJS unit, so the
profile detection flags it. ``options_of`` gives the codec options a simulated terminal encodes with.
"""

from __future__ import annotations

import zlib
from typing import Any

from changji.water.profiles.options import parse_options
from changji.water.sim.fleet import FleetWell

__pure__ = True  # no Django: tests/test_architecture.py checks it

#: name -> (protocol, options, link mode, report interval s, description)
PROFILES: dict[str, tuple[str, dict[str, Any], str, int, str]] = {
    "JXJS 大端状态字·水量在前": (
        "szy206", {"word_order": "big", "flow_first": False, "ack_style": "blg"}, "online", 300,
        "2019 年 JXJS 批次：报警/状态字高字节在前，累计水量在瞬时流量之前。",
    ),
    "SL/T 427-2021 标准": (
        "szy206", {"ack_style": "sl427", "time_label_length": 7}, "online", 300,
        "按 SL/T 427-2021 实现：7 字节时间标签，确认帧带中心时钟。",
    ),
    "SZY206-2016 默认": ("szy206", {}, "dial_in", 300, "SZY206-2016 通用实现（hm1212 确认帧）。"),
    "SL651 扩展码 FF01/FF02": (
        "sl651", {"volume_extension": "FF01", "energy_extension": "FF02", "ack_end": "ESC"}, "online", 3600,
        "SL651-2014 监测站：FF01 累计水量、FF02 累计电量，确认后保持在线。",
    ),
}

#: name -> (manufacturer, model, firmware, delivery year, profile)
BATCHES: dict[str, tuple[str, str, str, int, str]] = {
    "2019-JXJS-A": ("金星精工", "JXJS-RTU-3", "V2.1.7", 2019, "JXJS 大端状态字·水量在前"),
    "2021-SL427-B": ("博联科技", "BLG-427", "V4.0.2", 2021, "SL/T 427-2021 标准"),
    "2018-HM-C": ("华墨电子", "HM1212", "V1.9", 2018, "SZY206-2016 默认"),
    "2020-SL651-G": ("水文仪器厂", "YDH-651G", "V3.3", 2020, "SL651 扩展码 FF01/FF02"),
}
_SZY206_BATCHES = ("2019-JXJS-A", "2021-SL427-B", "2018-HM-C")

#: The well whose terminal is registered in the wrong batch (a JXJS unit filed under SL/T 427).
MISFIT_CODE = "652302-00001"


def true_batch(well: FleetWell) -> str:
    """Return the batch this well's terminal really belongs to (deterministic from its code)."""
    if well.protocol == "sl651":
        return "2020-SL651-G"
    if well.code == MISFIT_CODE:
        return "2019-JXJS-A"
    return _SZY206_BATCHES[zlib.crc32(well.code.encode()) % len(_SZY206_BATCHES)]


def registered_batch(well: FleetWell) -> str:
    """Return the batch the registry records for this well's terminal."""
    return "2021-SL427-B" if well.code == MISFIT_CODE else true_batch(well)


def options_of(well: FleetWell, registered: bool = False) -> Any:
    """Return the codec options the simulated terminal of ``well`` encodes its frames with.

    ``registered``: those of the batch the registry records instead (what the gateway expects; the load
    benchmark sends them so that every frame, the misfit's too, is acknowledged).
    """
    batch = registered_batch(well) if registered else true_batch(well)
    protocol, stored, *_ = PROFILES[BATCHES[batch][4]]
    return parse_options(protocol, stored)
