/* The finder's map zoomed out (below STATIONS_FROM): the stations counted per cell of the map
   (/api/clusters, a few kB) instead of the stations themselves (hundreds of kB for a city), each
   cell a ring in its kinds' colours with its count. The counts are made on the server with the
   finder's filters (kinds, services, open now), so they are what the worker would find. Tapping a
   ring zooms in to its stations; from STATIONS_FROM the map loads the stations of the view
   (map.js). Only the cells in the view (padded by SHOW_PAD) are drawn. */
import {config, el, t, toLatLng} from "../common.js";
import {state} from "./state.js";

const L = window.L;

/* From this zoom the map shows the stations themselves. */
export const STATIONS_FROM = 15;
const SHOW_PAD = 0.25;
const LOAD_PAD = 0.5;  // the counts asked for: the view padded by this much on every side
const CELL_PX = 96;  // app/schemas/clusters.py CELL_PX

let layer = null;
let loaded = null;   // {cells, filters, answer}: the counts on the map
let pending = null;  // {query, controller, promise}

/* A ring of the kinds' colours in proportion to counts ({kind: n}), n in the middle. */
export function ringIcon(counts, n) {
  const size = n < 10 ? 34 : n < 100 ? 40 : 48;
  const kinds = Object.keys(config.kinds).filter((k) => counts[k]);
  let at = 0;
  const stops = kinds.map((k) => {
    const from = at;
    at += counts[k] / n * 100;
    return "var(--" + k + ") " + from.toFixed(1) + "% " + at.toFixed(1) + "%";
  });
  const ring = el("div", {class: "cluster-ring"}, el("span", {class: "cluster-count"}, String(n)));
  ring.style.background = "conic-gradient(" + stops.join(", ") + ")";  // CSSOM: allowed by the CSP
  return L.divIcon({html: ring, className: "cluster", iconSize: [size, size]});
}

/* Web Mercator x, y (0 to 1) and back. */
function mercator(lon, lat) {
  const s = Math.sin(Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

function unmercator(x, y) {
  return [x * 360 - 180, Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI];
}

/* The cells [first column, first row, last column, last row, zoom] of the map's view padded by
   pad, at the map's zoom (whole). */
function cellsOf(map, pad) {
  const zoom = Math.max(0, Math.floor(map.getZoom())), b = map.getBounds().pad(pad);
  const scale = 256 * Math.pow(2, zoom) / CELL_PX, last = Math.ceil(scale) - 1;
  const clamp = (v) => Math.max(0, Math.min(last, Math.floor(v * scale)));
  const nw = mercator(Math.max(-180, b.getWest()), b.getNorth());
  const se = mercator(Math.min(180, b.getEast()), b.getSouth());
  return [clamp(nw[0]), clamp(nw[1]), clamp(se[0]), clamp(se[1]), zoom];
}

/* The query for the cells: their box as the centres of its corner cells (the server counts the
   cells a box touches whole, so nearby views ask the same question and the browser revalidates
   it with its ETag). Boxes are WGS-84, as the API's. */
function query(cells, filters) {
  const [x0, y0, x1, y1, zoom] = cells, scale = 256 * Math.pow(2, zoom) / CELL_PX;
  const a = unmercator((x0 + 0.5) / scale, (y1 + 0.5) / scale);
  const b = unmercator((x1 + 0.5) / scale, (y0 + 0.5) / scale);
  const box = [a[0], a[1], b[0], b[1]].map((v) => Number(v.toFixed(7)));
  return "bbox=" + box.join(",") + "&zoom=" + zoom + filters;
}

function filterQuery() {
  const params = new URLSearchParams();
  if (state.kinds.length < Object.keys(config.kinds).length) params.set("kind", state.kinds.join(","));
  if (state.services.length) params.set("service", state.services.join(","));
  if (state.openNow) params.set("open_now", "1");
  return params.toString() ? "&" + params.toString() : "";
}

function covers(outer, inner) {
  return outer[4] === inner[4] && outer[0] <= inner[0] && outer[1] <= inner[1] &&
    outer[2] >= inner[2] && outer[3] >= inner[3];
}

function zoomInto(map, c) {
  const sw = toLatLng(c.bbox[0], c.bbox[1]), ne = toLatLng(c.bbox[2], c.bbox[3]);
  if (c.count === 1 || sw.equals(ne)) map.setView(sw, Math.max(STATIONS_FROM + 1, map.getZoom()));
  else map.fitBounds(L.latLngBounds(sw, ne), {padding: [48, 48], maxZoom: STATIONS_FROM + 1});
}

function draw(map) {
  layer.clearLayers();
  if (!loaded) return;
  const shown = map.getBounds().pad(SHOW_PAD);
  loaded.answer.clusters.forEach((c) => {
    const at = toLatLng(c.lon, c.lat);
    if (!shown.contains(at)) return;
    const title = t("cluster_title", {n: c.count});
    const marker = L.marker(at, {icon: ringIcon(c.kinds, c.count), pane: "clusters", title,
                                 alt: title});
    marker.on("click", () => zoomInto(map, c));
    layer.addLayer(marker);
  });
  document.body.dataset.overview = String(loaded.answer.total);
  document.body.dataset.overviewZoom = String(loaded.cells[4]);
}

/* Draw the counts loaded unless they are few (see showOverview); whether they are drawn. */
function shown(map, few) {
  const many = loaded.filters !== "" || loaded.answer.total > few;
  if (!many) layer.clearLayers();
  else if (map.getZoom() < STATIONS_FROM) draw(map);
  return many;
}

/* The counts around the view at the map's zoom and the filters, drawn for the view; resolves
   to true when they are on the map, to false when, without filters, they come to few or fewer
   stations (the map had better show those: nothing is drawn). Asked again when the view leaves
   the cells loaded, and with force. */
export function showOverview(map, force, few = 0) {
  if (!layer) layer = L.layerGroup().addTo(map);
  if (!map.hasLayer(layer)) layer.addTo(map);
  const view = cellsOf(map, SHOW_PAD), filters = filterQuery();
  if (!force && loaded && loaded.filters === filters && covers(loaded.cells, view)) {
    return Promise.resolve(shown(map, few));
  }
  if (!force && pending && pending.filters === filters && covers(pending.cells, view)) {
    return pending.promise;
  }
  if (pending) pending.controller.abort();
  const controller = new AbortController();
  const cells = cellsOf(map, LOAD_PAD), q = query(cells, filters);
  const mine = {cells, filters, controller};
  mine.promise = fetch("/api/clusters?" + q, {headers: {"Accept": "application/json"},
                                              credentials: "same-origin", signal: controller.signal})
    .then((response) => {
      if (!response.ok) throw new Error(response.statusText);
      return response.json();
    }).then((answer) => {
      if (pending === mine) pending = null;
      loaded = {cells, filters, answer};
      return shown(map, few);
    }, (err) => {
      if (pending === mine) pending = null;
      if (err.name === "AbortError" && pending) return pending.promise;
      throw err;
    });
  pending = mine;
  return mine.promise;
}

/* Off the map (zoomed in to the stations). */
export function hideOverview(map) {
  if (pending) { pending.controller.abort(); pending = null; }
  if (layer && map.hasLayer(layer)) map.removeLayer(layer);
  delete document.body.dataset.overview;
  delete document.body.dataset.overviewZoom;
}

/* The counts again for new filters, when they are on the map. */
export function refreshOverview(map) {
  if (layer && map.hasLayer(layer) && map.getZoom() < STATIONS_FROM) {
    showOverview(map).catch(() => { /* the next move retries */ });
  }
}
