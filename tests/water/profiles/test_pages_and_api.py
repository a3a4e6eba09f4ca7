"""Profile and batch pages, the API, the XLSX import, the suggestions page and ``changji decode --profile``."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from openpyxl import load_workbook

from changji.core.exports import FormulaSafeWorkbook, active_worksheet, append_row, workbook_bytes
from changji.core.models import ApiToken, AuditEntry
from changji.water.models import DeviceBatch, ProfileSuggestion, ProtocolProfile, ProtocolProfileVersion
from changji.water.profiles import service

pytestmark = pytest.mark.django_db
API = "/api/water"
VALUES = {"protocol": "szy206", "link_mode": "online", "report_interval_s": 300, "description": ""}


@pytest.fixture
def world(make_user, make_terminal):
    admin = make_user("p-admin", "652300", role="prefecture_admin")
    county = make_user("op-hutubi", "652323")
    plain = service.save_profile(None, {"name": "通用", "options": {}, **VALUES}, admin)
    jxjs = service.save_profile(None, {"name": "JXJS", "options": {"word_order": "big"}, **VALUES}, admin)
    batch = DeviceBatch.objects.create(name="2019-A", profile=plain, manufacturer="金星")
    mine = make_terminal("6523230001", batch=batch)
    foreign = make_terminal("6523240001", county="652324", batch=batch)
    suggestions = [ProfileSuggestion.objects.create(
        terminal=t, current_profile=plain, suggested_profile=jxjs, current_score=0.5, score=1.0,
        evidence={"suggested": {"score": 1.0, "parts": {"decodes": 1.0}}, "current": {"score": 0.5}},
        created_at=datetime(2026, 7, 1, tzinfo=UTC)) for t in (mine, foreign)]
    return admin, county, plain, jxjs, batch, suggestions


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token(user) -> Client:
    _, raw = ApiToken.issue(user, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_pages_read_for_the_county_edit_for_the_prefecture(world):
    admin, county, plain, jxjs, batch, _ = world
    reader, editor = _client(county), _client(admin)
    page = reader.get("/water/profiles/")
    assert page.status_code == 200 and "JXJS" in page.content.decode()
    assert "新增规约配置" not in page.content.decode()
    assert reader.get(f"/water/profiles/{plain.pk}/").status_code == 200
    assert reader.post(f"/water/profiles/{plain.pk}/", {"name": "x"}).status_code == 403
    assert reader.get("/water/profiles/new/").status_code == 403
    batches = reader.get("/water/profiles/batches/").content.decode()
    assert "2019-A" in batches and "<td>1</td>" in batches  # one terminal in 呼图壁, not the 玛纳斯 one
    form = {"name": "通用", "protocol": "szy206", "options": '{"ack_style": "blg"}', "link_mode": "dial_in",
            "report_interval_s": "600", "description": "改为 blg"}
    response = editor.post(f"/water/profiles/{plain.pk}/", form)
    assert response.status_code == 302
    plain.refresh_from_db()
    assert plain.version == 2 and plain.options["ack_style"] == "blg" and plain.link_mode == "dial_in"
    assert list(ProtocolProfileVersion.objects.filter(profile=plain).values_list("version", flat=True)) == [2, 1]
    history = editor.get(f"/water/profiles/{plain.pk}/").content.decode()
    assert "v1" in history and "v2" in history
    bad = editor.post(f"/water/profiles/{plain.pk}/", {**form, "options": '{"word_order": "middle"}'})
    assert bad.status_code == 400 and "报警/状态字字节序（word_order）必须是 little、big 之一" in bad.content.decode()
    assert editor.post(f"/water/profiles/{plain.pk}/", {**form, "options": "{oops"}).status_code == 400
    moved = editor.post(f"/water/profiles/batches/{batch.pk}/", {"name": "2019-A", "profile": jxjs.pk})
    assert moved.status_code == 302 and DeviceBatch.objects.get().profile == jxjs
    assert AuditEntry.objects.filter(action="water.batch.save").exists()


def test_suggestions_are_scoped_and_confirmed_by_the_county(world):
    admin, county, plain, jxjs, batch, (mine, foreign) = world
    reader = _client(county)
    listing = reader.get("/water/profiles/suggestions/").content.decode()
    assert "6523230001" in listing and "6523240001" not in listing
    assert reader.get(f"/water/profiles/suggestions/{foreign.pk}/").status_code == 404
    assert reader.post(f"/water/profiles/suggestions/{foreign.pk}/", {"decision": "confirm"}).status_code == 404
    assert reader.post(f"/water/profiles/suggestions/{mine.pk}/", {"decision": "maybe"}).status_code == 400
    response = reader.post(f"/water/profiles/suggestions/{mine.pk}/", {"decision": "confirm"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == "confirmed" and mine.terminal.profile_override == jxjs
    assert reader.post("/water/profiles/suggestions/").status_code == 302  # the 检测 button


def test_api_profiles_and_batches(world):
    admin, county, plain, jxjs, batch, (mine, foreign) = world
    reader, editor = _token(county), _token(admin)
    profiles = reader.get(f"{API}/profiles").json()
    assert [p["name"] for p in profiles] == ["JXJS", "通用"] and profiles[1]["versions"][0]["version"] == 1
    assert reader.post(f"{API}/profiles", {"name": "n", **VALUES}, content_type="application/json").status_code == 403
    created = editor.post(f"{API}/profiles", {"name": "SL651 FF", **VALUES, "protocol": "sl651",
                                              "options": {"volume_extension": "FF01"}},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["options"]["volume_extension"] == "FF01"
    refused = editor.put(f"{API}/profiles/{plain.pk}", {"name": "通用", **VALUES, "options": {"flow_first": "no"}},
                         content_type="application/json")
    assert refused.status_code == 400 and "flow_first" in json.dumps(refused.json(), ensure_ascii=False)
    changed = editor.put(f"{API}/profiles/{plain.pk}", {"name": "通用", **VALUES, "options": {"flow_first": False}},
                         content_type="application/json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    batches = reader.get(f"{API}/batches").json()
    assert batches[0]["terminal_count"] == 1 and batches[0]["profile"] == "通用"
    new = editor.post(f"{API}/batches", {"name": "2022-C", "profile": "JXJS", "delivery_year": 2022},
                      content_type="application/json")
    assert new.status_code == 201 and new.json()["terminal_count"] == 0
    wrong = editor.put(f"{API}/batches/{batch.pk}", {"name": "2019-A", "profile": "SL651 FF"},
                       content_type="application/json")
    assert wrong.status_code == 400  # its terminals speak SZY206
    assert [s["terminal_address"] for s in reader.get(f"{API}/profile-suggestions").json()] == ["6523230001"]
    assert reader.post(f"{API}/profile-suggestions/{foreign.pk}/confirm").status_code == 404
    confirmed = reader.post(f"{API}/profile-suggestions/{mine.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"


def _workbook(profiles: list[list], batches: list[list]) -> bytes:
    book = FormulaSafeWorkbook()
    sheet = active_worksheet(book)
    sheet.title = "规约配置"
    for row in [["名称", "规约", "编解码参数", "链路方式", "上报间隔（秒）", "说明"], *profiles]:
        append_row(sheet, row)
    other = book.create_sheet("设备批次")
    for row in [["批次编号", "厂家", "型号", "固件版本", "交付年度", "规约配置", "合同台数", "备注"], *batches]:
        append_row(other, row)
    return workbook_bytes(book)


def test_export_and_import_all_or_nothing(world):
    admin, county, *_ = world
    editor = _client(admin)
    exported = editor.get("/water/profiles/?format=xlsx")
    book = load_workbook(io.BytesIO(exported.content))
    assert book.sheetnames == ["规约配置", "设备批次"] and book["设备批次"]["F2"].value == "通用"
    again = editor.post("/water/profiles/import/", {"workbook": io.BytesIO(exported.content)})
    assert again.status_code == 302 and ProtocolProfile.objects.get(name="通用").version == 1  # nothing changed
    bad = _workbook([["新配置", "szy206", '{"word_order": "middle"}', "永久在线", 300, ""]],
                    [["2023-D", "", "", "", 2023, "没有这个", "", ""]])
    refused = editor.post("/water/profiles/import/", {"workbook": io.BytesIO(bad)})
    text = refused.content.decode()
    assert refused.status_code == 400
    assert "规约配置 第 2 行 编解码参数" in text and "设备批次 第 2 行 规约配置：没有名为“没有这个”的规约配置" in text
    assert not ProtocolProfile.objects.filter(name="新配置").exists()
    good = _workbook([["新配置", "sl651", '{"ack_end": "ESC"}', "定时上线（拨号）", 3600, "新"]],
                     [["2023-D", "厂", "M", "1.0", 2023, "新配置", 10, ""]])
    done = editor.post("/water/profiles/import/", {"workbook": io.BytesIO(good)})
    assert done.status_code == 302
    assert DeviceBatch.objects.get(name="2023-D").profile.options["ack_end"] == "ESC"
    assert _client(county).get("/water/profiles/import/").status_code == 403


def test_decode_with_a_named_profile(world, capsys):
    from changji.cli import decode
    from changji.water.protocols import szy206

    label = szy206.TimeLabel.from_datetime(datetime(2026, 7, 1, 2, tzinfo=UTC), 0)
    raw = szy206.encode_self_report("6523230001", 3, {"flow": [42.5], "flow_unit": ["m3/h"], "volume_m3": [1234]},
                                    label, status_word=0x20)
    assert decode([raw.hex()]) == 0
    assert decode(["--profile", "JXJS", raw.hex()]) == 0
    plain, big = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert plain["status_bits"] == [5] and big["status_bits"] == [13]  # the same word, read in the other order
    assert decode(["--profile", "无此配置", raw.hex()]) == 1
    assert "没有名为“无此配置”的规约配置" in capsys.readouterr().out


def test_a_county_bound_administrator_may_not_change_prefecture_wide_profiles(world, make_user):
    """Profiles and batches decide how every county's terminals are decoded: only a prefecture-wide editor."""
    admin, county, plain, jxjs, batch, _ = world
    county_admin = make_user("hutubi-admin", "652323", role="prefecture_admin")
    api = _token(county_admin)
    before = dict(plain.options)
    assert api.put(f"{API}/profiles/{plain.pk}", {"name": "通用", **VALUES, "options": {"flow_first": False}},
                   content_type="application/json").status_code == 403
    assert api.post(f"{API}/profiles", {"name": "私改", **VALUES}, content_type="application/json").status_code == 403
    assert api.put(f"{API}/batches/{batch.pk}", {"name": "2019-A", "profile": "JXJS"},
                   content_type="application/json").status_code == 403
    plain.refresh_from_db()
    batch.refresh_from_db()
    assert (plain.version, plain.options, batch.profile_id) == (1, before, plain.pk)
    assert not ProtocolProfile.objects.filter(name="私改").exists()
    with pytest.raises(PermissionDenied):
        service.save_batch(batch, {"name": "2019-A", "profile": jxjs}, county_admin)
    service.save_batch(batch, {"name": "2019-A", "profile": jxjs}, "system")  # a command or the demo may
