/* The planner view's state, read from and written to the address (group, budget, hour, tab), and
   a small event hub: modules announce what changed, plan/main.js decides what to redraw. */
import {config} from "../common.js";

const query = new URLSearchParams(window.location.search);

export const GROUPS = config.groupOrder.filter((g) => config.groups[g]);
export const KINDS = config.kindOrder.filter((k) => config.kinds[k]);
export const TABS = ["coverage", "gaps", "siting", "reports", "stations"];

function initialMinutes() {
  if (query.has("minutes")) {
    const m = Number(query.get("minutes"));
    return query.get("minutes") === "" || !(m > 0 && m <= 120) ? null : m;
  }
  return config.defaultMinutes;
}

function initialHour() {
  const h = query.get("hour");
  return h !== null && /^\d{1,2}$/.test(h) && Number(h) <= 23 ? Number(h) : null;
}

export const state = {
  group: GROUPS.indexOf(query.get("group")) >= 0 ? query.get("group") : null,
  minutes: initialMinutes(),
  hour: initialHour(),
  tab: TABS.indexOf(query.get("tab")) >= 0 ? query.get("tab") : "coverage",
  data: null,          // the /api/coverage answer at any time
  timed: {},           // hour -> the answer at HH:30
  seq: 0,
  openIds: null,       // ids of stations open at state.hour (null: not known / any time)
  stations: [],        // GeoJSON features
  markers: {},         // station id -> Leaflet marker
  plan: null,          // the siting answer on screen
  selectedGap: null,
  needsSignin: false   // the coverage answered 401: sign in to see it
};

/* The coverage answer for the hour shown (the exact one once loaded), else at any time. */
export function currentData() {
  if (state.hour !== null && state.timed[state.hour]) return state.timed[state.hour];
  return state.data;
}

export function stationById(id) {
  return state.stations.find((f) => f.id === id) || null;
}

/* The address keeps the view (group, budget, hour, tab), so that a link shows the same. */
export function syncUrl() {
  const q = new URLSearchParams();
  q.set("lang", config.lang);
  if (state.group) q.set("group", state.group);
  q.set("minutes", state.minutes === null ? "" : String(state.minutes));
  if (state.hour !== null) q.set("hour", String(state.hour));
  if (state.tab !== "coverage") q.set("tab", state.tab);
  window.history.replaceState(null, "", window.location.pathname + "?" + q.toString());
  const other = new URLSearchParams(q);
  other.set("lang", config.lang === "zh" ? "en" : "zh");
  const link = document.querySelector(".lang-switch");
  if (link) link.setAttribute("href", window.location.pathname + "?" + other.toString());
}

/* --- events: "group", "hour", "timed" (the exact answer for the hour came), "edit" (a station) --- */
const listeners = {};

export function on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); }

export function emit(name, detail) { (listeners[name] || []).forEach((fn) => fn(detail)); }
