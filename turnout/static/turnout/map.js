// Event maps with Leaflet, served from Turnout's own static files. Markers come from a JSON
// block in the page; tiles only when the operator configured a tile server (without one the
// markers are drawn on a plain background and nothing is fetched from a third party).
(function () {
  "use strict";
  for (const box of document.querySelectorAll("[data-map]")) {
    const points = JSON.parse(document.getElementById(box.dataset.map).textContent);
    if (!points.length || typeof L === "undefined") { box.hidden = true; continue; }
    const map = L.map(box, {scrollWheelZoom: false, attributionControl: Boolean(box.dataset.tiles)});
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, {maxZoom: 18, attribution: box.dataset.attribution || ""}).addTo(map);
    } else {
      box.classList.add("no-tiles");
    }
    const bounds = [];
    for (const point of points) {
      const marker = L.circleMarker([point.lat, point.lng], {radius: 8, weight: 2, color: "#8c1d17",
                                                             fillColor: "#b3261e", fillOpacity: 0.8});
      const link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.title;
      const when = document.createElement("div");
      when.textContent = point.when;
      const popup = document.createElement("div");
      popup.append(link, when);
      marker.bindPopup(popup).addTo(map);
      bounds.push([point.lat, point.lng]);
    }
    if (bounds.length === 1) { map.setView(bounds[0], 11); } else { map.fitBounds(bounds, {padding: [24, 24]}); }
    box.dataset.ready = String(points.length);
  }
})();
