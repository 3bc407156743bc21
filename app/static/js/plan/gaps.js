/* Gap areas: where the chosen group's uncovered workers are, ranked, on the map and in a list. */
import {clear, config, el, icon, t} from "../common.js";
import {fitOptions, map, ringLatLngs} from "./map.js";
import {count, groupShort, hourText, minutesText, workers} from "./format.js";
import {currentData, state} from "./state.js";

const L = window.L;
const gapLayer = L.layerGroup().addTo(map);
let gapShapes = {};

/* The gaps where the chosen group has uncovered workers, most first. */
function gapsFor(data) {
  if (!data) return [];
  return data.gaps.filter((g) => (g.by_group[state.group] || 0) > 0)
    .sort((a, b) => b.by_group[state.group] - a.by_group[state.group] || a.rank - b.rank);
}

function polygonLatLngs(geometry) {
  if (geometry.type === "Polygon") return geometry.coordinates.map(ringLatLngs);
  return geometry.coordinates.map((poly) => poly.map(ringLatLngs));
}

function gapStyle(selected) {
  return {pane: "gaps", color: "#101828", weight: selected ? 3 : 1.8, dashArray: selected ? null : "5 5",
          fill: true, fillColor: "#101828", fillOpacity: selected ? 0.10 : 0, className: "gap-area"};
}

export function drawGaps() {
  gapLayer.clearLayers();
  gapShapes = {};
  gapsFor(currentData()).forEach((gap, i) => {
    const shape = L.polygon(polygonLatLngs(gap.polygon), gapStyle(state.selectedGap === gap.rank));
    shape.bindTooltip(() => el("div", {class: "cell-tip"},
      el("strong", {}, "#" + (i + 1) + " · " + workers(gap.by_group[state.group])),
      el("span", {}, t("uncovered"))), {sticky: true, className: "yz-tip"});
    shape.on("click", () => selectGap(gap.rank, false));
    shape.addTo(gapLayer);
    gapShapes[gap.rank] = shape;
  });
}

function selectGap(rank, zoom) {
  state.selectedGap = rank;
  Object.keys(gapShapes).forEach((r) => gapShapes[r].setStyle(gapStyle(Number(r) === rank)));
  document.querySelectorAll(".gap-item").forEach((b) => {
    b.setAttribute("aria-current", String(Number(b.dataset.rank) === rank));
  });
  if (zoom && gapShapes[rank]) map.fitBounds(gapShapes[rank].getBounds(), fitOptions(17));
}

/* The gap area's name after its nearest street or venue, in the page's language (text only). */
function gapName(gap) {
  return (config.lang === "zh" ? gap.name : gap.name_en || gap.name) || "";
}

function gapItem(gap, i) {
  const others = Object.keys(gap.by_group).filter((g) => g !== state.group && gap.by_group[g] > 0);
  const near = gap.nearest[state.group];
  const also = others.length
    ? " · " + t("gap_also", {list: others.map((g) => groupShort(g) + " " + count(gap.by_group[g])).join("、")})
    : "";
  return el("li", {},
    el("button", {type: "button", class: "gap-item", dataset: {rank: String(gap.rank)},
                  "aria-current": String(state.selectedGap === gap.rank),
                  onclick: () => selectGap(gap.rank, true)},
      el("span", {class: "gap-rank"}, String(i + 1)),
      el("span", {class: "gap-body"},
        gapName(gap) ? el("span", {class: "gap-name"}, gapName(gap)) : null,
        el("span", {class: "gap-head"}, el("strong", {}, workers(gap.by_group[state.group])), " " + t("uncovered")),
        el("span", {class: "gap-meta"}, t("gap_cells", {n: gap.cells}) + also),
        el("span", {class: "gap-near"}, icon("clock"),
           t("gap_nearest", {t: near === null || near === undefined ? "–" : minutesText(near)}))),
      el("span", {class: "gap-go", title: t("gap_zoom")}, icon("pin"))));
}

export function renderGapList() {
  const list = clear(document.getElementById("gap-list"));
  const data = currentData(), gaps = gapsFor(data);
  document.getElementById("gaps-title").textContent =
    state.hour === null ? t("gaps_title") : t("gaps_at", {h: hourText(state.hour)});
  const badge = document.getElementById("count-gaps");
  badge.hidden = !data;
  badge.textContent = String(gaps.length);
  if (!data) return;
  if (!gaps.length) list.appendChild(el("li", {class: "empty"}, t("gaps_none")));
  gaps.forEach((gap, i) => list.appendChild(gapItem(gap, i)));
  const other = document.getElementById("gaps-other");
  const rest = data.gaps.length - gaps.length;
  other.hidden = rest <= 0;
  other.textContent = t("gaps_other", {n: rest});
}
