/* The nearest stations by network distance from where the worker is, with the filters, as a
   list with travel times; selecting one draws the route and opens its card. */
import {api, clear, config, el, fmtDistance, fmtDuration, icon, t} from "../common.js";
import {badge, changeText, serviceChips, showCard} from "./card.js";
import {clearRoute, drawRoute, fitRoute, markSelected} from "./map.js";
import {setStatus} from "./sheet.js";
import {K, resultById, state} from "./state.js";

const resultsList = document.getElementById("results");
/* Farther than this from any road, a point is outside the area served, not beside a road. */
const OUTSIDE_M = 2000;

const COMPASS = ["n", "ne", "e", "se", "s", "sw", "w", "nw"];

/* Where a station lies from the worker, as the crow flies: "在你东北方 420 米" / "420 m
   northeast"; then its address, unless the name says it already. What tells apart stations of
   one name. */
export function whereText(r) {
  const parts = [];
  if (state.origin && r.lon !== undefined) {
    const lat0 = state.origin[1] * Math.PI / 180;
    const dx = (r.lon - state.origin[0]) * 111320 * Math.cos(lat0), dy = (r.lat - state.origin[1]) * 110574;
    const d = Math.hypot(dx, dy);
    if (d >= 20) {
      const bearing = (Math.atan2(dx, dy) * 180 / Math.PI + 360) % 360;
      const dir = t("dir_" + COMPASS[Math.round(bearing / 45) % 8]);
      parts.push(t("direction", {dir, d: fmtDistance(d)}));
    }
  }
  if (r.address && r.name.indexOf(r.address) < 0) parts.push(r.address);
  return parts.join(" · ");
}

function resultItem(r) {
  return el("li", {class: "result" + (r.id === state.selected ? " selected" : ""),
                   dataset: {id: r.id, kind: r.kind, open: String(r.open)}},
    el("button", {type: "button", class: "result-main", onclick: () => select(r.id, false)},
      el("span", {class: "result-icon kind-" + r.kind}, icon(r.kind)),
      el("span", {class: "result-body"},
        el("span", {class: "result-name"}, r.name),
        el("span", {class: "result-meta"},
          el("span", {class: "kind-label"}, config.kinds[r.kind].label), badge(r.open),
          el("span", {class: "result-change"}, changeText(r))),
        el("span", {class: "result-where"}, whereText(r)),
        serviceChips(r.services, 3)),
      el("span", {class: "result-trip"},
        el("strong", {class: "result-time"}, fmtDuration(r.duration_s)),
        el("span", {class: "result-dist"}, fmtDistance(r.distance_m)))));
}

function renderResults() {
  clear(resultsList);
  state.results.forEach((r) => resultsList.appendChild(resultItem(r)));
  document.body.dataset.results = String(state.results.length);
}

/* Select a station (from the list or its pin): its route if it is a result, and its card. */
export function select(id, fromMarker) {
  state.selected = id;
  Array.from(resultsList.children).forEach((li) => li.classList.toggle("selected", li.dataset.id === id));
  if (resultById(id)) drawRoute(!fromMarker);
  else { clearRoute(); markSelected(id); }
  showCard(id);
}

function nearestQuery() {
  const params = new URLSearchParams({lat: state.origin[1].toFixed(7), lon: state.origin[0].toFixed(7),
                                      mode: state.mode, k: String(K), route: "1"});
  if (state.kinds.length < Object.keys(config.kinds).length) {
    state.kinds.forEach((k) => params.append("kind", k));
  }
  state.services.forEach((s) => params.append("service", s));
  if (state.openNow) params.set("open_now", "1");
  return params;
}

function noResults(message) {
  state.results = [];
  renderResults();
  clearRoute();
  setStatus(message, "warn");
}

/* Ask for the nearest stations; fit the map to the route unless fit is false. */
export function search(fit) {
  if (!state.origin) return;
  const seq = ++state.seq;
  if (state.kinds.length === 0) { noResults(t("no_kinds")); return; }
  setStatus(t("searching"), "busy");
  document.body.dataset.searching = "1";
  api("/api/nearest?" + nearestQuery().toString()).then((answer) => {
    if (seq !== state.seq) return;
    // open stations first (then by distance, as the answer comes): a closed one is no help now
    state.results = answer.results.filter((r) => r.open !== false)
      .concat(answer.results.filter((r) => r.open === false));
    const growing = !document.body.classList.contains("has-results");
    document.body.classList.add("has-results");
    state.selected = answer.results.length ? answer.results[0].id : null;
    setStatus(answer.results.length ? "" : t("none_found"), answer.results.length ? "" : "warn");
    renderResults();
    drawRoute(false);
    if (fit !== false) {
      // wait for the sheet to reach its new height before fitting the route above it
      if (growing) setTimeout(() => { if (seq === state.seq) fitRoute(); }, 260);
      else fitRoute();
    }
  }).catch((err) => {
    if (seq !== state.seq) return;
    if (err.status === 422 && err.body && err.body.distance_m !== undefined) {
      const far = !(err.body.distance_m <= OUTSIDE_M);  // also infinitely far
      const area = config.demo && config.demo.city;
      noResults(err.body.regions ? err.message  // outside every region served: names them
                : far ? (area ? t("outside_demo", {area}) : t("outside_area"))
                : t("off_network", {d: fmtDistance(err.body.distance_m)}));
    } else {
      noResults(err.message || t("error"));
    }
  }).then(() => {
    if (seq === state.seq) document.body.dataset.searching = "0";
  });
}
