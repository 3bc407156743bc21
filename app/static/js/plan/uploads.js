/* yizhan planner view: the office's worker counts and district boundaries, uploaded from the
   browser (/api/inputs). The server reads the file before keeping anything: a bad file's
   problems are listed with file, row and column, and nothing changes. The upload in use and
   the earlier ones are shown with who and when; an earlier one can be restored. Text goes
   through textContent (el) only. */
import {api, clear, config, el, fmtWhen, readBase64, t, toast} from "../common.js";
import {onSession, session} from "../editor.js";
import {loadCoverage} from "./coverage.js";

const KINDS = ["demand", "districts"];
const headers = {"Accept-Language": config.lang};
let maxBytes = 0;

function panel() { return document.getElementById("inputs"); }

function summary(entry) {
  const s = entry.summary || {};
  return entry.kind === "demand" ? t("inp_rows", {rows: s.rows, workers: s.workers})
                                 : t("inp_count", {n: s.districts});
}

function entryLine(entry) {
  return [el("strong", {text: entry.filename}), " · " + summary(entry) + " · ",
          el("span", {class: "muted", text: t("inp_by", {who: entry.used_by,
                                                          when: fmtWhen(entry.used_since)})})];
}

function showProblems(box, name, err) {
  clear(box);
  box.hidden = false;
  const problems = (err.body && err.body.problems) || [];
  box.appendChild(el("li", {class: "inp-failed", text: t("inp_failed", {name}) + " " + err.message}));
  problems.forEach((p) => box.appendChild(el("li", {text: p.text || p.message})));
}

function upload(kind, file, box, status) {
  box.hidden = true;
  if (maxBytes && file.size > maxBytes) {
    showProblems(box, file.name, {message: t("inp_too_large", {mb: Math.round(maxBytes / 1048576)})});
    return;
  }
  status.textContent = t("inp_uploading", {name: file.name});
  readBase64(file)
    .then((content) => api("/api/inputs/" + kind, {method: "POST", headers,
                                                   body: {filename: file.name, content}}))
    .then((entry) => {
      status.textContent = t("inp_done", {name: entry.filename});
      toast(t("inp_done", {name: entry.filename}));
      render();
      loadCoverage();
    })
    .catch((err) => { status.textContent = ""; showProblems(box, file.name, err); });
}

function restore(entry) {
  api("/api/inputs/" + entry.kind + "/" + entry.id + "/restore", {method: "POST", headers, body: {}})
    .then(() => { toast(t("inp_restored", {name: entry.filename})); render(); loadCoverage(); })
    .catch((err) => toast(err.message));
}

function kindBlock(kind, list) {
  const input = el("input", {type: "file", class: "inp-file", id: "inp-file-" + kind,
                             accept: kind === "demand" ? ".csv,.txt,.xlsx,.geojson,.json,.gpkg"
                                                       : ".geojson,.json,.gpkg"});
  const problems = el("ul", {class: "inp-problems", id: "inp-problems-" + kind, role: "alert",
                             hidden: true});
  const status = el("p", {class: "muted small", id: "inp-status-" + kind, role: "status"});
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) upload(kind, input.files[0], problems, status);
    input.value = "";
  });
  const current = list.current
    ? [el("span", {class: "acc-state", text: t("inp_in_use")}), " ", entryLine(list.current)]
    : list.fallback ? t("inp_server_file", {name: list.fallback}) : t("inp_none");
  const earlier = list.uploads.filter((u) => !u.current);
  const older = el("ul", {class: "inp-earlier", hidden: !earlier.length},
    earlier.map((u) => el("li", {dataset: {id: u.id}}, entryLine(u),
      el("button", {type: "button", class: "button small", text: t("inp_restore"),
                    onclick: () => restore(u)}))));
  return el("div", {class: "inp-kind", id: "inp-" + kind},
    el("h4", {text: t("inp_" + kind)}),
    el("p", {class: "muted small", text: t("inp_" + kind + "_help")}),
    el("p", {class: "inp-current", id: "inp-current-" + kind}, current),
    input,
    el("label", {class: "button small", for: "inp-file-" + kind, text: t("inp_choose")}),
    status, problems,
    earlier.length ? el("p", {class: "muted small", text: t("inp_earlier")}) : null, older);
}

function render() {
  const node = panel();
  if (!node) return;
  if (!session.signedIn) { node.hidden = true; return; }
  api("/api/inputs", {headers}).then((answer) => {
    maxBytes = answer.max_bytes;
    clear(node);
    node.appendChild(el("h3", {class: "pane-title", text: t("inp_title")}));
    const region = answer.region && (config.regions || []).find((r) => r.id === answer.region);
    if (region) node.appendChild(el("p", {class: "muted small", text: t("inp_region", {region: region.label})}));
    KINDS.forEach((kind) => node.appendChild(kindBlock(kind, answer[kind])));
    node.appendChild(el("p", {class: "small"},
      el("a", {href: "/accounts?lang=" + config.lang, text: t("acc_title")})));
    node.hidden = false;
  }).catch(() => { node.hidden = true; });
}

onSession(render);
