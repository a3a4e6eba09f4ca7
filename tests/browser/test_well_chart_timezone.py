"""The well chart shows Asia/Shanghai times whatever the browser's zone, with flow and registers on their own axes."""

from __future__ import annotations

from datetime import datetime

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def well_with_history(transactional_db, make_user):
    from changji.core.models import Role
    from changji.water.models import Well
    from changji.water.sim.demo import seed_fleet
    from changji.water.sim.history import generate_history, history_window

    fleet = seed_fleet(3)
    first, last = history_window(days=20)
    generate_history(first, last, fleet, incidents=False)
    make_user("zhou-admin", "652300", Role.PREFECTURE_ADMIN)
    return Well.objects.get(code=next(w.code for w in fleet if w.kind == "extraction"))


CHART = """() => {
  const el = document.getElementById('series-chart');
  const option = echarts.getInstanceByDom(el).getOption();
  const first = option.series[0].data[0];
  return {
    offset: new Date(2026, 6, 1).getTimezoneOffset(),
    axes: option.yAxis.map(a => [a.name, a.position]),
    series: option.series.map(s => [s.name, s.yAxisIndex]),
    label: option.xAxis[0].axisLabel.formatter(first[0]),
    tooltip: option.tooltip[0].formatter([{value: first, marker: '', seriesName: '瞬时流量'}]),
    known: window.changjiWellChart.shanghai('2026-07-01T04:05:00Z', 'minute'),
  };
}"""


@pytest.mark.parametrize("range_name", ["month", "year"])
def test_chart_times_are_shanghai_in_a_new_york_browser(browser, live_server, well_with_history, range_name):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: print("pageerror", error))
    try:
        page.goto("/accounts/login/?next=/")
        page.fill("input[name=username]", "zhou-admin")
        page.fill("input[name=password]", "x-Secret-2026")
        page.click("form.login button[type=submit]")
        page.wait_for_url("**/")
        page.goto(f"/water/wells/{well_with_history.pk}/")
        page.click(f"button[data-range={range_name}]")
        page.wait_for_selector(f"#series-chart[data-chart-ready={range_name}]")
        chart = page.evaluate(CHART)
        series = page.evaluate(f"() => fetch('/water/wells/{well_with_history.pk}/series.json?range={range_name}')"
                               ".then(r => r.json())")
    finally:
        context.close()
    assert chart["offset"] == 240  # the browser really is in New York (EDT, UTC−4)
    assert chart["known"] == "07-01 12:05"  # 04:05 UTC is 12:05 in Shanghai, not 00:05 in New York
    first_iso = next(points for points in series["series"].values() if points)[0][0]
    assert first_iso.endswith("+08:00")  # the server sends Shanghai times
    local = datetime.fromisoformat(first_iso)
    if range_name == "year":
        assert chart["label"] == local.strftime("%Y-%m-%d")
        assert chart["tooltip"].startswith(local.strftime("%Y-%m-%d") + "（北京时间）")
        assert [name for name, _ in chart["axes"]] == ["日用水量 (m³)", "日用电量 (kWh)", "日末水表读数 (m³)",
                                                        "日末电表读数 (kWh)"]
    else:
        assert chart["label"] == local.strftime("%m-%d %H:%M")
        assert chart["tooltip"].startswith(local.strftime("%Y-%m-%d %H:%M") + "（北京时间）")
        # flow on its own axis on the left, each cumulative register on its own axis on the right
        assert chart["axes"] == [["瞬时流量 (m³/h)", "left"], ["累计水量 (m³)", "right"], ["累计电量 (kWh)", "right"]]
    assert [index for _, index in chart["series"]] == list(range(len(chart["axes"])))
