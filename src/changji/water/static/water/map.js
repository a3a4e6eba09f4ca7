/* 一图懂水: all wells in scope on a tile-less Leaflet canvas map, clustered, filtered client-side. */
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
    map.addLayer(cluster);
    map.addLayer(rings);
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
      document.getElementById("map-count").textContent = "显示 " + markers.length + " / " + data.wells.length + " 口井";
      el.setAttribute("data-wells-rendered", String(markers.length));
    }

    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (json) {
      data = json;
      if (data.wells.length) {
        var bounds = L.latLngBounds(data.wells.map(function (w) { return [w[1], w[2]]; }));
        map.fitBounds(bounds, {padding: [20, 20]});
      }
      render();
      form.addEventListener("change", render);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
