/* The residents' 10-minute service circle: the service points on a tile-less Leaflet map; a click on the map
   is "my position" and asks the page again with it (lon/lat), which lists the points by distance. Labels come
   translated from the page (json_script "circle-labels"); names are data, shown as text, never as HTML. */
(function () {
  "use strict";

  function textLabel(text) {
    var span = document.createElement("span");
    span.textContent = text;
    span.setAttribute("dir", "auto");
    return span;
  }

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function init() {
    var el = document.getElementById("circle-map");
    var form = document.getElementById("circle-form");
    if (!el || !form || !window.L) { return; }
    var points = read("circle-points") || [], origin = read("circle-origin"), labels = read("circle-labels") || {};
    var map = L.map(el, {attributionControl: false, minZoom: 8, maxZoom: 19});
    var bounds = [];
    points.forEach(function (p) {
      var label = p[3] ? p[0] + " · " + p[3] : p[0];
      L.circleMarker([p[2], p[1]], {radius: 6, color: "#0b4f8a", weight: 2, fillColor: "#60a5fa", fillOpacity: 0.9})
        .bindTooltip(textLabel(label)).addTo(map);
      bounds.push([p[2], p[1]]);
    });
    if (origin) {
      L.circleMarker([origin[1], origin[0]], {radius: 7, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 0.95})
        .bindTooltip(textLabel(labels.origin || "")).addTo(map);
      bounds.push([origin[1], origin[0]]);
    }
    if (bounds.length) {
      map.fitBounds(bounds, {padding: [20, 20], maxZoom: 16});
    } else {
      map.setView([43.835, 90.285], 13);
    }
    map.on("click", function (event) {
      document.getElementById("circle-lon").value = event.latlng.lng.toFixed(6);
      document.getElementById("circle-lat").value = event.latlng.lat.toFixed(6);
      var compound = document.getElementById("circle-compound");
      if (compound) { compound.value = ""; }
      form.submit();
    });
    el.setAttribute("data-ready", "1");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
