/* The well page: flow, volume, energy and level charts from series.json, and metered vs 以电折水. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.echarts) { return; }
  var el = document.getElementById("series-chart");
  var chart = el ? echarts.init(el) : null;

  function load(range) {
    fetch(el.dataset.src + "?range=" + range, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (json) {
        var s = json.series;
        var names = json.daily ? ["", "日用水量(m³)", "日用电量(kWh)", ""] : ["瞬时流量(m³/h)", "累计水量(m³)", "累计电量(kWh)", "水位(m)"];
        var keys = ["flow", "volume", "energy", "level"];
        var series = [];
        keys.forEach(function (key, i) {
          if (names[i] && s[key].length) { series.push({name: names[i], type: "line", showSymbol: false, data: s[key]}); }
        });
        chart.setOption({
          tooltip: {trigger: "axis"}, legend: {}, xAxis: {type: "time"}, yAxis: {type: "value", scale: true},
          dataZoom: [{type: "inside"}, {type: "slider"}], series: series
        }, true);
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
