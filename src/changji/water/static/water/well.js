/* The well page: flow, registers and level from series.json on their own y-axes, and metered vs 以电折水.
 *
 * Times are shown in Asia/Shanghai whatever the browser's time zone: the server sends ISO 8601 times with
 * +08:00; the chart plots Shanghai wall-clock time (the instant shifted by +8 h, Shanghai has no daylight
 * saving) with useUTC, so ticks fall on Shanghai midnights and hours, and every axis label and tooltip is
 * formatted in UTC, i.e. as Shanghai wall time, never in the browser's zone.
 */
(function () {
  "use strict";
  var OFFSET_MS = 8 * 3600 * 1000;
  var parts = {
    minute: new Intl.DateTimeFormat("zh-CN", {timeZone: "UTC", hourCycle: "h23", month: "2-digit", day: "2-digit",
                                              hour: "2-digit", minute: "2-digit"}),
    full: new Intl.DateTimeFormat("zh-CN", {timeZone: "UTC", hourCycle: "h23", year: "numeric", month: "2-digit",
                                            day: "2-digit", hour: "2-digit", minute: "2-digit"}),
    day: new Intl.DateTimeFormat("zh-CN", {timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit"})
  };

  function pick(format, ms) {
    var out = {};
    format.formatToParts(new Date(ms)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  /* Text of a Shanghai wall-clock time (ms): "07-01 12:00" (axis), "2026-07-01 12:00" (tooltip), "2026-07-01". */
  function wallText(wallMs, style) {
    if (style === "day") {
      var d = pick(parts.day, wallMs);
      return d.year + "-" + d.month + "-" + d.day;
    }
    if (style === "full") {
      var f = pick(parts.full, wallMs);
      return f.year + "-" + f.month + "-" + f.day + " " + f.hour + ":" + f.minute;
    }
    var m = pick(parts.minute, wallMs);
    return m.month + "-" + m.day + " " + m.hour + ":" + m.minute;
  }

  /* An instant (ISO text or epoch ms) as Shanghai wall-clock ms, what the chart plots. */
  function wall(instant) {
    return (typeof instant === "number" ? instant : Date.parse(instant)) + OFFSET_MS;
  }

  /* An instant as Shanghai local time text. */
  function shanghai(instant, style) {
    return wallText(wall(instant), style);
  }

  function tooltip(daily) {
    return function (items) {
      if (!items.length) { return ""; }
      var head = wallText(items[0].value[0], daily ? "day" : "full");
      return [head + "（北京时间）"].concat(items.map(function (item) {
        return item.marker + item.seriesName + "：" + item.value[1];
      })).join("<br>");
    };
  }

  /* Axes: one per unit; flow and daily figures on the left, cumulative registers on the right. */
  var AXES = {
    flow: {name: "瞬时流量 (m³/h)", position: "left", offset: 0},
    level: {name: "水位/埋深 (m)", position: "left", offset: 64, inverse: false},
    volume: {name: "累计水量 (m³)", position: "right", offset: 0},
    energy: {name: "累计电量 (kWh)", position: "right", offset: 72},
    day_volume: {name: "日用水量 (m³)", position: "left", offset: 0},
    day_energy: {name: "日用电量 (kWh)", position: "left", offset: 64},
    volume_register: {name: "日末水表读数 (m³)", position: "right", offset: 0},
    energy_register: {name: "日末电表读数 (kWh)", position: "right", offset: 72}
  };
  var LAYOUT = {
    readings: [["flow", "瞬时流量", "flow", "line"], ["volume", "累计水量", "volume", "line"],
               ["energy", "累计电量", "energy", "line"], ["level", "水位/埋深", "level", "line"]],
    daily: [["volume", "日用水量", "day_volume", "bar"], ["energy", "日用电量", "day_energy", "bar"],
            ["volume_register", "日末水表读数", "volume_register", "line"],
            ["energy_register", "日末电表读数", "energy_register", "line"]]
  };

  function option(json) {
    var s = json.series;
    var daily = !!json.daily;
    var yAxis = [];
    var series = [];
    LAYOUT[daily ? "daily" : "readings"].forEach(function (row) {
      var data = s[row[0]] || [];
      if (!data.length) { return; }
      var axis = AXES[row[2]];
      yAxis.push({type: "value", scale: true, name: axis.name, position: axis.position, offset: axis.offset,
                  alignTicks: true, axisLine: {show: true}, nameTextStyle: {align: axis.position === "left" ? "left" : "right"}});
      series.push({name: row[1], type: row[3], showSymbol: false, yAxisIndex: yAxis.length - 1,
                   data: data.map(function (p) { return [wall(p[0]), p[1]]; })});
    });
    if (!yAxis.length) { yAxis.push({type: "value"}); }
    var lefts = yAxis.filter(function (a) { return a.position === "left"; }).length;
    var rights = yAxis.length - lefts;
    return {
      useUTC: true,
      grid: {left: 16 + 64 * lefts, right: 16 + 72 * rights, top: 64, bottom: 72},
      tooltip: {trigger: "axis", formatter: tooltip(daily)},
      legend: {},
      xAxis: {type: "time", name: "北京时间",
              axisLabel: {formatter: function (ms) { return wallText(ms, daily ? "day" : "minute"); }},
              axisPointer: {label: {formatter: function (p) { return wallText(p.value, daily ? "day" : "full"); }}}},
      yAxis: yAxis,
      dataZoom: [{type: "inside"}, {type: "slider"}],
      series: series
    };
  }

  window.changjiWellChart = {shanghai: shanghai, wallText: wallText, option: option};

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    var el = document.getElementById("series-chart");
    var chart = el ? echarts.init(el) : null;

    function load(range) {
      fetch(el.dataset.src + "?range=" + range, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (json) {
          chart.setOption(option(json), true);
          el.setAttribute("data-chart-ready", range);
        });
    }

    if (chart) {
      document.querySelectorAll("[data-range]").forEach(function (button) {
        button.addEventListener("click", function () { load(button.dataset.range); });
      });
      load("day");
    }

    var usageEl = document.getElementById("usage-chart");
    var usageData = document.getElementById("usage-data");
    if (usageEl && usageData) {
      var u = JSON.parse(usageData.textContent);
      echarts.init(usageEl).setOption({
        tooltip: {trigger: "axis"}, legend: {data: ["计量水量", "以电折水"]},
        xAxis: {type: "category", data: u.days}, yAxis: {type: "value", name: "m³"},
        dataZoom: [{type: "inside"}],
        series: [{name: "计量水量", type: "bar", data: u.metered}, {name: "以电折水", type: "bar", data: u.estimated}]
      });
    }
  });
}());
