/* 一屏看水: the 30-day trend of 数据上线率, 设备完好率 and water use. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  var source = document.getElementById("trend-data");
  if (!el || !source || !window.echarts) { return; }
  var trend = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: ["数据上线率", "设备完好率", "用水量"]},
    xAxis: {type: "category", data: trend.days},
    yAxis: [{type: "value", name: "%", max: 100, min: 0}, {type: "value", name: "m³"}],
    series: [
      {name: "数据上线率", type: "line", data: trend.online, connectNulls: true},
      {name: "设备完好率", type: "line", data: trend.intact, connectNulls: true},
      {name: "用水量", type: "bar", yAxisIndex: 1, data: trend.usage}
    ]
  });
  el.setAttribute("data-chart-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
});
