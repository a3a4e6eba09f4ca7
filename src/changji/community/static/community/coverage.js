/* 十分钟服务圈: service points with their circles, compounds green (covered) or red (uncovered), grid outlines. */
(function () {
  "use strict";

  function text(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      if (i) { div.appendChild(document.createElement("br")); }
      div.appendChild(document.createTextNode(line));
    });
    return div;
  }

  function init() {
    var el = document.getElementById("coverage-map");
    if (!el || !window.L) { return; }
    var map = L.map(el, {zoomControl: true, minZoom: 5, maxZoom: 19}).setView([43.83, 90.28], 13);
    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      var everything = L.featureGroup().addTo(map);
      data.grids.forEach(function (g) {
        L.geoJSON(g.boundary, {interactive: false, style: {color: "#7b8794", weight: 1, fill: false, dashArray: "4 3"}})
          .addTo(everything);
      });
      data.service_points.forEach(function (p) {
        L.circle([p[2], p[1]], {radius: data.radius_m, color: "#2563eb", weight: 1, fillOpacity: 0.08,
          interactive: false}).addTo(everything);
        L.circleMarker([p[2], p[1]], {radius: 7, color: "#fff", weight: 2, fillColor: "#2563eb", fillOpacity: 1})
          .bindPopup(function () { return text([p[0], p[3] || ""]); }).addTo(everything);
      });
      var canvas = data.compounds.length > 2000 ? L.canvas({padding: 0.5}) : null;  // many dots: one canvas
      data.compounds.forEach(function (c) {
        var covered = c[3] === 1, nearest = c[4] >= 0 ? data.service_points[c[4]][0] : null;
        var distance = c[5] === null ? "无服务点" : "距最近服务点 " + c[5] + " 米" + (nearest ? "（" + nearest + "）" : "");
        var options = {radius: 6, color: "#fff", weight: 1, fillColor: covered ? "#16a34a" : "#dc2626",
          fillOpacity: 0.95, className: covered ? "covered" : "uncovered"};
        if (canvas) { options.renderer = canvas; }
        L.circleMarker([c[2], c[1]], options)
          .bindPopup(function () { return text([c[0] + "（" + data.regions[c[6]] + "）", covered ? "已覆盖" : "未覆盖", distance]); })
          .addTo(everything);
      });
      if (everything.getLayers().length) { map.fitBounds(everything.getBounds(), {padding: [30, 30]}); }
      el.setAttribute("data-compounds-rendered", String(data.compounds.length));
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
