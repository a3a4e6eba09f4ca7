"""Code tables of SZY206-2016 / SL/T 427-2021: control-field type codes and AFN function codes.

* Type codes are the low nibble of the control field C (SL/T 427-2021 表3; docs/protocols.md §2.3): the
  parameter class of a self-report (DIR=1) or of a query/response (DIR=0). The SL/T 427 meanings
  are used (7 = weather, 8 = electric energy 电量), as the later revision and the one that carries kWh.
* AFN codes are the application function codes of SL/T 427-2021 表5 (docs/protocols.md §2.5: the same
  in every version and in the public implementations). User-defined AFNs are 2 bytes ``FF xx`` on the wire and
  are stored as ``0xFF00 | xx``.
* The frame-layout tables at the end (which AFNs carry a password, which need a confirm, the data
  size of each downlink) are this codec's decisions; the module docstring of ``szy206`` lists them.
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it

# --- Control field C (SL/T 427-2021 表3, §2.3) --------------------------------------------------
C_DIR_UPLINK = 0x80  # D7: 1 = terminal -> centre
C_DIV_SPLIT = 0x40  # D6: 1 = split message, DIVS byte follows C
FCB_DEFAULT = 3  # D5-D4: initiator's frame counter, 3 on first send

TYPE_0_COMMAND = 0x0  # down: send/confirm command; up: confirm
TYPE_1_RAINFALL = 0x1  # 雨量
TYPE_2_WATER_LEVEL = 0x2  # 水位
TYPE_3_FLOW = 0x3  # 流量(水量): instantaneous flow + cumulative volume
TYPE_4_VELOCITY = 0x4  # 流速
TYPE_5_GATE = 0x5  # 闸位
TYPE_6_POWER = 0x6  # 功率
TYPE_7_WEATHER = 0x7  # 气象 (SL/T 427; 2016: air pressure)
TYPE_8_ENERGY = 0x8  # 电量 kWh (SL/T 427; 2016: wind speed)
TYPE_9_WATER_TEMPERATURE = 0x9  # 水温
TYPE_A_WATER_QUALITY = 0xA  # 水质
TYPE_B_SOIL_MOISTURE = 0xB  # 土壤含水率
TYPE_C_EVAPORATION = 0xC  # 蒸发量
TYPE_D_ALARM_STATUS = 0xD  # 报警或状态; also terminal voltage (SL/T 427)
TYPE_E_COMPREHENSIVE = 0xE  # down: 综合参数; up: 统计用量 / statistical rainfall
TYPE_F_WATER_PRESSURE = 0xF  # 水压

# --- Application function codes AFN (SL/T 427-2021 表5, §2.5) -----------------------------------
AFN_02_LINK_CHECK = 0x02
AFN_10_SET_ADDRESS = 0x10
AFN_11_SET_CLOCK = 0x11
AFN_12_SET_WORK_MODE = 0x12
AFN_15_SET_RECHARGE = 0x15
AFN_16_SET_REMAINING_ALARM = 0x16
AFN_17_SET_LEVEL_LIMITS = 0x17
AFN_18_SET_PRESSURE_LIMITS = 0x18
AFN_19_SET_QUALITY_UPPER_LIMITS = 0x19
AFN_1A_SET_QUALITY_LOWER_LIMITS = 0x1A
AFN_1B_SET_METER_BASE = 0x1B
AFN_1C_SET_RELAY_LEAD_LENGTH = 0x1C
AFN_1D_SET_RELAY_ADDRESSES = 0x1D
AFN_1E_RELAY_AUTO_SWITCH = 0x1E
AFN_1F_SET_FLOW_LIMITS = 0x1F
AFN_20_SET_THRESHOLDS = 0x20
AFN_30_IC_CARD_ON = 0x30
AFN_31_IC_CARD_OFF = 0x31
AFN_32_QUOTA_CONTROL_ON = 0x32
AFN_33_QUOTA_CONTROL_OFF = 0x33
AFN_34_SET_QUOTA = 0x34
AFN_50_QUERY_ADDRESS = 0x50
AFN_51_QUERY_CLOCK = 0x51
AFN_52_QUERY_WORK_MODE = 0x52
AFN_53_QUERY_REPORT_TYPES = 0x53
AFN_54_QUERY_REALTIME_TYPES = 0x54
AFN_55_QUERY_RECHARGE = 0x55
AFN_56_QUERY_REMAINING_ALARM = 0x56
AFN_57_QUERY_LEVEL_LIMITS = 0x57
AFN_58_QUERY_PRESSURE_LIMITS = 0x58
AFN_59_QUERY_QUALITY_UPPER_LIMITS = 0x59
AFN_5A_QUERY_QUALITY_LOWER_LIMITS = 0x5A
AFN_5C_QUERY_DAILY_HISTORY = 0x5C
AFN_5D_QUERY_EVENTS = 0x5D
AFN_5E_QUERY_STATUS_ALARM = 0x5E
AFN_5F_QUERY_PUMP_MOTOR = 0x5F
AFN_60_QUERY_RELAY_LEAD_LENGTH = 0x60
AFN_61_QUERY_IMAGE = 0x61
AFN_62_QUERY_RELAY_ADDRESSES = 0x62
AFN_63_QUERY_RELAY_STATUS = 0x63
AFN_64_QUERY_FLOW_LIMITS = 0x64
AFN_81_ALARM_REPORT = 0x81
AFN_82_MANUAL_REPORT = 0x82
AFN_83_IMAGE_REPORT = 0x83
AFN_84_VOLTAGE_REPORT = 0x84
AFN_90_RESET = 0x90
AFN_91_CLEAR_HISTORY = 0x91
AFN_92_START_PUMP = 0x92
AFN_93_STOP_PUMP = 0x93
AFN_94_SWITCH_COMM_UNIT = 0x94
AFN_95_SWITCH_RELAY_UNIT = 0x95
AFN_96_CHANGE_PASSWORD = 0x96
AFN_A0_SET_REALTIME_TYPES = 0xA0
AFN_A1_SET_REPORT_TYPES = 0xA1
AFN_B0_QUERY_REALTIME = 0xB0
AFN_B1_QUERY_STORED = 0xB1
AFN_B2_QUERY_MEMORY_REPORTS = 0xB2
AFN_C0_SELF_REPORT = 0xC0
AFN_FF_USER_DEFINED = 0xFF  # first byte of a 2-byte user AFN; stored as 0xFF00 | second byte

# --- AFN 02 link-check data byte (§2.5, §2.8) --------------------------------------------------
LINK_F0_LOGIN = 0xF0
LINK_F1_LOGOUT = 0xF1
LINK_F2_KEEPALIVE = 0xF2
LINK_NAMES: dict[int, str] = {
    LINK_F0_LOGIN: "login",
    LINK_F1_LOGOUT: "logout",
    LINK_F2_KEEPALIVE: "keepalive",
}

# --- Work mode (terminal status word D1-D0, confirm data byte; §2.8, §2.10) --------------------
WORK_MODE_00_REPORT_AND_QUERY = 0x00
WORK_MODE_01_REPORT_CONFIRMED = 0x01
WORK_MODE_02_QUERY_ANSWER = 0x02
WORK_MODE_03_DEBUG = 0x03

# --- Layout tables (codec decisions, see the ``szy206`` module docstring) ---------------------
#: Uplinks laid out like C0: values per class, alarm word, status word, Tp.
REPORT_AFNS = frozenset(
    {AFN_C0_SELF_REPORT, AFN_81_ALARM_REPORT, AFN_82_MANUAL_REPORT, AFN_B0_QUERY_REALTIME}
)
#: Picture AFNs: their L field is not trusted when split (§2.2 "L×1K"); the data is picture bytes.
IMAGE_AFNS = frozenset({AFN_61_QUERY_IMAGE, AFN_83_IMAGE_REPORT})
#: Terminal-initiated uplinks the centre confirms (§2.8); 61 only when split (§2.11).
CONFIRMED_AFNS = frozenset(
    {
        AFN_C0_SELF_REPORT,
        AFN_81_ALARM_REPORT,
        AFN_82_MANUAL_REPORT,
        AFN_83_IMAGE_REPORT,
        AFN_84_VOLTAGE_REPORT,
    }
)
#: "Important" downlinks that may carry PW (§2.7): settings, controls, resets. A 7-byte AUX of
#: these reads as PW + 5-byte Tp unless the options say the Tp is 7 bytes.
PASSWORD_AFNS = frozenset(
    set(range(AFN_10_SET_ADDRESS, AFN_20_SET_THRESHOLDS + 1))
    | set(range(AFN_30_IC_CARD_ON, AFN_34_SET_QUOTA + 1))
    | set(range(AFN_90_RESET, AFN_96_CHANGE_PASSWORD + 1))
    | {AFN_A0_SET_REALTIME_TYPES, AFN_A1_SET_REPORT_TYPES}
)
#: Commands whose uplink answer (same AFN) means "executed"; the answer data is kept as "result".
COMMAND_AFNS = PASSWORD_AFNS
#: Data-field size of the downlinks this codec understands; the rest of the frame is [PW] [Tp].
DOWNLINK_DATA_SIZE: dict[int, int] = {
    AFN_02_LINK_CHECK: 1,
    **{afn: 1 for afn in CONFIRMED_AFNS},
    AFN_11_SET_CLOCK: 6,
    AFN_30_IC_CARD_ON: 0,
    AFN_31_IC_CARD_OFF: 0,
    AFN_32_QUOTA_CONTROL_ON: 0,
    AFN_33_QUOTA_CONTROL_OFF: 0,
    AFN_34_SET_QUOTA: 5,
    AFN_90_RESET: 0,
    AFN_91_CLEAR_HISTORY: 0,
    AFN_92_START_PUMP: 1,
    AFN_93_STOP_PUMP: 1,
    AFN_B0_QUERY_REALTIME: 0,
    **{
        afn: 0
        for afn in range(AFN_50_QUERY_ADDRESS, AFN_64_QUERY_FLOW_LIMITS + 1)
        if afn not in (0x5B, 0x5C, 0x61)
    },
}
#: Uplink data sizes of fixed-layout answers: link check, status/alarm words, 32 ERC counters.
UPLINK_DATA_SIZE: dict[int, int] = {
    AFN_02_LINK_CHECK: 1,
    AFN_5E_QUERY_STATUS_ALARM: 4,
    AFN_5D_QUERY_EVENTS: 64,
}
