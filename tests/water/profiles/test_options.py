"""Profile options: the pure check turns stored JSON into codec options or lists every problem in Chinese."""

import pytest

from changji.water.profiles.options import ProfileOptionsError, load_json, normalise, parse_options
from changji.water.protocols.sl651.codes import ESC
from changji.water.protocols.szy206 import Szy206Options


def test_szy206_options_from_json_with_defaults_for_the_rest():
    options = parse_options("szy206", {"word_order": "big", "flow_first": False, "time_label_length": 7})
    assert options == Szy206Options(word_order="big", flow_first=False, time_label_length=7)
    assert normalise("szy206", {})["ack_style"] == "hm1212"


def test_sl651_extension_codes_and_ack_end():
    options = parse_options("sl651", {"volume_extension": "ff01", "energy_extension": "FF02", "ack_end": "ESC"})
    assert (options.volume_extension, options.energy_extension, options.ack_end) == ("FF01", "FF02", ESC)
    assert normalise("sl651", {"ack_end": "ESC"})["ack_end"] == "ESC"


@pytest.mark.parametrize(("protocol", "stored", "said"), [
    ("szy206", {"word_order": "middle"}, "报警/状态字字节序（word_order）必须是 little、big 之一，而不是 'middle'"),
    ("szy206", {"flow_first": "yes"}, "流量在前（水量在后）（flow_first）必须是 true 或 false"),
    ("szy206", {"time_label_length": 6}, "时间标签长度（time_label_length）必须是 自动、5、7 之一"),
    ("szy206", {"wordorder": "big"}, "未知参数 'wordorder'"),
    ("sl651", {"volume_extension": "27"}, "累计水量扩展码（volume_extension）必须是 FF00–FFFF 的扩展码"),
    ("sl651", {"volume_extension": "FF01", "energy_extension": "FF01"}, "不能使用同一个扩展码"),
    ("sl651", {"ack_end": "ETX"}, "确认结束符（ack_end）必须是 EOT 或 ESC"),
    ("modbus", {}, "规约必须是 szy206 或 sl651"),
])
def test_bad_options_are_refused_with_a_clear_chinese_reason(protocol, stored, said):
    with pytest.raises(ProfileOptionsError) as caught:
        parse_options(protocol, stored)
    assert said in str(caught.value)


def test_every_problem_is_listed_at_once_and_bad_json_names_the_place():
    with pytest.raises(ProfileOptionsError) as caught:
        parse_options("szy206", {"word_order": "x", "ack_style": "y", "flow_first": 1})
    assert len(caught.value.problems) == 3
    with pytest.raises(ProfileOptionsError, match="不是合法的 JSON.*第 1 行第 16 列"):
        load_json('{"word_order": big}')
    with pytest.raises(ProfileOptionsError, match="必须是 JSON 对象"):
        load_json("[1, 2]")
