/* Problems workers reported (planners only), newest first; a station's name shows it on the map. */
import {api, clear, config, el, fmtWhen, t, toast} from "../common.js";
import {session} from "../editor.js";
import {map} from "./map.js";
import {state, stationById} from "./state.js";

function showStation(id) {
  const m = state.markers[id];
  if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 17)); m.openPopup(); }
}

/* Each worker's words and where they stood (planners only), first to last; all as text nodes.
   A reply without entries (an older server) shows the report's own text. */
function entryList(item) {
  const entries = item.entries || (item.text ? [{text: item.text, lon: item.lon, lat: item.lat,
                                                 at: item.created_at}] : []);
  if (!entries.length) return null;
  return el("ul", {class: "report-entries", "aria-label": t("report_entries")},
    entries.map((entry) => el("li", {class: "report-entry"},
      entry.text ? el("p", {class: "report-text"}, entry.text) : null,
      el("span", {class: "muted small"},
        el("time", {datetime: entry.at}, fmtWhen(entry.at)),
        entry.lon !== null && entry.lon !== undefined
          ? [" · ", el("button", {type: "button", class: "report-where link-like", title: t("report_where"),
                                  onclick: () => map.setView([entry.lat, entry.lon], Math.max(map.getZoom(), 17))},
                       entry.lat.toFixed(5) + ", " + entry.lon.toFixed(5))]
          : null))));
}

function reportItem(item) {
  const f = stationById(item.station_id);
  const handled = item.status === "handled";
  return el("li", {class: "report-item" + (handled ? " is-handled" : ""),
                   dataset: {id: String(item.id), status: item.status}},
    el("div", {class: "report-top"},
      el("span", {class: "report-kind kind-" + item.kind}, config.reportKinds[item.kind] || item.kind),
      item.count > 1 ? el("span", {class: "report-count", title: t("report_count_hint")},
                          t("report_count", {n: item.count})) : null,
      el("time", {class: "muted small", datetime: item.last_at || item.created_at},
         fmtWhen(item.last_at || item.created_at))),
    el("button", {type: "button", class: "report-station link-like", onclick: () => showStation(item.station_id)},
       f ? el("span", {class: "kind-dot kind-" + f.properties.kind}) : null,
       f ? f.properties.name : item.station_id),
    entryList(item),
    handled
      ? el("p", {class: "report-handled muted small"}, t("report_handled", {when: fmtWhen(item.handled_at)}))
      : el("button", {type: "button", class: "button small report-handle", onclick: () => markHandled(item.id)},
           t("mark_handled")));
}

/* A planner has dealt with it: it stays in the list, greyed, and leaves the count. */
function markHandled(id) {
  api("/api/reports/" + id, {method: "PATCH", body: {status: "handled"}})
    .then(() => { toast(t("handled_toast")); loadReports(); })
    .catch((err) => toast(err.message));
}

export function loadReports() {
  if (!session.signedIn) return;
  api("/api/reports?limit=200").then((r) => {
    const list = clear(document.getElementById("report-list"));
    const badge = document.getElementById("count-reports");
    const open = r.reports.filter((item) => item.status !== "handled").length;
    badge.hidden = !open;
    badge.textContent = String(open);
    if (!r.reports.length) list.appendChild(el("li", {class: "empty"}, t("reports_none")));
    r.reports.forEach((item) => list.appendChild(reportItem(item)));
    document.body.dataset.reports = String(r.reports.length);
  }).catch(() => {});
}

/* Signed out: no count on the tab. */
export function hideReportCount() { document.getElementById("count-reports").hidden = true; }
