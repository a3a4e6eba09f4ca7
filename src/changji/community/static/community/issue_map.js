/* 接诉即办 report forms: the grids on a tile-less Leaflet map; a click fills 经度/纬度 and drops a marker.
   The compounds and buildings of the register are drawn and named (outlines.js), and 找到我的小区 zooms to one. */
(function () {
  "use strict";

  // Names come from the database: shown as text, never parsed as HTML (Leaflet parses a string tooltip as HTML).
  function textLabel(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function init() {
    var el = document.getElementById("issue-map");
    var data = document.getElementById("issue-grids");
    if (!el || !data || !window.L) { return; }
    var lonInput = document.getElementById(el.dataset.lonInput);
    var latInput = document.getElementById(el.dataset.latInput);
    var grids = JSON.parse(data.textContent);
    var map = L.map(el, {attributionControl: false, minZoom: 8, maxZoom: 19});
    var layer = L.geoJSON({type: "FeatureCollection", features: grids.map(function (g) {
      return {type: "Feature", properties: {name: g.name, code: g.code}, geometry: g.boundary};
    })}, {
      style: {color: "#2563eb", weight: 1, fillOpacity: 0.08},
      onEachFeature: function (feature, path) { path.bindTooltip(textLabel(feature.properties.name), {sticky: true}); }
    }).addTo(map);
    if (grids.length) {
      map.fitBounds(layer.getBounds(), {padding: [10, 10]});
    } else {
      map.setView([43.835, 90.285], 13);
    }
    var marker = null;

    function place(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.circleMarker(latlng, {radius: 7, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 0.95})
          .addTo(map);
      }
    }

    function fromInputs() {
      var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (isFinite(lon) && isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) { place([lat, lon]); }
    }

    map.on("click", function (event) {
      lonInput.value = event.latlng.lng.toFixed(6);
      latInput.value = event.latlng.lat.toFixed(6);
      place(event.latlng);
      el.setAttribute("data-picked", "1");
    });
    if (el.dataset.outlinesSrc && window.ChangjiOutlines) {  // the register's compounds and buildings, named
      fetch(el.dataset.outlinesSrc).then(function (r) { return r.json(); }).then(function (outlines) {
        window.ChangjiOutlines.search(document.getElementById("issue-map-find"),
                                      window.ChangjiOutlines.draw(map, outlines));
      });
    }
    lonInput.addEventListener("change", fromInputs);
    latInput.addEventListener("change", fromInputs);
    fromInputs();
    el.setAttribute("data-ready", "1");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
