/* Compound and building outlines from the register, drawn on a Leaflet map with their names.

   Data (compact, from outline_register.map_outlines): compounds [id, name, lon, lat, rings or null],
   buildings [index into compounds, name, rings]. The shapes go on one canvas (thousands of buildings stay
   fast, and clicks fall through to the map); the names are permanent tooltips, made only for what is in
   view, compounds from zoom 16 and buildings from zoom 17. ChangjiOutlines.draw(map, data) returns
   {compounds, find(name), zoomTo(compound)} for a search box. */
(function () {
  "use strict";
  var COMPOUND_LABEL_ZOOM = 16, BUILDING_LABEL_ZOOM = 17, MAX_LABELS = 400;

  function latlngs(rings) {
    return rings.map(function (ring) { return ring.map(function (p) { return [p[1], p[0]]; }); });
  }

  // Names come from the database: shown as text, never parsed as HTML.
  function textLabel(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function draw(map, data) {
    var renderer = L.canvas({padding: 0.5});
    var shapes = L.layerGroup().addTo(map), labels = L.layerGroup().addTo(map);
    var compounds = data.compounds.map(function (c) {
      var entry = {id: c[0], name: c[1], point: L.latLng(c[3], c[2]), layer: null, buildings: []};
      if (c[4]) {
        entry.layer = L.polygon(latlngs(c[4]), {renderer: renderer, interactive: false, color: "#7c3aed",
                                                weight: 1.5, fillColor: "#ede9fe", fillOpacity: 0.25});
        shapes.addLayer(entry.layer);
      }
      return entry;
    });
    var buildings = data.buildings.map(function (b) {
      var layer = L.polygon(latlngs(b[2]), {renderer: renderer, interactive: false, color: "#6b7280", weight: 1,
                                            fillColor: "#d1d5db", fillOpacity: 0.6});
      shapes.addLayer(layer);
      var entry = {name: b[1], compound: compounds[b[0]], layer: layer};
      if (entry.compound) { entry.compound.buildings.push(entry); }
      return entry;
    });

    function centre(entry) { return entry.layer ? entry.layer.getBounds().getCenter() : entry.point; }

    function label(at, text, kind) {
      labels.addLayer(L.tooltip({permanent: true, direction: "center", className: "outline-label outline-" + kind,
                                 interactive: false}).setLatLng(at).setContent(textLabel(text)));
    }

    function relabel() {
      labels.clearLayers();
      var zoom = map.getZoom(), view = map.getBounds(), shown = 0;
      if (zoom >= COMPOUND_LABEL_ZOOM) {
        compounds.forEach(function (c) {
          var at = centre(c);
          if (shown < MAX_LABELS && view.contains(at)) { label(at, c.name, "compound"); shown++; }
        });
      }
      if (zoom >= BUILDING_LABEL_ZOOM) {
        buildings.forEach(function (b) {
          var at = b.layer.getBounds().getCenter();
          if (shown < MAX_LABELS && view.contains(at)) { label(at, b.name, "building"); shown++; }
        });
      }
      map.getContainer().setAttribute("data-outline-labels", String(shown));
    }

    function find(query) {
      var text = (query || "").trim();
      if (!text) { return null; }
      var exact = compounds.filter(function (c) { return c.name === text; })[0];
      return exact || compounds.filter(function (c) { return c.name.indexOf(text) >= 0; })[0] || null;
    }

    function zoomTo(compound) {
      if (compound.layer) {
        map.fitBounds(compound.layer.getBounds(), {padding: [20, 20], maxZoom: 18});
      } else {
        map.setView(compound.point, 17);
      }
      map.getContainer().setAttribute("data-found", compound.name);
    }

    map.on("zoomend moveend", relabel);
    relabel();
    map.getContainer().setAttribute("data-outlines-rendered", String(compounds.filter(function (c) {
      return c.layer;
    }).length));
    return {compounds: compounds, find: find, zoomTo: zoomTo};
  }

  /* A search box (an <input> with a <datalist>) that zooms the map to the compound named. */
  function search(input, drawn) {
    if (!input) { return; }
    var list = document.getElementById(input.getAttribute("list"));
    if (list) {
      drawn.compounds.forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.name;
        list.appendChild(option);
      });
    }
    function go() {
      var found = drawn.find(input.value);
      input.setCustomValidity(found || !input.value.trim() ? "" : "未找到该小区");
      if (found) { drawn.zoomTo(found); }
    }
    input.addEventListener("change", go);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); go(); }  // Enter must not submit the report form
    });
  }

  window.ChangjiOutlines = {draw: draw, search: search};
})();
