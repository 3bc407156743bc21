/* Coverage as H3 cells of the chosen group: colour by the share covered (at the hour shown),
   strength by the number of workers; a tooltip with the travel time to the nearest station. */
import {el, t, toLatLng} from "../common.js";
import {map} from "./map.js";
import {groupShort, minutesText, pct, shareColor, workers} from "./format.js";
import {currentData, state} from "./state.js";

const L = window.L;
let maxWorkers = 1;

function cellShare(p) {
  if (state.hour !== null && p.by_hour && p.by_hour.length === 24) return p.by_hour[state.hour];
  return p.share;
}

function cellStyle(feature) {
  const p = feature.properties;
  const weight = Math.sqrt(Math.max(0, p.workers) / maxWorkers);
  return {color: "#ffffff", weight: 1, opacity: 0.9, fillColor: shareColor(cellShare(p)),
          fillOpacity: 0.36 + 0.5 * weight, className: "hex-cell"};
}

function cellTooltip(layer) {
  const p = layer.feature.properties, share = cellShare(p);
  const travel = p.travel === null ? t("unreachable")
    : (p.travel_max !== null && p.travel_max - p.travel > 0.6
       ? t("travel_range", {a: minutesText(Math.min(p.travel, p.travel_max)), b: minutesText(p.travel_max)})
       : t("travel", {t: minutesText(p.travel)}));
  return el("div", {class: "cell-tip"},
    el("strong", {}, t("cell", {g: groupShort(p.group), n: workers(p.workers)})),
    el("span", {class: "cell-tip-share"}, el("span", {class: "swatch", "aria-hidden": "true"}),
       t("covered") + " " + pct(share, 0) + " · " + workers(share * p.workers)),
    el("span", {class: "muted"}, travel));
}

const cellLayer = L.geoJSON(null, {
  pane: "cells", style: cellStyle,
  coordsToLatLng: (c) => toLatLng(c[0], c[1]),
  filter: (f) => f.properties.group === state.group,
  onEachFeature(feature, layer) {
    layer.bindTooltip(() => cellTooltip(layer), {sticky: true, direction: "top",
                                                 className: "yz-tip", offset: [0, -6]});
    layer.on("tooltipopen", (e) => {
      const swatch = e.tooltip.getElement().querySelector(".swatch");
      if (swatch) swatch.style.background = shareColor(cellShare(feature.properties));
    });
  }
}).addTo(map);

export function drawCells() {
  const data = currentData();
  cellLayer.clearLayers();
  if (!data) return;
  const mine = data.cells.features.filter((f) => f.properties.group === state.group);
  maxWorkers = Math.max(1, ...mine.map((f) => f.properties.workers));
  cellLayer.addData(data.cells);
  document.body.dataset.cells = String(mine.length);
}

export function restyleCells() { cellLayer.setStyle(cellStyle); }
