"""SZY206-2016 / SL/T 427-2021 水资源监测数据传输规约 (the "68H family"): the public codec API.

Frames are ``68 L 68 C [DIVS] A AFN D [PW] [Tp] CS 16``. Section numbers §2.x here and in the modules of
this package are those of ``docs/protocols.md``, which records what the standards leave open and what field
terminals do. This module re-exports the pieces, which live in small modules:

* ``szy206_codes``      control-field type codes (§2.3, SL/T 427-2021 表3) and AFNs (§2.5, 表5)
* ``szy206_time``       the time label Tp (§2.7) and the 11H clock field
* ``szy206_values``     per-class data formats (§2.9, SL/T 427-2021 表33–表47)
* ``szy206_frame``      ``Szy206Frame``, ``Szy206Options``, ``decode_szy206``, ``encode_szy206``
* ``szy206_commands``   confirms, link echo, downlink commands, ``to_reading``
* ``szy206_reassembly`` DIV/DIVS reassembly of split messages (§2.11)

Pure Python, no Django. Every failure on any input is a ``ProtocolError`` (``errors.py``).

Decisions on points the standards leave open or field terminals disagree on (§2.1, §2.12):

1. **Checks, in order**: length >= 12, ``68 L 68`` and ``16``, then CS (CRC-8/0xE5 over C … last AUX
   byte; ``ChecksumError`` with expected and found), then L. L is not trusted for split picture
   frames (AFN 61/83 with DIV), where SL/T 427 counts it in KiB; encoding writes the true L up to
   255 and ``max(1, size // 1024)`` beyond. DIVS 0 is rejected (the countdown ends at 1).
2. **Address**: the 5 bytes as 10 uppercase hex digits (§2.4). ``describe(address_order=...)`` adds
   region code (A1, BCD) + station number (A2 big-, little-endian or little-endian BCD).
3. **AFN** ``FF xx`` (user-defined, SL/T 427) is stored as ``0xFF00 | xx``; its D is kept opaque.
4. **Layout of D and AUX** by AFN and direction:
   * uplink C0/81/82/B0: values of the class in C, alarm word, status word, Tp. The Tp length is
     ``options.time_label_length`` or inferred: 5 (2016) or 7 (SL/T 427), whichever leaves a value
     block that fits the class item size; 5 when both or neither fit. Classes 9 and D (2-byte items)
     always fit both, so SL/T 427 terminals sending those need ``time_label_length=7``;
   * uplink 84 (terminal voltage): one 2-byte voltage, optionally alarm + status words, then Tp,
     told apart by the length (7/9/11/13 bytes);
   * uplink 61/83 (pictures): every byte after AFN is picture data (``image``); no AUX;
   * uplink 02: 1 data byte (F0 login, F1 logout, F2 keep-alive) [+ Tp];
     5E: alarm + status words [+ Tp]; 5D: 32 ERC counters, 2-byte BIN low byte first [+ Tp];
   * uplink answers to commands (10–20, 30–34, 90–96, A0, A1; e.g. 92/93 pump control, 11 clock,
     32/33/34 quota): same AFN = executed; D is kept whole as ``values["result"]`` (hex), no AUX;
   * other uplinks: D opaque, no AUX;
   * downlinks of known data size (02 echo 1, confirms 1, 11 clock 6, 30–33 0, 34 quota 5, 90/91 0,
     92/93 pump number 1, B0 and the 5x queries 0) are followed by [PW] [Tp]: 2 = PW, 5 = Tp,
     9 = PW + 7-byte Tp; 7 is PW + 5-byte Tp for the password-bearing AFNs (settings, controls)
     and a 7-byte Tp otherwise, unless ``time_label_length`` says which; other downlinks: D opaque.
5. **PW** is 2 bytes, low byte first, stored as the 16-bit value (key-1 in D15–D12, key-2 in D11–D0).
6. **Tp** ``year`` is the full year (2000 + BCD). Ranges (day 0, hour 25) are checked by
   ``TimeLabel.resolve``, not by decode, so a terminal with a bad clock still delivers its values.
7. **Values**: little-endian BCD; an item starting ``AA AA`` is missing (``None``). Flow byte 5 is read
   as sign/unit/digit bits (SL/T 427 表35) unless ``flow_unit_bits=False`` (top nibble = sign, m³/s);
   other bit patterns are a DecodeError. An odd number of class-3 items means the last meter's
   partner is missing. Water-quality values are raw BCD integers (decimals per parameter not
   transcribed). See ``szy206_values``.
8. **Alarm/status words**: byte order ``options.word_order``, little-endian by default (SL/T 427
   "low byte first"); ``big`` for hm1212/go-sl427 platforms.
9. **Confirms**: C0, 81, 82, 83, 84 and split 61 answers, each split frame separately with its
   DIV/DIVS; style ``hm1212`` (default, S5), ``blg`` (S6) or ``sl427`` (+ 7-byte centre-clock Tp). The
   blg/sl427 confirm echoes the report's FCB; the work-mode byte is 00. AFN 02 gets its echo (S8).
10. **Downlink commands**: DIR 0, FCB 3, type 0 (B0: the class wanted), 5-byte Tp from the centre
    clock with delay 0 ("no check") by default, PW only when given. 92/93 data = pump/valve number
    (default 1); 32/33 no data; 34 quota = 5-byte BCD m³ low byte first; 11 clock = s, min, h, day,
    month, year BCD (Tp order); 61 query image has no data, then Tp: the terminal answers with a picture
    taken now, as 61 uplinks split with DIV (each confirmed), whose data joined is the JPEG. A 61 downlink
    decodes with D opaque: split (DIV) it is the centre's confirm of a picture frame, else the query.
11. **Reassembly**: a count above the one being collected starts a new message (restart); a repeated
    count replaces the earlier copy; completion when all counts from the first down to 1 are in.
"""

from __future__ import annotations

from changji.water.protocols.szy206.codes import (
    AFN_02_LINK_CHECK,
    AFN_1A_SET_QUALITY_LOWER_LIMITS,
    AFN_1B_SET_METER_BASE,
    AFN_1C_SET_RELAY_LEAD_LENGTH,
    AFN_1D_SET_RELAY_ADDRESSES,
    AFN_1E_RELAY_AUTO_SWITCH,
    AFN_1F_SET_FLOW_LIMITS,
    AFN_5A_QUERY_QUALITY_LOWER_LIMITS,
    AFN_5C_QUERY_DAILY_HISTORY,
    AFN_5D_QUERY_EVENTS,
    AFN_5E_QUERY_STATUS_ALARM,
    AFN_5F_QUERY_PUMP_MOTOR,
    AFN_10_SET_ADDRESS,
    AFN_11_SET_CLOCK,
    AFN_12_SET_WORK_MODE,
    AFN_15_SET_RECHARGE,
    AFN_16_SET_REMAINING_ALARM,
    AFN_17_SET_LEVEL_LIMITS,
    AFN_18_SET_PRESSURE_LIMITS,
    AFN_19_SET_QUALITY_UPPER_LIMITS,
    AFN_20_SET_THRESHOLDS,
    AFN_30_IC_CARD_ON,
    AFN_31_IC_CARD_OFF,
    AFN_32_QUOTA_CONTROL_ON,
    AFN_33_QUOTA_CONTROL_OFF,
    AFN_34_SET_QUOTA,
    AFN_50_QUERY_ADDRESS,
    AFN_51_QUERY_CLOCK,
    AFN_52_QUERY_WORK_MODE,
    AFN_53_QUERY_REPORT_TYPES,
    AFN_54_QUERY_REALTIME_TYPES,
    AFN_55_QUERY_RECHARGE,
    AFN_56_QUERY_REMAINING_ALARM,
    AFN_57_QUERY_LEVEL_LIMITS,
    AFN_58_QUERY_PRESSURE_LIMITS,
    AFN_59_QUERY_QUALITY_UPPER_LIMITS,
    AFN_60_QUERY_RELAY_LEAD_LENGTH,
    AFN_61_QUERY_IMAGE,
    AFN_62_QUERY_RELAY_ADDRESSES,
    AFN_63_QUERY_RELAY_STATUS,
    AFN_64_QUERY_FLOW_LIMITS,
    AFN_81_ALARM_REPORT,
    AFN_82_MANUAL_REPORT,
    AFN_83_IMAGE_REPORT,
    AFN_84_VOLTAGE_REPORT,
    AFN_90_RESET,
    AFN_91_CLEAR_HISTORY,
    AFN_92_START_PUMP,
    AFN_93_STOP_PUMP,
    AFN_94_SWITCH_COMM_UNIT,
    AFN_95_SWITCH_RELAY_UNIT,
    AFN_96_CHANGE_PASSWORD,
    AFN_A0_SET_REALTIME_TYPES,
    AFN_A1_SET_REPORT_TYPES,
    AFN_B0_QUERY_REALTIME,
    AFN_B1_QUERY_STORED,
    AFN_B2_QUERY_MEMORY_REPORTS,
    AFN_C0_SELF_REPORT,
    AFN_FF_USER_DEFINED,
    C_DIR_UPLINK,
    C_DIV_SPLIT,
    COMMAND_AFNS,
    CONFIRMED_AFNS,
    DOWNLINK_DATA_SIZE,
    FCB_DEFAULT,
    IMAGE_AFNS,
    LINK_F0_LOGIN,
    LINK_F1_LOGOUT,
    LINK_F2_KEEPALIVE,
    LINK_NAMES,
    PASSWORD_AFNS,
    REPORT_AFNS,
    TYPE_0_COMMAND,
    TYPE_1_RAINFALL,
    TYPE_2_WATER_LEVEL,
    TYPE_3_FLOW,
    TYPE_4_VELOCITY,
    TYPE_5_GATE,
    TYPE_6_POWER,
    TYPE_7_WEATHER,
    TYPE_8_ENERGY,
    TYPE_9_WATER_TEMPERATURE,
    TYPE_A_WATER_QUALITY,
    TYPE_B_SOIL_MOISTURE,
    TYPE_C_EVAPORATION,
    TYPE_D_ALARM_STATUS,
    TYPE_E_COMPREHENSIVE,
    TYPE_F_WATER_PRESSURE,
    UPLINK_DATA_SIZE,
    WORK_MODE_00_REPORT_AND_QUERY,
    WORK_MODE_01_REPORT_CONFIRMED,
    WORK_MODE_02_QUERY_ANSWER,
    WORK_MODE_03_DEBUG,
)
from changji.water.protocols.szy206.commands import (
    build_ack,
    encode_confirm,
    encode_image_frames,
    encode_link_echo,
    encode_query_image,
    encode_query_realtime,
    encode_quota_control,
    encode_self_report,
    encode_set_clock,
    encode_set_quota,
    encode_start_pump,
    encode_stop_pump,
    to_reading,
)
from changji.water.protocols.szy206.frame import (
    DEFAULT_OPTIONS,
    Szy206Frame,
    Szy206Options,
    address_parts,
    decode_szy206,
    encode_szy206,
)
from changji.water.protocols.szy206.reassembly import (
    Szy206Message,
    Szy206Reassembler,
)
from changji.water.protocols.szy206.time import (
    TimeLabel,
)

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "DEFAULT_OPTIONS",
    "Szy206Frame",
    "Szy206Message",
    "Szy206Options",
    "Szy206Reassembler",
    "TimeLabel",
    "address_parts",
    "build_ack",
    "decode_szy206",
    "encode_confirm",
    "encode_image_frames",
    "encode_link_echo",
    "encode_query_image",
    "encode_query_realtime",
    "encode_quota_control",
    "encode_self_report",
    "encode_set_clock",
    "encode_set_quota",
    "encode_start_pump",
    "encode_stop_pump",
    "encode_szy206",
    "to_reading",
    "C_DIR_UPLINK",
    "C_DIV_SPLIT",
    "FCB_DEFAULT",
    "TYPE_0_COMMAND",
    "TYPE_1_RAINFALL",
    "TYPE_2_WATER_LEVEL",
    "TYPE_3_FLOW",
    "TYPE_4_VELOCITY",
    "TYPE_5_GATE",
    "TYPE_6_POWER",
    "TYPE_7_WEATHER",
    "TYPE_8_ENERGY",
    "TYPE_9_WATER_TEMPERATURE",
    "TYPE_A_WATER_QUALITY",
    "TYPE_B_SOIL_MOISTURE",
    "TYPE_C_EVAPORATION",
    "TYPE_D_ALARM_STATUS",
    "TYPE_E_COMPREHENSIVE",
    "TYPE_F_WATER_PRESSURE",
    "AFN_02_LINK_CHECK",
    "AFN_10_SET_ADDRESS",
    "AFN_11_SET_CLOCK",
    "AFN_12_SET_WORK_MODE",
    "AFN_15_SET_RECHARGE",
    "AFN_16_SET_REMAINING_ALARM",
    "AFN_17_SET_LEVEL_LIMITS",
    "AFN_18_SET_PRESSURE_LIMITS",
    "AFN_19_SET_QUALITY_UPPER_LIMITS",
    "AFN_1A_SET_QUALITY_LOWER_LIMITS",
    "AFN_1B_SET_METER_BASE",
    "AFN_1C_SET_RELAY_LEAD_LENGTH",
    "AFN_1D_SET_RELAY_ADDRESSES",
    "AFN_1E_RELAY_AUTO_SWITCH",
    "AFN_1F_SET_FLOW_LIMITS",
    "AFN_20_SET_THRESHOLDS",
    "AFN_30_IC_CARD_ON",
    "AFN_31_IC_CARD_OFF",
    "AFN_32_QUOTA_CONTROL_ON",
    "AFN_33_QUOTA_CONTROL_OFF",
    "AFN_34_SET_QUOTA",
    "AFN_50_QUERY_ADDRESS",
    "AFN_51_QUERY_CLOCK",
    "AFN_52_QUERY_WORK_MODE",
    "AFN_53_QUERY_REPORT_TYPES",
    "AFN_54_QUERY_REALTIME_TYPES",
    "AFN_55_QUERY_RECHARGE",
    "AFN_56_QUERY_REMAINING_ALARM",
    "AFN_57_QUERY_LEVEL_LIMITS",
    "AFN_58_QUERY_PRESSURE_LIMITS",
    "AFN_59_QUERY_QUALITY_UPPER_LIMITS",
    "AFN_5A_QUERY_QUALITY_LOWER_LIMITS",
    "AFN_5C_QUERY_DAILY_HISTORY",
    "AFN_5D_QUERY_EVENTS",
    "AFN_5E_QUERY_STATUS_ALARM",
    "AFN_5F_QUERY_PUMP_MOTOR",
    "AFN_60_QUERY_RELAY_LEAD_LENGTH",
    "AFN_61_QUERY_IMAGE",
    "AFN_62_QUERY_RELAY_ADDRESSES",
    "AFN_63_QUERY_RELAY_STATUS",
    "AFN_64_QUERY_FLOW_LIMITS",
    "AFN_81_ALARM_REPORT",
    "AFN_82_MANUAL_REPORT",
    "AFN_83_IMAGE_REPORT",
    "AFN_84_VOLTAGE_REPORT",
    "AFN_90_RESET",
    "AFN_91_CLEAR_HISTORY",
    "AFN_92_START_PUMP",
    "AFN_93_STOP_PUMP",
    "AFN_94_SWITCH_COMM_UNIT",
    "AFN_95_SWITCH_RELAY_UNIT",
    "AFN_96_CHANGE_PASSWORD",
    "AFN_A0_SET_REALTIME_TYPES",
    "AFN_A1_SET_REPORT_TYPES",
    "AFN_B0_QUERY_REALTIME",
    "AFN_B1_QUERY_STORED",
    "AFN_B2_QUERY_MEMORY_REPORTS",
    "AFN_C0_SELF_REPORT",
    "AFN_FF_USER_DEFINED",
    "LINK_F0_LOGIN",
    "LINK_F1_LOGOUT",
    "LINK_F2_KEEPALIVE",
    "LINK_NAMES",
    "WORK_MODE_00_REPORT_AND_QUERY",
    "WORK_MODE_01_REPORT_CONFIRMED",
    "WORK_MODE_02_QUERY_ANSWER",
    "WORK_MODE_03_DEBUG",
    "REPORT_AFNS",
    "IMAGE_AFNS",
    "CONFIRMED_AFNS",
    "PASSWORD_AFNS",
    "COMMAND_AFNS",
    "DOWNLINK_DATA_SIZE",
    "UPLINK_DATA_SIZE",
]
