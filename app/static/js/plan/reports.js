/* Problems workers reported (planners only), newest first; a station's name shows it on the map. */
import {api, clear, config, el, fmtWhen, t} from "../common.js";
import {session} from "../editor.js";
import {map} from "./map.js";
import {state, stationById} from "./state.js";

function showStation(id) {
  const m = state.markers[id];
  if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 17)); m.openPopup(); }
}

function reportItem(item) {
  const f = stationById(item.station_id);
  return el("li", {class: "report-item", dataset: {id: String(item.id)}},
    el("div", {class: "report-top"},
      el("span", {class: "report-kind kind-" + item.kind}, config.reportKinds[item.kind] || item.kind),
      el("time", {class: "muted small", datetime: item.created_at}, fmtWhen(item.created_at))),
    el("button", {type: "button", class: "report-station link-like", onclick: () => showStation(item.station_id)},
       f ? el("span", {class: "kind-dot kind-" + f.properties.kind}) : null,
       f ? f.properties.name : item.station_id),
    item.text ? el("p", {class: "report-text"}, item.text) : null);
}

export function loadReports() {
  if (!session.signedIn) return;
  api("/api/reports?limit=200").then((r) => {
    const list = clear(document.getElementById("report-list"));
    const badge = document.getElementById("count-reports");
    badge.hidden = !r.reports.length;
    badge.textContent = String(r.reports.length);
    if (!r.reports.length) list.appendChild(el("li", {class: "empty"}, t("reports_none")));
    r.reports.forEach((item) => list.appendChild(reportItem(item)));
  }).catch(() => {});
}

/* Signed out: no count on the tab. */
export function hideReportCount() { document.getElementById("count-reports").hidden = true; }
