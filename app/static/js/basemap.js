/* The basemap the app draws itself from /api/basemap (built from the OpenStreetMap extract; no
   tile service): green areas, water, roads by class with a casing, widths growing with the zoom,
   and the names of main streets, rivers and parks turned along them. Labels are placed most
   important first and a label that would overlap one already placed is left out, so the map
   never clutters; minor roads and their names appear as the map zooms in. */

const L = window.L;

/* Per road class: fill and casing colour, width at zoom 16 (px), the zoom it appears from. */
const ROADS = {
  motorway:    {fill: "#ffb45c", casing: "#e08a2c", width: 8,   from: 0},
  trunk:       {fill: "#ffc96b", casing: "#e3a24a", width: 7.5, from: 0},
  primary:     {fill: "#ffe7a0", casing: "#dcbb6c", width: 6.5, from: 0},
  secondary:   {fill: "#ffffff", casing: "#cfc6b4", width: 5.5, from: 11},
  tertiary:    {fill: "#ffffff", casing: "#d6d0c4", width: 4.5, from: 12},
  residential: {fill: "#ffffff", casing: "#dcd8d0", width: 3.2, from: 13.5},
  service:     {fill: "#ffffff", casing: "#e0dcd4", width: 1.8, from: 15},
  footway:     {fill: "#c9bfae", casing: null,      width: 1.1, from: 15.5, dash: "3 3"}
};
const GREEN = {park: "#c6e7b4", grass: "#d4ecc4", wood: "#b5dca0", pitch: "#bfe6c6"};
const WATER = "#9ecbf4", WATERWAY = "#8dc0ef";
/* Waterway width at zoom 16 and the least it is drawn with (px). */
const WATERWAY_WIDTH = {river: [7, 2.2], canal: [4, 1.4], stream: [1.6, 0.8]};
/* Label order (most important first) and the zoom each kind of label appears from. */
const LABELS = {
  motorway: {rank: 0, from: 11}, trunk: {rank: 0, from: 11}, primary: {rank: 1, from: 12},
  water: {rank: 2, from: 12}, secondary: {rank: 3, from: 13.5}, park: {rank: 4, from: 13.5},
  tertiary: {rank: 5, from: 15}, residential: {rank: 6, from: 16.25}
};
/* Two labels of the same name stay this far apart on screen (px). */
const SAME_NAME_PX = 220;
const FONT_PX = 12;

function widthAt(base, zoom) { return Math.max(0.6, base * Math.pow(2, (zoom - 16) * 0.55)); }

export function drawBasemap(map, element, collection) {
  element.classList.add("layers-basemap");
  const renderer = L.canvas({padding: 0.5, pane: "streets"});
  const byLayer = {green: [], water: [], road: {}, label: []};
  collection.features.forEach((f) => {
    const p = f.properties;
    if (p.layer === "road") byLayer.road[p.class] = f;
    else if (byLayer[p.layer]) byLayer[p.layer].push(f);
  });
  const common = {pane: "streets", renderer, interactive: false};
  L.geoJSON(byLayer.green, Object.assign({style: (f) => ({
    stroke: false, fillColor: GREEN[f.properties.class] || GREEN.park, fillOpacity: 1})}, common)).addTo(map);
  const waterAreas = byLayer.water.filter((f) => f.properties.class === "area");
  L.geoJSON(waterAreas, Object.assign({style: {stroke: false, fillColor: WATER, fillOpacity: 1}}, common)).addTo(map);
  const waterways = byLayer.water.filter((f) => f.properties.class !== "area").map((f) =>
    ({feature: f, layer: L.geoJSON(f, Object.assign({style: {color: WATERWAY, opacity: 1, lineCap: "round",
                                                             lineJoin: "round"}}, common)).addTo(map)}));
  // casings of every class first (the least important below), then the fills
  const order = Object.keys(ROADS).reverse().filter((c) => byLayer.road[c]);
  const casings = order.filter((c) => ROADS[c].casing).map((c) => ({cls: c, layer: L.geoJSON(
    byLayer.road[c], Object.assign({style: {color: ROADS[c].casing, opacity: 1, lineCap: "round",
                                             lineJoin: "round"}}, common))}));
  const fills = order.map((c) => ({cls: c, layer: L.geoJSON(byLayer.road[c], Object.assign({style: {
    color: ROADS[c].fill, opacity: 1, lineCap: ROADS[c].dash ? "butt" : "round", lineJoin: "round",
    dashArray: ROADS[c].dash || null}}, common))}));
  const labels = labelLayer(map, byLayer.label);

  function restyle() {
    const z = map.getZoom();
    waterways.forEach(({feature, layer}) => {
      const [width, least] = WATERWAY_WIDTH[feature.properties.class] || WATERWAY_WIDTH.stream;
      layer.setStyle({weight: Math.max(least, widthAt(width, z))});
    });
    casings.concat(fills).forEach(({cls, layer}) => {
      const shown = z >= ROADS[cls].from;
      if (shown !== map.hasLayer(layer)) {
        if (shown) layer.addTo(map); else map.removeLayer(layer);
      }
    });
    // re-add in order so that every fill lies above every casing
    casings.forEach(({layer}) => { if (map.hasLayer(layer)) layer.bringToFront(); });
    fills.forEach(({cls, layer}) => {
      if (!map.hasLayer(layer)) return;
      const w = widthAt(ROADS[cls].width, z);
      layer.setStyle({weight: w});
      layer.bringToFront();
    });
    casings.forEach(({cls, layer}) => {
      if (map.hasLayer(layer)) layer.setStyle({weight: widthAt(ROADS[cls].width, z) + (z >= 14 ? 2 : 1.2)});
    });
    labels.place();
  }
  restyle();
  map.on("zoomend", restyle);
  map.on("moveend", labels.place);
}

/* Labels as non-interactive text markers in their own pane, placed greedily without overlap. */
function labelLayer(map, features) {
  if (!map.getPane("labels")) {
    const pane = map.createPane("labels");
    pane.style.zIndex = 390;
    pane.style.pointerEvents = "none";
  }
  const items = features.filter((f) => LABELS[f.properties.class]).map((f) => {
    const p = f.properties, c = f.geometry.coordinates;
    const wide = Array.from(p.name).reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 1 : 0.6), 0);
    return {p, latlng: L.latLng(c[1], c[0]), w: wide * FONT_PX + 6, h: FONT_PX + 6,
            rank: LABELS[p.class].rank, marker: null};
  }).sort((a, b) => a.rank - b.rank || b.p.size - a.p.size);
  const group = L.layerGroup().addTo(map);

  function marker(item) {
    const span = document.createElement("span");
    span.className = "map-label label-" + item.p.class;
    span.textContent = item.p.name;  // text only, never HTML
    if (item.p.angle) span.style.transform = "translate(-50%, -50%) rotate(" + item.p.angle + "deg)";
    return L.marker(item.latlng, {pane: "labels", interactive: false, keyboard: false,
                                  icon: L.divIcon({html: span, className: "map-label-anchor",
                                                   iconSize: [0, 0]})});
  }

  function place() {
    const z = map.getZoom(), size = map.getSize(), placed = [], byName = {};
    items.forEach((item) => {
      let show = z >= LABELS[item.p.class].from;
      if (show) {
        const pt = map.latLngToContainerPoint(item.latlng);
        const a = (item.p.angle || 0) * Math.PI / 180, cos = Math.abs(Math.cos(a)), sin = Math.abs(Math.sin(a));
        const hx = (cos * item.w + sin * item.h) / 2, hy = (sin * item.w + cos * item.h) / 2;
        const box = [pt.x - hx, pt.y - hy, pt.x + hx, pt.y + hy];
        const same = byName[item.p.name] || (byName[item.p.name] = []);
        show = box[2] > 0 && box[3] > 0 && box[0] < size.x && box[1] < size.y &&
          !placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]) &&
          !same.some((q) => q.distanceTo(pt) < SAME_NAME_PX);
        if (show) { placed.push(box); same.push(pt); }
      }
      if (show && !item.marker) { item.marker = marker(item); group.addLayer(item.marker); }
      else if (!show && item.marker) { group.removeLayer(item.marker); item.marker = null; }
    });
  }
  return {place};
}
