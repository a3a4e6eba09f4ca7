/* 网格治理总览: wishes per community, the issues' states and the three rates, drawn with ECharts. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el);
    chart.setOption(option);
    el.setAttribute("data-chart-ready", "1");
    charts.push(chart);
  }

  var names = {type: "category", data: data.names, axisLabel: {interval: 0, rotate: data.names.length > 6 ? 30 : 0}};
  draw("chart-wishes", {
    tooltip: {trigger: "axis"},
    legend: {data: ["发布", "认领", "确认"]},
    xAxis: names,
    yAxis: {type: "value", name: "个"},
    series: [
      {name: "发布", type: "bar", data: data.published},
      {name: "认领", type: "bar", data: data.claimed},
      {name: "确认", type: "bar", data: data.confirmed}
    ]
  });
  draw("chart-issues", {
    tooltip: {trigger: "item", formatter: "{b}：{c} 件（{d}%）"},
    legend: {bottom: 0},
    series: [{name: "诉求状态", type: "pie", radius: ["35%", "65%"], data: data.states}]
  });
  draw("chart-rates", {
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; }},
    legend: {data: ["响应率", "办结率", "满意率"]},
    xAxis: names,
    yAxis: {type: "value", name: "%", min: 0, max: 100},
    series: [
      {name: "响应率", type: "bar", data: data.response},
      {name: "办结率", type: "bar", data: data.resolution},
      {name: "满意率", type: "bar", data: data.satisfaction}
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
