/* yizhan worker finder /: tap the map or "Locate me" for the nearest stations that have what the
   worker needs, with the route and each station's card; report a problem. This module wires the
   others together. Station data is only ever shown through textContent (el). */
import {fromLatLng, t, toast, toLatLng} from "../common.js";
import {initFilters, servicesPanelOpen, toggleServicesPanel} from "./filters.js";
import {initLarge} from "./large.js";
import {clusters, fitRegion, followView, loadStation, loadView, map, showOrigin} from "./map.js";
import {initOffline, isOffline, listStraightLine} from "./offline.js";
import {initReport} from "./report.js";
import {search, select} from "./results.js";
import {closeSearch, initSearch, searchPanelOpen} from "./search.js";
import {initSheet, setStatus, showList} from "./sheet.js";
import {state} from "./state.js";

/* Where the worker is (WGS-84); the nearest stations from there. */
function setOrigin(lon, lat, fromGps) {
  state.origin = [lon, lat];
  showOrigin(lon, lat, fromGps);
  showList();
  if (isOffline()) listStraightLine(); else search(true);
}

function locate() {
  const button = document.getElementById("locate");
  if (!navigator.geolocation) { toast(t("locate_failed")); return; }
  button.classList.add("busy");
  toast(t("locating"));
  navigator.geolocation.getCurrentPosition((pos) => {
    button.classList.remove("busy");
    document.getElementById("toast").hidden = true;  // "locating…" is done: the list says the rest
    setOrigin(pos.coords.longitude, pos.coords.latitude, true);
  }, () => {
    button.classList.remove("busy");
    toast(t("locate_failed"));
  }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
}

function pick(id) { select(id, true); }

/* The first view: a shared station's surroundings (?station=id), else the whole region. */
function firstView(wanted) {
  if (!wanted) { fitRegion(); return Promise.resolve(); }
  return loadStation(wanted, pick).then((f) => {
    const c = f.geometry.coordinates;
    map.setView(toLatLng(c[0], c[1]), 16);
  }, () => { fitRegion(); });
}

/* A search result: the map goes there and the worker's position is set there. */
function searched(r) {
  if (r.bbox) map.fitBounds([toLatLng(r.bbox[0], r.bbox[1]), toLatLng(r.bbox[2], r.bbox[3])], {maxZoom: 17});
  else map.setView(toLatLng(r.lon, r.lat), Math.max(map.getZoom(), 16));
  setOrigin(r.lon, r.lat, false);
}

initFilters();
initSheet();
initReport();
initLarge();
initOffline(() => loadView(pick, true).then(() => { if (state.origin) search(false); }, () => {}));
initSearch(searched);
map.on("click", (e) => {
  if (servicesPanelOpen()) { toggleServicesPanel(false); return; }
  if (searchPanelOpen()) { closeSearch(); return; }
  const p = fromLatLng(e.latlng);
  setOrigin(p[0], p[1], false);
});
document.getElementById("locate").addEventListener("click", locate);

const wanted = new URLSearchParams(window.location.search).get("station");
firstView(wanted).then(() => followView(pick)).then(() => {
  if (wanted && state.features[wanted]) select(wanted, true);
  document.body.dataset.ready = "1";
}).catch(() => {
  setStatus(t("error"), "warn");
  document.body.dataset.ready = "1";
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && Date.now() - state.loadedAt > 30000) {
    loadView(pick, true).then(() => search(false), () => {});
  }
});

window.yizhan = {map, clusters, state, setOrigin, toLatLng};
