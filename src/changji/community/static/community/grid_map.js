/* 网格地图: the grids of the user's scope as Leaflet polygons, coloured by a chosen count, linked to the side table;
   the compounds and buildings of the scope drawn over them (outlines.js). */
(function () {
  "use strict";
  var PALETTE = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
  var EMPTY = "#eef2f7";

  /* Up to five classes of equal width over 1..max (fewer when max is small, so every class has integers). */
  function classes(max) { return Math.max(1, Math.min(PALETTE.length, max)); }

  function shade(i, n) { return PALETTE[n === 1 ? PALETTE.length - 1 : Math.round(i * (PALETTE.length - 1) / (n - 1))]; }

  function colour(value, max) {
    if (!value || !max) { return EMPTY; }
    var n = classes(max);
    return shade(Math.min(n - 1, Math.ceil(value / max * n) - 1), n);
  }

  // Names come from the database: shown as text, never parsed as HTML (Leaflet parses a string tooltip as HTML).
  function textLabel(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function popup(properties, metrics) {
    var div = document.createElement("div");
    div.className = "grid-popup";
    var title = document.createElement("strong");
    title.textContent = properties.name;
    div.appendChild(title);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(properties.community + " · " + properties.code));
    var facts = document.createElement("dl");
    var rows = [["网格长", properties.leader || "—"], ["网格党组织", (properties.party_organisations || []).join("、") || "—"]];
    metrics.forEach(function (m) { rows.push([m[1], String(properties.counts[m[0]])]); });
    rows.forEach(function (pair) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = pair[0];
      dd.textContent = pair[1];
      facts.appendChild(dt);
      facts.appendChild(dd);
    });
    div.appendChild(facts);
    return div;
  }

  function legend(el, label, max) {
    el.textContent = "";
    var steps = [[EMPTY, "0"]], n = classes(max);
    for (var i = 0; max && i < n; i++) {
      var low = Math.floor(max * i / n) + 1, high = Math.floor(max * (i + 1) / n);
      steps.push([shade(i, n), low === high ? String(low) : low + "–" + high]);
    }
    steps.forEach(function (step) {
      var span = document.createElement("span"), swatch = document.createElement("i");
      swatch.style.background = step[0];
      span.appendChild(swatch);
      span.appendChild(document.createTextNode(step[1]));
      el.appendChild(span);
    });
    el.setAttribute("title", label);
  }

  function init() {
    var el = document.getElementById("grid-map");
    if (!el || !window.L) { return; }
    var map = L.map(el, {zoomControl: true, minZoom: 5, maxZoom: 19}).setView([43.83, 90.28], 13);
    var form = document.getElementById("grid-map-filters");
    var legendEl = document.getElementById("grid-map-legend");
    var byCode = {};
    var layer = null, data = null;

    function restyle() {
      var metric = new FormData(form).get("metric");
      var label = "";
      data.metrics.forEach(function (m) { if (m[0] === metric) { label = m[1]; } });
      var max = 0;
      data.features.forEach(function (f) { max = Math.max(max, f.properties.counts[metric] || 0); });
      layer.setStyle(function (feature) {
        return {color: "#334e68", weight: 1.5, fillOpacity: 0.7, fillColor: colour(feature.properties.counts[metric], max)};
      });
      legend(legendEl, label, max);
      el.setAttribute("data-metric", metric);
    }

    function select(code) {
      var target = byCode[code];
      if (!target) { return; }
      map.fitBounds(target.getBounds(), {padding: [40, 40], maxZoom: 17});
      target.openPopup();
    }

    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (json) {
      data = json;
      layer = L.geoJSON(data, {
        onEachFeature: function (feature, polygon) {
          byCode[feature.properties.code] = polygon;
          polygon.bindTooltip(textLabel(feature.properties.name), {sticky: true});
          polygon.bindPopup(function () { return popup(feature.properties, data.metrics); });
          polygon.on("popupopen", function () {
            document.querySelectorAll("#grid-table tr.selected").forEach(function (tr) { tr.classList.remove("selected"); });
            var row = document.querySelector("#grid-table tr[data-grid='" + CSS.escape(feature.properties.code) + "']");
            if (row) { row.classList.add("selected"); }
          });
        }
      }).addTo(map);
      if (data.features.length) { map.fitBounds(layer.getBounds(), {padding: [20, 20]}); }
      if (window.ChangjiOutlines && data.compounds) {  // the compounds and buildings of the scope, named
        window.ChangjiOutlines.search(document.getElementById("grid-map-find"), window.ChangjiOutlines.draw(map, data));
      }
      restyle();
      form.addEventListener("change", restyle);
      document.querySelectorAll("#grid-table a.grid-focus").forEach(function (link) {
        link.addEventListener("click", function (event) { event.preventDefault(); select(link.dataset.grid); });
      });
      el.setAttribute("data-grids-rendered", String(data.features.length));
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
