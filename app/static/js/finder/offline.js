/* The finder with no connection. The service worker (/sw.js) keeps the page, the basemap and the
   stations of the last area; opened offline, the map shows them under a banner saying how old
   they are ("离线 · 数据更新于 …"), and a tap lists the nearest of them by straight-line
   distance, said as such (no route can be asked for). Back online the stations and the list are
   asked for again. */
import {clear, config, el, fmtDistance, fmtWhen, icon, t} from "../common.js";
import {badge} from "./card.js";
import {clearRoute} from "./map.js";
import {select} from "./results.js";
import {setStatus} from "./sheet.js";
import {K, state} from "./state.js";

const LAST_AREA = "/api/stations?last-area";
let banner = null;

export function isOffline() { return navigator.onLine === false; }

/* When the stations kept for offline use were fetched (ISO 8601), or null. */
function savedAt() {
  if (!window.caches) return Promise.resolve(null);
  return caches.match(LAST_AREA).then((r) => (r && r.headers.get("X-Yizhan-Saved")) || null,
                                      () => null);
}

function showBanner(offline) {
  document.body.classList.toggle("is-offline", offline);
  document.body.dataset.offline = offline ? "1" : "0";
  if (!offline) { if (banner) banner.hidden = true; return Promise.resolve(); }
  return savedAt().then((when) => {
    banner.textContent = when ? t("offline_banner", {t: fmtWhen(when)}) : t("offline_nodata");
    banner.hidden = false;
  });
}

/* Metres between two WGS-84 points on the sphere (haversine). */
function straightLine(a, b) {
  const rad = Math.PI / 180, dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function matches(p) {
  if (state.kinds.indexOf(p.kind) < 0) return false;
  if (state.services.some((s) => (p.services || []).indexOf(s) < 0)) return false;
  return !(state.openNow && p.open !== true);
}

function offlineItem(f, metres) {
  const p = f.properties;
  return el("li", {class: "result offline-result", dataset: {id: f.id, kind: p.kind}},
    el("button", {type: "button", class: "result-main", onclick: () => select(f.id, false)},
      el("span", {class: "result-icon kind-" + p.kind}, icon(p.kind)),
      el("span", {class: "result-body"},
        el("span", {class: "result-name"}, p.name),
        el("span", {class: "result-meta"},
          el("span", {class: "kind-label"}, config.kinds[p.kind] ? config.kinds[p.kind].label : p.kind),
          badge(p.open))),
      el("span", {class: "result-trip"},
        el("strong", {class: "result-dist straight"}, t("straight_line", {d: fmtDistance(metres)})))));
}

/* The K stations kept nearest the worker in a straight line, said as such. */
export function listStraightLine() {
  const list = clear(document.getElementById("results"));
  state.results = [];
  clearRoute();
  if (!state.origin) return;
  const near = Object.values(state.features).filter((f) => matches(f.properties))
    .map((f) => [f, straightLine(state.origin, f.geometry.coordinates)])
    .sort((a, b) => a[1] - b[1]).slice(0, K);
  near.forEach(([f, m]) => list.appendChild(offlineItem(f, m)));
  document.body.classList.add("has-results");
  document.body.dataset.results = String(near.length);
  document.body.dataset.searching = "0";
  setStatus(near.length ? t("offline_list") : t("offline_none"), "warn");
}

/* Register the service worker, keep the banner up to date; refresh() when back online. */
export function initOffline(refresh) {
  banner = el("div", {class: "offline-banner", id: "offline-banner", role: "status", hidden: true});
  const bar = document.querySelector(".filterbar");
  bar.parentNode.insertBefore(banner, bar);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(() => { /* works online */ });
  }
  window.addEventListener("offline", () => {
    showBanner(true);
    if (state.origin) listStraightLine();
  });
  window.addEventListener("online", () => { showBanner(false); refresh(); });
  return showBanner(isOffline());
}
