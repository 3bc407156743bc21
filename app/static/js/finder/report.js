/* Reporting a problem with a station (full, closed, dirty...), from the station's card. */
import {api, config, el, t, toast} from "../common.js";
import {state} from "./state.js";

const dialog = document.getElementById("report-dialog");
const form = document.getElementById("report-form");
const error = document.getElementById("report-error");
let reportFor = null;  // the station id

export function openReport(station) {
  reportFor = station.id;
  form.reset();
  error.hidden = true;
  document.getElementById("report-station").textContent = station.name;
  if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
}

/* What the worker is told: thanks; that it counts on an open report of the same problem; and
   each note on their own words (characters removed, or not kept). The answer says nothing of
   other workers' reports. */
function confirmation(answer) {
  const lines = [t("report_thanks")];
  if (answer && answer.counted_on_open_report) lines.push(t("report_counted"));
  ((answer && answer.notes) || []).forEach((note) => {
    const key = "report_note_" + note.code;
    lines.push(config.strings && config.strings[key] ? t(key) : note.message);
  });
  return lines.join(" ");
}

function send(e) {
  e.preventDefault();
  const picked = form.querySelector("input[name=kind]:checked");
  if (!picked) { error.textContent = t("report_pick"); error.hidden = false; return; }
  const body = {station_id: reportFor, kind: picked.value, text: form.elements.text.value};
  if (state.origin) { body.lon = state.origin[0]; body.lat = state.origin[1]; }
  const button = document.getElementById("report-send");
  button.disabled = true;
  api("/api/reports", {method: "POST", body}).then((answer) => {
    dialog.close();
    toast(confirmation(answer));
  }).catch((err) => {
    error.textContent = err.message || t("error");
    error.hidden = false;
  }).then(() => { button.disabled = false; });
}

export function initReport() {
  const kinds = document.getElementById("report-kinds");
  Object.keys(config.reportKinds).forEach((kind) => {
    kinds.appendChild(el("label", {class: "radio"},
      el("input", {type: "radio", name: "kind", value: kind}), el("span", {}, config.reportKinds[kind])));
  });
  document.getElementById("report-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", send);
}
