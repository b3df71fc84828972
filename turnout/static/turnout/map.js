// Event maps with Leaflet, served from Turnout's own static files. Markers come from a JSON
// block in the page. Under them lies a basemap shipped with Turnout (land, coasts and US state
// lines, public-domain TopoJSON turned into shapes by topojson-client), so a map is readable with
// no tile server and nothing is fetched from a third party; tiles, when the operator configured a
// tile server, are drawn above it.
(function () {
  "use strict";

  function drawBasemap(map, box) {
    if (!box.dataset.basemap || typeof topojson === "undefined") { return; }
    // Its own pane under the tiles (200) and the markers (400), drawn by its own SVG renderer.
    map.createPane("basemap").style.zIndex = "150";
    const renderer = L.svg({pane: "basemap", padding: 0.5});
    const layers = [
      {url: box.dataset.basemap.split(" ")[0], object: "land", style: {stroke: true, color: "#9aa8b3", weight: 0.8,
                                                                       fillColor: "#f7f5ef", fillOpacity: 1}},
      {url: box.dataset.basemap.split(" ")[1], object: "states", style: {color: "#9aa8b3", weight: 1,
                                                                         fillColor: "#f7f5ef", fillOpacity: 1}},
    ];
    for (const layer of layers) {
      fetch(layer.url, {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (topology) {
          const shapes = topojson.feature(topology, topology.objects[layer.object]);
          L.geoJSON(shapes, {pane: "basemap", renderer: renderer, interactive: false, style: layer.style}).addTo(map);
          box.dataset.basemapLayers = String(Number(box.dataset.basemapLayers || 0) + 1);
        })
        .catch(function () { /* the markers still show on the plain background */ });
    }
  }

  window.turnoutBasemap = drawBasemap;  // the turf map draws the same land under its doors

  for (const box of document.querySelectorAll("[data-map]")) {
    const points = JSON.parse(document.getElementById(box.dataset.map).textContent);
    if (!points.length || typeof L === "undefined") { box.hidden = true; continue; }
    const map = L.map(box, {scrollWheelZoom: false, attributionControl: Boolean(box.dataset.tiles)});
    drawBasemap(map, box);
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
    // Without tiles the basemap's detail ends near city scale: closer than that shows nothing new.
    const closest = box.dataset.tiles ? 11 : 8;
    if (bounds.length === 1) { map.setView(bounds[0], closest); } else {
      map.fitBounds(bounds, {padding: [24, 24], maxZoom: closest});
    }
    box.dataset.ready = String(points.length);
  }
})();
