/* The finder's map: station pins by kind (hidden when filtered out), the worker's position, the
   route to the selected station, and fitting views into what the bars and the sheet leave free. */
import {api, basemap, config, el, icon, toLatLng} from "../common.js";
import {resultById, state} from "./state.js";

const L = window.L;

export const map = L.map("map", {zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25});
map.on("zoomend", () => map.getContainer().classList.toggle("zoomed-out", map.getZoom() < 15.5));
map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
L.control.zoom({position: "topright"}).addTo(map);
map.createPane("streets").style.zIndex = 250;
basemap(map, document.getElementById("map"));

const kindLayers = {};
Object.keys(config.kinds).forEach((kind) => { kindLayers[kind] = L.layerGroup().addTo(map); });
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

/* All stations as pins; onPick(id) when one is tapped. */
export function loadStations(onPick) {
  return api("/api/stations").then((collection) => {
    state.features = {};
    Object.values(kindLayers).forEach((layer) => layer.clearLayers());
    state.markers = {};
    collection.features.forEach((f) => {
      state.features[f.id] = f;
      const p = f.properties, c = f.geometry.coordinates;
      const marker = L.marker(toLatLng(c[0], c[1]), {icon: pinIcon(p.kind, p.open, false),
                                                     title: p.name, alt: p.name, riseOnHover: true});
      marker.on("click", () => onPick(f.id));
      state.markers[f.id] = marker;
    });
    state.loadedAt = Date.now();
    applyMarkerFilters();
    document.body.dataset.stations = String(collection.features.length);
  });
}

function matchesFilters(p) {
  if (state.kinds.indexOf(p.kind) < 0) return false;
  if (state.services.some((s) => p.services.indexOf(s) < 0)) return false;
  return !(state.openNow && p.open !== true);
}

/* Show the pins that match the filters, and the kinds chosen. */
export function applyMarkerFilters() {
  Object.keys(state.markers).forEach((id) => {
    const p = state.features[id].properties, marker = state.markers[id], layer = kindLayers[p.kind];
    const show = matchesFilters(p);
    if (show && !layer.hasLayer(marker)) layer.addLayer(marker);
    if (!show && layer.hasLayer(marker)) layer.removeLayer(marker);
  });
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
