/* The monitoring-well page: this year's depth against last year's, the baseline band and the red line (ECharts).
 * Depth is metres below ground, so the y-axis is inverted: a lower line is a lower water level. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("level-chart");
    var source = document.getElementById("level-chart-data");
    if (!el || !source || !window.echarts) { return; }
    var d = JSON.parse(source.textContent);
    var band = d.band_high.map(function (high, i) {
      var low = d.band_low[i];
      return high === null || low === null ? null : Math.round((high - low) * 100) / 100;
    });
    var series = [
      {name: "基准带下沿", type: "line", data: d.band_low, stack: "band", symbol: "none", lineStyle: {opacity: 0},
       tooltip: {show: false}},
      {name: "往年同期基准带", type: "line", data: band, stack: "band", symbol: "none", lineStyle: {opacity: 0},
       areaStyle: {color: "rgba(43, 140, 190, 0.18)"}, itemStyle: {color: "rgba(43, 140, 190, 0.35)"}},
      {name: d.year - 1 + " 年", type: "line", data: d.last_year, symbol: "none", connectNulls: true,
       lineStyle: {type: "dashed", color: "#7b8794"}, itemStyle: {color: "#7b8794"}},
      {name: d.year + " 年", type: "line", data: d.this_year, symbol: "none", connectNulls: true,
       lineStyle: {width: 2, color: "#2b8cbe"}, itemStyle: {color: "#2b8cbe"}}
    ];
    if (d.red_line !== null) {
      series.push({name: "管控水位", type: "line", data: d.days.map(function () { return d.red_line; }),
                   symbol: "none", lineStyle: {color: "#d73027", width: 2}, itemStyle: {color: "#d73027"}});
    }
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {data: series.filter(function (s) { return s.name !== "基准带下沿"; }).map(function (s) { return s.name; })},
      xAxis: {type: "category", data: d.days},
      yAxis: {type: "value", name: "埋深（米）", inverse: true, scale: true},
      series: series
    });
    el.setAttribute("data-series", String(series.length));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
