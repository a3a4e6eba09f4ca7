"""Month, quarter and year reports as real XLSX and CSV files, read back with openpyxl and csv."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from changji.core.models import Region
from changji.water.models import Allocation, DailyUsage, Report
from changji.water.reports import build_report, generate_report, period_bounds, scheduled_reports

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_period_bounds():
    assert period_bounds("month", date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds("quarter", date(2026, 11, 25)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("year", date(2026, 11, 25)) == (date(2026, 1, 1), date(2026, 12, 31))


def _usage(make_terminal):
    hutubi = make_terminal("6523230001", county="652323")
    qitai = make_terminal("6523250001", county="652325")
    for well, usage, source in ((hutubi.well, 100.0, "metered"), (qitai.well, 40.0, "estimated")):
        for day in (date(2026, 7, 1), date(2026, 7, 31), date(2026, 8, 1)):
            DailyUsage.objects.create(well=well, day=day, water_m3=usage if source == "metered" else 0.0,
                                      energy_kwh=50.0, estimated_water_m3=usage, usage_m3=usage, source=source)
    Allocation.objects.create(year=2026, well=hutubi.well, allocation_m3=1000.0)
    return hutubi, qitai


def test_month_report_sums_each_county_within_the_month(make_terminal):
    _usage(make_terminal)
    data = build_report("month", date(2026, 7, 10), Region.objects.get(code="652300"))
    summary = {row[0]: row for row in data.summary}
    assert len(summary) == 7
    assert summary["呼图壁县"][3] == 200.0  # two July days, Aug 1 excluded
    assert summary["呼图壁县"][7] == 1000.0 and summary["呼图壁县"][8] == "20.0%"
    assert summary["奇台县"][5] == 80.0  # 以电折水
    assert data.wells["奇台县"][0][9] == 2  # days counted from electricity


def test_xlsx_and_csv_files_open_with_their_readers(make_terminal):
    _usage(make_terminal)
    region = Region.objects.get(code="652300")
    xlsx = generate_report("quarter", date(2026, 8, 15), region, "xlsx", by="tester")
    book = load_workbook(xlsx.file.path)
    assert book.sheetnames[0] == "汇总" and "呼图壁县" in book.sheetnames and book.sheetnames[-1] == "取水户"
    rows = list(book["呼图壁县"].iter_rows(values_only=True))
    assert rows[0][1] == "机井编号" and rows[1][5] == 300.0
    report_csv = generate_report("year", date(2026, 8, 15), region, "csv")
    text = open(report_csv.file.path, encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "县市" and {row[0] for row in table[1:]} == {"呼图壁县", "奇台县"}
    assert Report.objects.count() == 2


def test_reports_are_scheduled_on_the_first_of_the_month():
    assert scheduled_reports(date(2026, 11, 25)) == []
    made = scheduled_reports(date(2026, 10, 1))  # September's month report and Q3's report
    assert {(r.period, r.first_day) for r in made} == {("month", date(2026, 9, 1)), ("quarter", date(2026, 7, 1))}
    assert len(made) == 2 * 8 * 2  # 2 periods × (prefecture + 7 counties) × (xlsx + csv)
    assert scheduled_reports(date(2026, 10, 1)) == []  # a retried or caught-up job makes none twice


def test_report_command_writes_the_file(make_terminal, capsys):
    from django.core.management import call_command

    _usage(make_terminal)
    call_command("water", "report", "--period", "month", "--at", "2026-07-05", "--region", "652323")
    path = capsys.readouterr().out.strip()
    assert path.endswith("652323-month-20260701-20260731.xlsx")
    assert load_workbook(path).sheetnames == ["汇总", "呼图壁县", "取水户"]


#: Well and water-user names an operator could type (or import); each must reach the file as text.
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_hostile_well_and_water_user_names_are_text_in_the_xlsx_and_csv_reports(make_terminal):
    from changji.water.models import WaterUser, Well

    for number, name in enumerate(HOSTILE, 1):
        well = make_terminal(f"65232300{number:02d}", county="652323").well
        user = WaterUser.objects.create(code=f"U-{number}", name=name, kind="cooperative", region_id="652323")
        Well.objects.filter(pk=well.pk).update(name=name, water_user=user)
    region = Region.objects.get(code="652323")
    book = load_workbook(generate_report("month", date(2026, 7, 5), region, "xlsx").file.path)
    wells = [row for row in book["呼图壁县"].iter_rows(min_row=2)]
    users = [row for row in book["取水户"].iter_rows(min_row=2)]
    read_back = [name.replace("\r", "\n") for name in HOSTILE]  # XML reads a CR back as LF
    for cells in ([row[2] for row in wells], [row[3] for row in wells], [row[1] for row in users]):
        assert [c.value for c in cells] == read_back
        assert {(c.data_type, c.quotePrefix) for c in cells} == {("s", True)}
    assert {(row[9].value, row[9].data_type) for row in wells} == {(0, "n")}  # figures stay numbers
    report_csv = generate_report("month", date(2026, 7, 5), region, "csv")
    table = list(csv.reader(open(report_csv.file.path, encoding="utf-8-sig", newline="")))
    assert [row[2] for row in table[1:]] == ["'" + name for name in HOSTILE]
    assert [row[3] for row in table[1:]] == ["'" + name for name in HOSTILE]


def test_the_report_breaks_use_down_by_overdraft_zone_polygon(make_terminal):
    from changji.water.models import OverdraftZone, Well

    hutubi, qitai = _usage(make_terminal)
    Well.objects.filter(pk=hutubi.well.pk).update(latitude=44.2, longitude=86.9)
    Well.objects.filter(pk=qitai.well.pk).update(latitude=44.0, longitude=89.6)
    square = {"type": "Polygon", "coordinates": [[[86.8, 44.1], [87.0, 44.1], [87.0, 44.3], [86.8, 44.3],
                                                  [86.8, 44.1]]]}
    OverdraftZone.objects.create(name="呼图壁严重超采区", level="severe", region_id="652323", geometry=square,
                                 document="示例", valid_from_year=2025)
    OverdraftZone.objects.create(name="过期", level="overdraft", region_id="652323", geometry=square,
                                 document="示例", valid_from_year=2020, valid_to_year=2024)
    data = build_report("month", date(2026, 7, 10), Region.objects.get(code="652300"))
    assert data.zones == [["呼图壁严重超采区", "严重超采区", "呼图壁县", 1, 200.0, 200.0, 200.0, 100.0],
                          ["超采区内合计", "", "昌吉回族自治州", 1, 200.0, 200.0, 200.0, 100.0]]
    assert build_report("month", date(2026, 7, 10), Region.objects.get(code="652325")).zones == []  # none there
    xlsx = generate_report("month", date(2026, 7, 10), Region.objects.get(code="652300"), "xlsx")
    rows = list(load_workbook(xlsx.file.path)["超采区"].iter_rows(values_only=True))
    assert rows[0][0] == "超采区" and rows[1][0] == "呼图壁严重超采区"
