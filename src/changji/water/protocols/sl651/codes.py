"""SL651-2014 code tables: control characters, function codes, station types, element identifiers.

Everything here is data, cited by the table of SL651-2014 it comes from, so that the codec modules
(``sl651.py``, ``sl651_ascii.py``, ``sl651_elements.py``) contain no magic numbers. Only the entries that
well, level and rain stations are seen to send are listed (docs/protocols.md §1.2); an element guide not
listed is keyed by the two hex digits of its guide byte (the data-definition byte is metadata).
"""

from __future__ import annotations

from typing import NamedTuple

__pure__ = True  # no Django: tests/test_architecture.py checks it

# --- Control characters (SL651 表10) -------------------------------------------------------------

SOH = 0x01  #: ASCII frame start (HEX/BCD frames start with 7E 7E)
STX = 0x02  #: body start, single packet (M1/M2/M4)
ETX = 0x03  #: end of message, nothing follows (uplink)
EOT = 0x04  #: downlink ack: finished, the station may go offline
ENQ = 0x05  #: end of a downlink query or command
ACK = 0x06  #: downlink ack: continue sending
NAK = 0x15  #: downlink: retransmit one packet (M3)
SYN = 0x16  #: body start, multi-packet (M3); the 3-byte packet counter follows
ETB = 0x17  #: end of packet, more packets follow (uplink)
ESC = 0x1B  #: downlink ack: finished, the station stays online

HEX_START = b"\x7e\x7e"  #: SL651 表20: HEX/BCD frame start

UPLINK_ENDS = frozenset({ETX, ETB})  #: SL651 表20 field 9, station -> centre
DOWNLINK_ENDS = frozenset({ENQ, ACK, EOT, ESC, NAK})  #: SL651 表21 field 9, centre -> station
CONTROL_NAMES: dict[int, str] = {
    SOH: "SOH",
    STX: "STX",
    ETX: "ETX",
    EOT: "EOT",
    ENQ: "ENQ",
    ACK: "ACK",
    NAK: "NAK",
    SYN: "SYN",
    ETB: "ETB",
    ESC: "ESC",
}

# --- Function codes (SL651 附录B 表B.1) ----------------------------------------------------------

FC_2F_LINK_KEEPALIVE = 0x2F  #: 链路维持报, M1, no reply
FC_30_TEST_REPORT = 0x30  #: 测试报
FC_31_EQUAL_INTERVAL_REPORT = 0x31  #: 均匀时段水文信息报
FC_32_TIMED_REPORT = 0x32  #: 遥测站定时报 (also 平安报)
FC_33_EVENT_REPORT = 0x33  #: 遥测站加报报
FC_34_HOURLY_REPORT = 0x34  #: 遥测站小时报
FC_35_MANUAL_REPORT = 0x35  #: 人工置数报
FC_36_PICTURE = 0x36  #: 图片报 / query picture
FC_37_QUERY_REALTIME = 0x37  #: query real-time data
FC_38_QUERY_PERIOD = 0x38  #: query period (historical) data
FC_39_QUERY_MANUAL = 0x39  #: query manual data
FC_3A_QUERY_ELEMENTS = 0x3A  #: query specified elements
FC_40_MODIFY_BASIC_CONFIG = 0x40  #: modify basic configuration (附录D 表D.1)
FC_41_READ_BASIC_CONFIG = 0x41  #: read basic configuration
FC_42_MODIFY_RUNTIME_PARAMS = 0x42  #: modify runtime parameters (附录D 表D.4)
FC_43_READ_RUNTIME_PARAMS = 0x43  #: read runtime parameters
FC_44_QUERY_PUMP_MOTOR = 0x44  #: query pump-motor real-time data (3-phase V/I)
FC_45_QUERY_VERSION = 0x45  #: query software version
FC_46_QUERY_STATUS = 0x46  #: query status and alarm word
FC_47_INIT_STORAGE = 0x47  #: initialise solid-state storage
FC_48_FACTORY_RESET = 0x48  #: restore factory settings
FC_49_CHANGE_PASSWORD = 0x49  #: change password
FC_4A_SET_CLOCK = 0x4A  #: set clock (the downlink send time is the new clock)
FC_4B_SET_IC_CARD = 0x4B  #: set IC-card state
FC_4C_PUMP_CONTROL = 0x4C  #: pump on/off command / pump-state self-report
FC_4D_VALVE_CONTROL = 0x4D  #: valve on/off command / valve-state self-report
FC_4E_GATE_CONTROL = 0x4E  #: gate on/off command / gate-state self-report
FC_4F_QUOTA_CONTROL = 0x4F  #: water-quota (定值) control on/off
FC_50_QUERY_EVENTS = 0x50  #: query event record ERC1..ERC32
FC_51_QUERY_CLOCK = 0x51  #: query clock

FUNCTION_NAMES: dict[int, str] = {
    FC_2F_LINK_KEEPALIVE: "link keep-alive",
    FC_30_TEST_REPORT: "test report",
    FC_31_EQUAL_INTERVAL_REPORT: "equal-interval report",
    FC_32_TIMED_REPORT: "timed report",
    FC_33_EVENT_REPORT: "event report",
    FC_34_HOURLY_REPORT: "hourly report",
    FC_35_MANUAL_REPORT: "manual report",
    FC_36_PICTURE: "picture",
    FC_37_QUERY_REALTIME: "query real-time data",
    FC_38_QUERY_PERIOD: "query period data",
    FC_39_QUERY_MANUAL: "query manual data",
    FC_3A_QUERY_ELEMENTS: "query elements",
    FC_40_MODIFY_BASIC_CONFIG: "modify basic config",
    FC_41_READ_BASIC_CONFIG: "read basic config",
    FC_42_MODIFY_RUNTIME_PARAMS: "modify runtime parameters",
    FC_43_READ_RUNTIME_PARAMS: "read runtime parameters",
    FC_44_QUERY_PUMP_MOTOR: "query pump motor data",
    FC_45_QUERY_VERSION: "query software version",
    FC_46_QUERY_STATUS: "query status and alarm",
    FC_47_INIT_STORAGE: "initialise storage",
    FC_48_FACTORY_RESET: "factory reset",
    FC_49_CHANGE_PASSWORD: "change password",
    FC_4A_SET_CLOCK: "set clock",
    FC_4B_SET_IC_CARD: "set IC card",
    FC_4C_PUMP_CONTROL: "pump control",
    FC_4D_VALVE_CONTROL: "valve control",
    FC_4E_GATE_CONTROL: "gate control",
    FC_4F_QUOTA_CONTROL: "quota control",
    FC_50_QUERY_EVENTS: "query event record",
    FC_51_QUERY_CLOCK: "query clock",
}

#: Uplinks the centre acknowledges in link mode M2 (SL651 6.3, docs/protocols.md §1.1).
ACKNOWLEDGED_FUNCTIONS = frozenset(range(FC_30_TEST_REPORT, FC_35_MANUAL_REPORT + 1))

#: Uplinks whose ST group carries the station-type byte (SL651 表24; verified absent in 40–43, 45–51).
TYPED_FUNCTIONS = frozenset(range(FC_30_TEST_REPORT, FC_3A_QUERY_ELEMENTS + 1)) | {FC_44_QUERY_PUMP_MOTOR}

#: Uplink responses 40H–51H (but 44H): ST group without the station-type byte (verified, Fujian set).
UNTYPED_ST_FUNCTIONS = frozenset(range(FC_40_MODIFY_BASIC_CONFIG, FC_51_QUERY_CLOCK + 1)) - TYPED_FUNCTIONS

#: Functions whose identifiers come from 附录D (configuration) instead of 附录C.
CONFIG_FUNCTIONS_UP = frozenset(
    {
        FC_40_MODIFY_BASIC_CONFIG,
        FC_41_READ_BASIC_CONFIG,
        FC_42_MODIFY_RUNTIME_PARAMS,
        FC_43_READ_RUNTIME_PARAMS,
        FC_47_INIT_STORAGE,
        FC_48_FACTORY_RESET,
        FC_49_CHANGE_PASSWORD,
    }
)
CONFIG_FUNCTIONS_DOWN = frozenset(
    {FC_40_MODIFY_BASIC_CONFIG, FC_42_MODIFY_RUNTIME_PARAMS, FC_49_CHANGE_PASSWORD}
)

#: Uplink responses whose body after the ST group is a function-specific byte string (6.6.4).
RAW_TAIL_FUNCTIONS_UP = frozenset(
    {
        FC_45_QUERY_VERSION,
        FC_4B_SET_IC_CARD,
        FC_4C_PUMP_CONTROL,
        FC_4D_VALVE_CONTROL,
        FC_4E_GATE_CONTROL,
        FC_4F_QUOTA_CONTROL,
        FC_50_QUERY_EVENTS,
    }
)

#: Uplinks that carry observations (SL651 6.6.4: reports and query responses with elements).
READING_FUNCTIONS = frozenset(
    {
        FC_30_TEST_REPORT,
        FC_31_EQUAL_INTERVAL_REPORT,
        FC_32_TIMED_REPORT,
        FC_33_EVENT_REPORT,
        FC_34_HOURLY_REPORT,
        FC_37_QUERY_REALTIME,
        FC_38_QUERY_PERIOD,
        FC_3A_QUERY_ELEMENTS,
        FC_44_QUERY_PUMP_MOTOR,
        FC_46_QUERY_STATUS,
    }
)

#: Function codes defined by 表B.1 (2F..51); the rest are reserved or user-defined (E0..FF).
KNOWN_FUNCTIONS = frozenset(FUNCTION_NAMES)

# --- Station types (SL651 附录A 表A.1) -----------------------------------------------------------

STATION_TYPES: dict[str, str] = {
    "P": "rainfall 降水",
    "H": "river 河道",
    "K": "reservoir/lake 水库(湖泊)",
    "Z": "sluice/dam 闸坝",
    "D": "pumping station 泵站",
    "T": "tide 潮汐",
    "M": "soil moisture 墒情",
    "G": "groundwater 地下水",
    "Q": "water quality 水质",
    "I": "water intake 取水口",
    "O": "outfall 排水口",
}

# --- Special guides (SL651 附录C 表C.1, fixed length) ---------------------------------------------

GUIDE_03_WATER_TEMPERATURE = 0x03
GUIDE_04_TIME_STEP = 0x04  #: DRxnn, 3 bytes BCD day, hour, minute
GUIDE_0E_GROUNDWATER_DEPTH = 0x0E
GUIDE_27_FLOW = 0x27
GUIDE_38_VOLTAGE = 0x38
GUIDE_39_WATER_LEVEL = 0x39
GUIDE_45_STATUS_WORD = 0x45  #: ZT, 4 bytes HEX (表58)
GUIDE_F0_OBSERVATION_TIME = 0xF0  #: TT, 5 bytes BCD YYMMDDhhmm
GUIDE_F1_STATION = 0xF1  #: ST, 5 bytes address (+ 1 type byte in data reports)
GUIDE_F2_MANUAL = 0xF2  #: RGZS, rest of body
GUIDE_F3_PICTURE = 0xF3  #: PIC, rest of body (JPEG)
GUIDE_F4_RAIN_SLOTS = 0xF4  #: DRP, 12 x 1 byte HEX, 0.1 mm
GUIDE_F5_LEVEL_SLOTS_1 = 0xF5  #: DRZ1 .. (FC = DRZ8), 12 x 2 bytes HEX, 0.01 m
GUIDE_FC_LEVEL_SLOTS_8 = 0xFC
GUIDE_FD_VELOCITY_BATCH = 0xFD  #: DATA
GUIDE_FF_EXTENSION = 0xFF  #: user extension: FF, extension byte, data-definition byte

TIME_STEP_DEFINER = 0x18  #: 04 18: 3 bytes, 0 decimals
STATUS_WORD_DEFINER = 0x20  #: 45 20: 4 bytes
RAIN_SLOTS_DEFINER = 0x60  #: F4 60
LEVEL_SLOTS_DEFINER = 0xC0  #: F5 C0 (Fujian: F5 5C)
RAIN_SLOTS_SIZE = 12
LEVEL_SLOTS_SIZE = 24


class ElementInfo(NamedTuple):
    """One row of 附录C 表C.1: ASCII identifier, meaning and unit."""

    key: str
    name: str
    unit: str


def _numbered(prefix: str, first_guide: int, name: str, unit: str, count: int = 8) -> dict[int, ElementInfo]:
    return {first_guide + i: ElementInfo(f"{prefix}{i + 1}", f"{name} {i + 1}", unit) for i in range(count)}


_SOIL_DEPTHS = (10, 20, 30, 40, 50, 60, 80, 100)

#: Element identifiers by guide byte (SL651 附录C 表C.1), those stations are seen to send.
ELEMENTS: dict[int, ElementInfo] = {
    0x03: ElementInfo("C", "instantaneous water temperature 瞬时水温", "°C"),
    0x04: ElementInfo("DRxnn", "time-step code 时间步长码", "min"),
    0x07: ElementInfo("EJ", "current evaporation 当前蒸发", "mm"),
    0x0E: ElementInfo("H", "groundwater instantaneous depth 地下水瞬时埋深", "m"),
    **{
        0x10 + i: ElementInfo(f"M{depth}", f"soil moisture at {depth} cm 墒情", "%")
        for i, depth in enumerate(_SOIL_DEPTHS)
    },
    0x19: ElementInfo("NS", "number of pumps running 开机台数", ""),
    0x1A: ElementInfo("P1", "1-hour rainfall 1小时时段降水量", "mm"),
    0x1F: ElementInfo("PD", "daily rainfall 日降水量", "mm"),
    0x20: ElementInfo("PJ", "current rainfall 当前降水量", "mm"),
    0x22: ElementInfo("PN05", "5-minute rainfall 5分钟时段降水量", "mm"),
    0x26: ElementInfo("PT", "accumulated rainfall 降水量累计值", "mm"),
    0x27: ElementInfo("Q", "instantaneous flow 瞬时流量", "m³/s"),
    **_numbered("Q", 0x28, "intake/outfall flow 取(排)水口流量", "m³/s"),
    0x30: ElementInfo("QA", "total outflow 总出库流量", "m³/s"),
    0x36: ElementInfo("VA", "mean section velocity 断面平均流速", "m/s"),
    0x37: ElementInfo("VJ", "current velocity 当前瞬时流速", "m/s"),
    0x38: ElementInfo("VT", "supply voltage 电源电压", "V"),
    0x39: ElementInfo("Z", "instantaneous water level 瞬时河道水位", "m"),
    0x3A: ElementInfo("ZB", "lower water level 库(闸、站)下水位", "m"),
    0x3B: ElementInfo("ZU", "upper water level 库(闸、站)上水位", "m"),
    **_numbered("Z", 0x3C, "intake/outfall water level 取(排)水口水位", "m"),
    0x45: ElementInfo("ZT", "station status and alarm word 遥测站状态及报警信息", ""),
    **_numbered("WP", 0x58, "water pressure 水压", "kPa"),
    **_numbered("SYL", 0x60, "water meter remaining water 水表剩余水量", "m³"),
    **_numbered("SBL", 0x68, "water meter hourly water 水表每小时水量", "m³/h"),
    0x70: ElementInfo("VTA", "AC voltage phase A 交流A相电压", "V"),
    0x71: ElementInfo("VTB", "AC voltage phase B 交流B相电压", "V"),
    0x72: ElementInfo("VTC", "AC voltage phase C 交流C相电压", "V"),
    0x73: ElementInfo("VIA", "AC current phase A 交流A相电流", "A"),
    0x74: ElementInfo("VIB", "AC current phase B 交流B相电流", "A"),
    0x75: ElementInfo("VIC", "AC current phase C 交流C相电流", "A"),
    0xF4: ElementInfo("DRP", "5-minute rainfall slots 1小时内每5分钟时段雨量", "mm"),
    **{
        0xF5 + i: ElementInfo(
            f"DRZ{i + 1}", f"5-minute relative water level {i + 1} 每5分钟间隔相对水位", "m"
        )
        for i in range(8)
    },
    0xFD: ElementInfo("DATA", "velocity batch 流速批量数据传输", ""),
}

#: ASCII identifier -> guide byte, for encoding.
ELEMENT_GUIDES: dict[str, int] = {info.key: guide for guide, info in ELEMENTS.items()}

#: Keys of the series guides F4..FC.
SLOT_KEYS = frozenset(ELEMENTS[g].key for g in range(GUIDE_F4_RAIN_SLOTS, GUIDE_FC_LEVEL_SLOTS_8 + 1))

# --- Configuration identifiers (SL651 附录D 表D.1 / 表D.4) ----------------------------------------

CONFIG_01_CENTRE_ADDRESSES = 0x01
CONFIG_02_STATION_ADDRESS = 0x02
CONFIG_03_PASSWORD = 0x03
CONFIG_0C_WORK_MODE = 0x0C
CONFIG_20_TIMED_REPORT_INTERVAL = 0x20
CONFIG_23_SAMPLING_INTERVAL = 0x23

#: 表D.1 items whose data are addresses or codes, kept as hex strings rather than numbers.
CONFIG_HEX_ITEMS = frozenset({0x01, 0x02, 0x03, *range(0x04, 0x0C), 0x0D, 0x0F})

CONFIG_NAMES: dict[int, str] = {
    0x01: "centre addresses 中心站地址",
    0x02: "station address 遥测站地址",
    0x03: "password 密码",
    **{0x04 + i: f"centre {i // 2 + 1} {'backup' if i % 2 else 'main'} channel" for i in range(8)},
    0x0C: "work mode 工作方式",
    0x0D: "collected elements 采集要素设置",
    0x0F: "SIM card / device id",
    0x20: "timed-report interval 定时报时间间隔 (h)",
    0x21: "extra-report interval 加报时间间隔 (min)",
    0x22: "rainfall day start hour 降水量日起始时间",
    0x23: "sampling interval 采样间隔 (s)",
    0x24: "water-level storage interval 水位数据存储间隔 (min)",
    0x27: "rainfall extra-report threshold 雨量加报阈值 (mm)",
    0x42: "flow threshold",
    0x45: "power threshold",
    0x8D: "flow upper limit",
    0x96: "quota value",
    0x97: "initialise storage",
    0x98: "factory reset",
}

# --- Status and alarm word (SL651 表58, identifier 45H) ------------------------------------------

STATUS_00_AC_POWER_CUT = 0  #: 0 normal, 1 AC charging cut
STATUS_01_BATTERY_LOW = 1
STATUS_02_LEVEL_ALARM = 2
STATUS_03_FLOW_ALARM = 3
STATUS_04_QUALITY_ALARM = 4
STATUS_05_FLOW_METER_FAULT = 5
STATUS_06_LEVEL_METER_FAULT = 6
STATUS_07_DOOR_CLOSED = 7  #: 0 cabinet door open, 1 closed
STATUS_08_STORAGE_FAULT = 8
STATUS_09_IC_CARD_VALID = 9
STATUS_10_PUMP_STOPPED = 10  #: 0 pump running, 1 stopped
STATUS_11_REMAINING_WATER_ALARM = 11

STATUS_BITS: dict[int, str] = {
    STATUS_00_AC_POWER_CUT: "AC charging: normal / power cut",
    STATUS_01_BATTERY_LOW: "battery voltage: normal / low",
    STATUS_02_LEVEL_ALARM: "water level: normal / over-limit alarm",
    STATUS_03_FLOW_ALARM: "flow: normal / over-limit alarm",
    STATUS_04_QUALITY_ALARM: "water quality: normal / over-limit alarm",
    STATUS_05_FLOW_METER_FAULT: "flow meter: normal / fault",
    STATUS_06_LEVEL_METER_FAULT: "level meter: normal / fault",
    STATUS_07_DOOR_CLOSED: "cabinet door: open / closed",
    STATUS_08_STORAGE_FAULT: "storage: normal / abnormal",
    STATUS_09_IC_CARD_VALID: "IC card: off / valid",
    STATUS_10_PUMP_STOPPED: "pump: running / stopped",
    STATUS_11_REMAINING_WATER_ALARM: "remaining water: normal / over limit",
}

#: Event record counters (50H): ERC number -> meaning (SL651 6.6.4.x).
EVENT_NAMES: dict[int, str] = {
    1: "history initialised",
    2: "parameter change",
    3: "state change",
    4: "sensor fault",
    5: "password change",
    6: "terminal fault",
    7: "AC power loss",
    8: "battery low",
    9: "cabinet opened illegally",
    10: "pump fault",
    11: "remaining water over limit",
    12: "water level over limit",
    13: "pressure over limit",
    14: "water quality over limit",
    15: "data error",
    16: "frames sent",
    17: "frames received",
    18: "send errors",
}
