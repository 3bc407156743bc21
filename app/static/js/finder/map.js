/* The finder's map: station pins by kind (hidden when filtered out) loaded for the part of the
   map in view, the worker's position, the route to the selected station, and fitting views into
   what the bars and the sheet leave free. */
import {api, basemap, config, el, fromLatLng, icon, toLatLng} from "../common.js";
import {STATIONS_FROM, hideOverview, refreshOverview, ringIcon, showOverview} from "./overview.js";
import {resultById, state} from "./state.js";

const L = window.L;

export const map = L.map("map", {zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25});
map.on("zoomend", () => map.getContainer().classList.toggle("zoomed-out", map.getZoom() < 15.5));
map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
L.control.zoom({position: "topright"}).addTo(map);
map.createPane("streets").style.zIndex = 250;
/* The basemap's street and park names above the pins (not hidden under a selected one); they
   take no taps. */
map.createPane("labels").style.zIndex = 620;
map.getPane("labels").style.pointerEvents = "none";
basemap(map, document.getElementById("map"));

const kindLayers = {};
Object.keys(config.kinds).forEach((kind) => { kindLayers[kind] = L.layerGroup().addTo(map); });

/* Zoomed out (below STATIONS_FROM) the map shows the stations counted per cell by the server
   (overview.js) and no pins but the selected one. Zoomed in, past CLUSTER_OVER pins to draw, the
   pins group into counted clusters (Leaflet.markercluster, app/static/vendor/markercluster),
   each ringed in its kinds' colours;
   a cluster draws only while in view, so a city of thousands of stations draws a few dozen.
   Fewer pins are drawn as pins; the selected pin always stands alone. */
const CLUSTER_OVER = 150;
map.createPane("clusters").style.zIndex = 630;  // counts above the map's names
export const clusters = L.markerClusterGroup({clusterPane: "clusters",
  maxClusterRadius: 60, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
  disableClusteringAtZoom: 18, chunkedLoading: true, iconCreateFunction: clusterIcon
}).addTo(map);

function clusterIcon(cluster) {
  const counts = {};
  cluster.getAllChildMarkers().forEach((m) => { counts[m._yzKind] = (counts[m._yzKind] || 0) + 1; });
  return ringIcon(counts, cluster.getChildCount());
}

/* Whether the map shows counts: zoomed out, and they can be had (with no connection the service
   worker has the stations of the last area, not counts: the map shows those, as pins). */
let countsFailed = false;
/* The zoom from which the view's stations were found few (CLUSTER_OVER or fewer without
   filters): from there in, the map shows the stations themselves, as for a small region. */
let fewFrom = Infinity;
function zoomedOut() {
  const zoom = Math.floor(map.getZoom());
  if (zoom < fewFrom) fewFrom = Infinity;
  return zoom < STATIONS_FROM && zoom < fewFrom && !countsFailed;
}
const routeLayer = L.layerGroup().addTo(map);
let originMarker = null;

/* Fit bounds into the part of the map that the bars and the sheet leave visible. */
export function fitTo(b, margin = 28) {
  const sheetRect = document.getElementById("sheet").getBoundingClientRect();
  const wide = window.innerWidth >= 900;
  const top = document.querySelector(".filterbar").getBoundingClientRect().bottom + margin;
  map.fitBounds(b, {
    paddingTopLeft: [wide ? sheetRect.right + margin : margin, top],
    paddingBottomRight: [margin + (wide ? 40 : 0), wide ? margin : (window.innerHeight - sheetRect.top) + margin],
    maxZoom: 17
  });
}

export function fitRegion() {
  const b = config.bounds;
  if (!b) { map.setView([35.0, 105.0], 4); return; }
  fitTo(L.latLngBounds([toLatLng(b[0], b[1]), toLatLng(b[2], b[3])]), 0);
}

function pinIcon(kind, open, selected) {
  const pin = el("div", {class: "pin-body"}, el("span", {class: "pin-head"}, icon(kind)));
  return L.divIcon({html: pin, className: "pin kind-" + kind + (open === false ? " is-closed" : "") +
                      (selected ? " is-selected" : ""),
                    iconSize: [34, 42], iconAnchor: [17, 41]});
}

function meIcon() {
  return L.divIcon({html: el("span", {class: "me-halo"}, el("span", {class: "me-dot"})),
                    className: "me", iconSize: [44, 44], iconAnchor: [22, 22]});
}

/* --- stations for what the map shows ---------------------------------------------------------
   The pins come from /api/stations?bbox=… for the view padded by PAD of its size on every side,
   snapped outwards to a grid so that nearby views ask the same question (the browser then
   revalidates it with its ETag instead of downloading it again). When the view leaves the loaded
   box (after MOVE_DELAY ms without moving) the new box is asked for and the answer merged by id;
   the pins outside the loaded box are taken off the map, so a long walk across a city does not
   pile up thousands of them. Boxes are WGS-84 [west, south, east, north]. */
const PAD = 0.5;
const MOVE_DELAY = 300;
let pending = null;  // {box, controller, promise}: the box being loaded
let moveTimer = null;

function boxOf(bounds) {
  const sw = fromLatLng(bounds.getSouthWest()), ne = fromLatLng(bounds.getNorthEast());
  return [Math.max(-180, sw[0]), Math.max(-90, sw[1]), Math.min(180, ne[0]), Math.min(90, ne[1])];
}

/* The box outwards to a grid a quarter of its size or finer (a power of ten, in degrees). */
function gridded(b) {
  const step = Math.pow(10, Math.floor(Math.log10(Math.max(b[2] - b[0], b[3] - b[1], 1e-6) / 4)));
  const out = [Math.floor(b[0] / step) * step, Math.floor(b[1] / step) * step,
               Math.ceil(b[2] / step) * step, Math.ceil(b[3] / step) * step];
  return [Math.max(-180, out[0]), Math.max(-90, out[1]), Math.min(180, out[2]), Math.min(90, out[3])]
    .map((v) => Number(v.toFixed(7)));
}

function contains(outer, inner) {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

function area(b) { return (b[2] - b[0]) * (b[3] - b[1]); }

function inBox(box, f) {
  const c = f.geometry.coordinates;
  return !!box && box[0] <= c[0] && c[0] <= box[2] && box[1] <= c[1] && c[1] <= box[3];
}

function fetchStations(query, signal) {
  return fetch("/api/stations" + query, {headers: {"Accept": "application/json"},
                                         credentials: "same-origin", signal})
    .then((response) => {
      if (!response.ok) throw new Error(response.statusText);
      return response.json();
    });
}

function placeMarker(f, onPick) {
  const old = state.features[f.id], p = f.properties, c = f.geometry.coordinates;
  state.features[f.id] = f;
  let marker = state.markers[f.id];
  if (!marker) {
    marker = L.marker(toLatLng(c[0], c[1]), {icon: pinIcon(p.kind, p.open, false), title: p.name,
                                             alt: p.name, riseOnHover: true});
    marker.on("click", () => onPick(f.id));
    marker._yzKind = p.kind;
    state.markers[f.id] = marker;
  } else if (JSON.stringify(old) !== JSON.stringify(f)) {  // edited or opened/closed since
    unplace(marker);
    marker._yzKind = p.kind;
    marker.setLatLng(toLatLng(c[0], c[1]));
    marker.setIcon(pinIcon(p.kind, p.open, !!marker._yzSelected));
    marker.options.title = marker.options.alt = p.name;
  }
}

/* Take a marker off the map, from whichever layer holds it. */
function unplace(marker) {
  if (marker._yzIn === "cluster") clusters.removeLayer(marker);
  else if (marker._yzIn) kindLayers[marker._yzIn].removeLayer(marker);
  marker._yzIn = null;
}

function dropStation(id) {
  unplace(state.markers[id]);
  delete state.markers[id];
  delete state.features[id];
}

/* Merge a box's stations into the pins; those in the box missing from the answer are gone. */
function merge(collection, box, onPick) {
  const seen = new Set();
  collection.features.forEach((f) => { seen.add(f.id); placeMarker(f, onPick); });
  Object.keys(state.features).forEach((id) => {
    if (!seen.has(id) && inBox(box, state.features[id])) dropStation(id);
  });
  state.box = box;
  state.loadedAt = Date.now();
  applyMarkerFilters();
  document.body.dataset.stations = String(collection.features.length);
  document.body.dataset.bbox = box.join(",");
}

/* Load the stations around the view unless they are loaded (or loading) already; again with
   force (their open flags, closed stations). Resolves when the view's stations are on the map;
   onPick(id) when a pin is tapped. */
export function loadView(onPick, force) {
  if (force || navigator.onLine === false) countsFailed = navigator.onLine === false;
  if (zoomedOut()) {
    applyMarkerFilters();  // the pins off the map
    return showOverview(map, force, CLUSTER_OVER).then((drawn) => {
      state.loadedAt = Date.now();
      if (drawn) return undefined;
      fewFrom = Math.floor(map.getZoom());
      return loadView(onPick, force);
    }, (err) => {
      if (err.name === "AbortError") throw err;
      countsFailed = true;  // the stations instead (until asked again with force)
      return loadView(onPick);
    });
  }
  if (document.body.dataset.overview !== undefined) {
    hideOverview(map);
    applyMarkerFilters();  // the pins loaded before back on the map
  }
  const view = boxOf(map.getBounds()), box = gridded(boxOf(map.getBounds().pad(PAD)));
  if (!force && state.box && contains(state.box, view)) return Promise.resolve();
  if (!force && pending && contains(pending.box, view) && area(pending.box) <= 16 * area(box)) {
    return pending.promise;  // what is coming covers the view and is not much more than it
  }
  if (pending) pending.controller.abort();  // a box far larger than needed, or elsewhere
  const controller = new AbortController();
  const mine = {box, controller};
  mine.promise = fetchStations("?bbox=" + box.join(","), controller.signal).then((collection) => {
    if (pending === mine) pending = null;
    merge(collection, box, onPick);
  }, (err) => {
    if (pending === mine) pending = null;
    if (err.name === "AbortError" && pending) return pending.promise;  // replaced by a newer box
    throw err;
  });
  pending = mine;
  return mine.promise;
}

/* Keep the pins following the view; call once. */
export function followView(onPick) {
  map.on("movestart", () => clearTimeout(moveTimer));
  map.on("moveend", () => {
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => { loadView(onPick).catch(() => { /* the next move retries */ }); },
                           MOVE_DELAY);
  });
  return loadView(onPick);
}

/* One station by id (e.g. from a shared link) as a pin; resolves to its feature. */
export function loadStation(id, onPick) {
  return api("/api/stations/" + encodeURIComponent(id)).then((f) => {
    placeMarker(f, onPick);
    applyMarkerFilters();
    return f;
  });
}

function matchesFilters(p) {
  if (state.kinds.indexOf(p.kind) < 0) return false;
  if (state.services.some((s) => p.services.indexOf(s) < 0)) return false;
  return !(state.openNow && p.open !== true);
}

/* Show the pins that match the filters (as clusters when there are many), and the kinds
   chosen. */
export function applyMarkerFilters() {
  const out = zoomedOut();
  if (out) refreshOverview(map);  // the counts for the filters
  const shown = Object.keys(state.markers).filter((id) => {
    const f = state.features[id];
    return matchesFilters(f.properties) && (id === state.selected || (!out && inBox(state.box, f)));
  });
  const grouping = shown.length > CLUSTER_OVER;
  const into = {}, toCluster = [], fromCluster = [];
  shown.forEach((id) => {
    into[id] = grouping && id !== state.selected ? "cluster" : state.features[id].properties.kind;
  });
  Object.keys(state.markers).forEach((id) => {
    const marker = state.markers[id], where = into[id] || null;
    if (marker._yzIn === where) return;
    if (marker._yzIn === "cluster") fromCluster.push(marker);
    else if (marker._yzIn) kindLayers[marker._yzIn].removeLayer(marker);
    if (where === "cluster") toCluster.push(marker);
    else if (where) kindLayers[where].addLayer(marker);
    marker._yzIn = where;
  });
  if (fromCluster.length) clusters.removeLayers(fromCluster);
  if (toCluster.length) clusters.addLayers(toCluster);
  document.body.dataset.clustered = String(grouping);
  Object.keys(kindLayers).forEach((kind) => {
    const on = state.kinds.indexOf(kind) >= 0;
    if (on && !map.hasLayer(kindLayers[kind])) kindLayers[kind].addTo(map);
    if (!on && map.hasLayer(kindLayers[kind])) map.removeLayer(kindLayers[kind]);
  });
}

export function markSelected(id) {
  Object.keys(state.markers).forEach((key) => {
    const p = state.features[key].properties, selected = key === id, marker = state.markers[key];
    if (!!marker._yzSelected !== selected) {
      marker.setIcon(pinIcon(p.kind, p.open, selected));
      marker.setZIndexOffset(selected ? 1000 : 0);
      marker._yzSelected = selected;
    }
  });
  applyMarkerFilters();  // the selected pin out of its cluster, the one before back in
}

/* The worker's position; zoom to it when it comes from the phone. */
export function showOrigin(lon, lat, zoom) {
  const ll = toLatLng(lon, lat);
  if (!originMarker) {
    originMarker = L.marker(ll, {icon: meIcon(), interactive: false, keyboard: false,
                                 zIndexOffset: 2000}).addTo(map);
  } else {
    originMarker.setLatLng(ll);
  }
  if (zoom) map.setView(ll, Math.max(map.getZoom(), 16));
}

export function clearRoute() { routeLayer.clearLayers(); }

export function fitRoute() {
  const hit = resultById(state.selected);
  if (!hit || !hit.route) return;
  fitTo(L.latLngBounds(hit.route.coordinates.map((c) => toLatLng(c[0], c[1]))));
}

/* The route to the selected station, if it is one of the results. */
export function drawRoute(fit) {
  routeLayer.clearLayers();
  markSelected(state.selected);
  const hit = resultById(state.selected);
  if (!hit || !hit.route) return;
  const line = hit.route.coordinates.map((c) => toLatLng(c[0], c[1]));
  L.polyline(line, {color: "#ffffff", weight: 9, opacity: 0.95, interactive: false}).addTo(routeLayer);
  L.polyline(line, {color: "#2563eb", weight: 5, opacity: 1, interactive: false,
                    className: "route-line"}).addTo(routeLayer);
  if (fit) fitRoute();
}
