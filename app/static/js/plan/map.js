/* The planner view's map: panes, basemap, fitting views clear of the hour bar, the legend. */
import {api, basemap, config, el, t, toLatLng} from "../common.js";
import {state} from "./state.js";

const L = window.L;

export const map = L.map("plan-map", {zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25});
map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
L.control.zoom({position: "topright"}).addTo(map);
map.createPane("streets").style.zIndex = 250;
map.createPane("cells").style.zIndex = 350;
map.createPane("gaps").style.zIndex = 420;

basemap(map, document.getElementById("plan-map"));

const wgs = {coordsToLatLng: (c) => toLatLng(c[0], c[1])};

/* Keep fitted things clear of the hour bar. */
export function fitOptions(maxZoom) {
  const bar = document.getElementById("hourbar").getBoundingClientRect();
  const mapBox = document.getElementById("plan-map").getBoundingClientRect();
  const bottom = Math.max(24, mapBox.bottom - bar.top + 16);
  return {paddingTopLeft: [24, 24], paddingBottomRight: [56, bottom], maxZoom: maxZoom || 17};
}

export function fitRegion() {
  const b = config.bounds;
  if (!b) { map.setView([35.0, 105.0], 4); return; }
  map.fitBounds(L.latLngBounds([toLatLng(b[0], b[1]), toLatLng(b[2], b[3])]), fitOptions());
}

/* The cells of every group (the demand), once they are known. */
export function fitData() {
  const b = L.geoJSON(state.data.cells, wgs).getBounds();
  if (b.isValid()) map.fitBounds(b, fitOptions(17));
}

/* Make sure the points are on screen (above the hour bar), keeping the view when they are. */
export function showAll(latlngs) {
  if (!latlngs.length) return;
  const size = map.getSize(), pad = fitOptions();
  const inside = latlngs.every((ll) => {
    const pt = map.latLngToContainerPoint(ll);
    return pt.x > pad.paddingTopLeft[0] && pt.y > pad.paddingTopLeft[1] &&
           pt.x < size.x - pad.paddingBottomRight[0] && pt.y < size.y - pad.paddingBottomRight[1];
  });
  if (inside) return;
  const b = L.latLngBounds(latlngs);
  if (state.data) L.geoJSON(state.data.cells, wgs).eachLayer((layer) => b.extend(layer.getBounds()));
  map.fitBounds(b, fitOptions(17));
}

/* The area of the organisation an analysis counts (its name; null: none), outlined dashed. */
const areaLayer = L.layerGroup().addTo(map);
let areaShown = null;
export function drawArea(name) {
  if (name === areaShown) return;
  areaShown = name;
  areaLayer.clearLayers();
  if (!name) return;
  api("/api/orgs/" + encodeURIComponent(name) + "/area").then((feature) => {
    if (areaShown !== name || !feature.geometry) return;
    areaLayer.addLayer(L.geoJSON(feature, Object.assign({pane: "gaps", interactive: false,
      style: {color: "#175cd3", weight: 3, opacity: 0.8, dashArray: "1 7", lineCap: "round",
              fill: false}}, wgs)));
  }).catch(() => {});  // an outline is a help, never a fault
}

/* A [lon, lat] ring as LatLngs on this map. */
export function ringLatLngs(ring) { return ring.map((c) => toLatLng(c[0], c[1])); }

const Legend = L.Control.extend({
  options: {position: "topleft"},
  onAdd() {
    // one row per kind, in the colour its dots have on the map, then a closed one
    const stationRow = (kind, extra, text) => el("span", {class: "legend-row", dataset: {kind}},
      el("span", {class: "st" + extra + " kind-" + kind + " legend-st"}, el("span", {class: "st-dot"})), text);
    const kinds = (config.kindOrder || Object.keys(config.kinds)).filter((k) => config.kinds[k]);
    return el("div", {class: "legend"},
      el("strong", {class: "legend-title"}, t("legend")),
      el("span", {class: "legend-ramp", "aria-hidden": "true"}),
      el("span", {class: "legend-scale"}, el("span", {}, "0%"), el("span", {}, "50%"), el("span", {}, "100%")),
      el("span", {class: "legend-note"}, t("legend_more")),
      kinds.map((k) => stationRow(k, "", config.kinds[k].short || config.kinds[k].label)),
      stationRow(kinds[0], " is-closed", t("legend_closed")),
      el("span", {class: "legend-row"}, el("span", {class: "legend-prop"}), t("legend_proposed")),
      el("span", {class: "legend-row"}, el("span", {class: "legend-gap"}), t("legend_gap")));
  }
});

export function addLegend() { new Legend().addTo(map); }
