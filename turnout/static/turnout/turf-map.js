// A door-knocking campaign's map for its organizers: households coloured by their turf's progress
// (filled once knocked), turfs drawn on the map outlined, and a turf drawn by clicking its corners.
(function () {
  "use strict";
  const box = document.querySelector("[data-turf-map]");
  if (!box || typeof L === "undefined") { return; }
  const data = JSON.parse(document.getElementById(box.dataset.turfMap).textContent);
  const map = L.map(box, {scrollWheelZoom: false, attributionControl: Boolean(box.dataset.tiles)});
  if (window.turnoutBasemap) { window.turnoutBasemap(map, box); }
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, {maxZoom: 19, attribution: box.dataset.attribution || ""}).addTo(map);
  }

  // Tooltips as text nodes: Leaflet writes a string tooltip as HTML, and turf names come from
  // addresses that imports and the API bring in.
  function label(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function colour(turf) {
    if (!turf || !turf.doors) { return "#6b6b6b"; }
    const share = turf.knocked / turf.doors;
    return share >= 1 ? "#1e7b34" : share >= 0.5 ? "#7a8f1c" : share > 0 ? "#c77700" : "#8c1d17";
  }

  const bounds = [];
  data.turfs.forEach(function (turf) {
    if (turf.area && turf.area.length > 2) {
      L.polygon(turf.area, {color: colour(turf), weight: 2, fillOpacity: 0.08})
        .bindTooltip(label(turf.name + " · " + turf.knocked + "/" + turf.doors)).addTo(map);
      turf.area.forEach(function (p) { bounds.push(p); });
    }
  });
  data.doors.forEach(function (door) {
    const turf = data.turfs[door[2]];
    L.circleMarker([door[0], door[1]], {radius: 4, weight: 1, color: colour(turf), fillColor: colour(turf),
                                        fillOpacity: door[3] ? 0.9 : 0.1})
      .bindTooltip(label(turf ? turf.name : box.dataset.unturfed)).addTo(map);
    bounds.push([door[0], door[1]]);
  });
  if (bounds.length) { map.fitBounds(bounds, {padding: [16, 16], maxZoom: 17}); } else { map.setView([39.5, -98.35], 4); }

  // Drawing: each click a corner; the form sends the corners as JSON.
  const input = document.getElementById("turf-area");
  if (!input) { box.dataset.ready = "true"; return; }
  let corners = [];
  try { corners = JSON.parse(input.value || "[]"); } catch (e) { corners = []; }
  const outline = L.polygon(corners, {color: "#0b57d0", weight: 2, dashArray: "4 4", interactive: false}).addTo(map);
  function redraw() {
    outline.setLatLngs(corners);
    input.value = corners.length ? JSON.stringify(corners) : "";
    document.getElementById("turf-corners").textContent = String(corners.length);
  }
  map.on("click", function (event) {
    corners.push([Number(event.latlng.lat.toFixed(6)), Number(event.latlng.lng.toFixed(6))]);
    redraw();
  });
  document.getElementById("turf-clear").addEventListener("click", function () { corners = []; redraw(); });
  redraw();
  box.dataset.ready = "true";
})();
