/* Importing a station list in the planner view: upload -> preview (every problem in its cell,
   in the planner's language) -> columns, default kind, coordinate system (the points on the map
   show where they land), monthly sync -> apply all or nothing, with a summary. The file goes to
   POST /api/imports as the body itself (application/octet-stream); everything shown is text
   (el / textContent). */
import {api, clear, config, el, t, toLatLng} from "../common.js";

const L = window.L;
let host = null;        // {map, changed}
let current = null;     // the last preview answer
let choice = {columns: {}, kind: null, crs: null, sync: false, page: 1, only_problems: false};
let layer = null;

const byId = (id) => document.getElementById(id);
const lang = {"Accept-Language": config.lang === "zh" ? "zh-CN" : "en"};

export function initImport(pageHost) {
  host = pageHost;
  byId("io-import").addEventListener("click", () => byId("io-file").click());
  byId("io-file").addEventListener("change", (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (file) upload(file);
  });
}

function panel() { return byId("io-panel"); }

function open(...children) {
  const node = clear(panel());
  node.hidden = false;
  byId("station-browser").hidden = true;
  node.append(el("div", {class: "io-head"},
    el("h2", {class: "pane-title"}, t("import_title")),
    el("button", {type: "button", class: "button small", id: "io-close", onclick: close}, t("cancel"))),
    el("div", {class: "io-body"}, children));  // el skips the parts left out (null)
  return node;
}

export function close() {
  panel().hidden = true;
  byId("station-browser").hidden = false;
  current = null;
  if (layer) { layer.remove(); layer = null; }
}

function upload(file) {
  choice = {columns: {}, kind: null, crs: null, sync: false, page: 1, only_problems: false};
  open(el("p", {class: "status", role: "status", id: "io-status"}, t("import_reading") + " " + file.name));
  retrying(() => fetch("/api/imports?name=" + encodeURIComponent(file.name), {
    method: "POST", body: file, credentials: "same-origin",
    headers: Object.assign({"Content-Type": "application/octet-stream", "Accept": "application/json"}, lang)
  }).then((response) => response.json().catch(() => ({})).then((body) => {
    if (response.ok) return body;
    const err = new Error(body.error || response.statusText);
    err.status = response.status; err.body = body;
    err.retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw err;
  }))).then((body) => {
    choice.columns = Object.assign({}, body.columns);
    show(body);
  }).catch((err) => failed(err.body || {error: t("error")}, file.name));
}

/* A request again after Retry-After while the server is busy with an analysis (503), up to
   ten times, saying so. */
function retrying(send, tries = 10) {
  return send().catch((err) => {
    if (err.status !== 503 || tries <= 1) throw err;
    const status = byId("io-status");
    if (status && err.body && err.body.error) status.textContent = err.body.error;
    return new Promise((resolve) => setTimeout(resolve, 1000 * Math.max(1, err.retryAfter || 5)))
      .then(() => retrying(send, tries - 1));
  });
}

function failed(body, name) {
  open(el("p", {class: "form-error io-error", role: "alert"}, (name ? name + "：" : "") + (body.error || t("error"))),
       problemList(body.problems || [], body.problem_count || 0));
}

function preview() {
  if (!current) return;
  const busy = byId("io-status");
  if (busy) busy.textContent = t("import_reading");
  retrying(() => api("/api/imports/" + current.upload_id + "/preview", {method: "POST", headers: lang, body: choice}))
    .then(show).catch((err) => failed(err.body || {error: err.message}));
}

/* --- the preview --- */
function show(body) {
  current = body;
  choice.crs = body.crs;
  const bad = body.invalid_rows;
  open(
    el("p", {class: "io-file"}, el("strong", {}, body.file), " · ",
       t("import_rows", {rows: body.rows, valid: body.valid, bad: bad})),
    el("p", {class: "status small", role: "status", id: "io-status"}),
    body.remembered ? el("p", {class: "muted small"}, t("import_remembered")) : null,
    mappingBlock(body), optionsBlock(body),
    body.warnings.map((w) => el("p", {class: "io-warning small"}, w)),
    body.missing.length ? el("p", {class: "form-error", role: "alert", id: "io-missing"},
      t("import_mapping") + "：" + body.missing.map(label).join("、")) : null,
    changesBlock(body), table(body), problemList(body.problems, body.problem_count),
    el("div", {class: "form-actions io-actions"},
      el("button", {type: "button", class: "button primary", id: "io-apply", onclick: apply,
                    disabled: !body.changes}, t("import_apply"))),
    body.changes ? null : el("p", {class: "muted small", id: "io-blocked"}, t("import_blocked")));
  drawPoints(body.points);
}

function label(field) {
  const f = current.fields.find((x) => x.field === field);
  return f ? f.label : field;
}

function mappingBlock(body) {
  const rows = body.headers.filter((h) => h.header.trim()).map((h) => {
    const select = el("select", {"aria-label": h.header, dataset: {header: h.header},
      onchange: (e) => { choice.columns[h.header] = e.target.value || null; choice.page = 1; preview(); }},
      el("option", {value: ""}, t("import_not_read")),
      body.fields.map((f) => el("option", {value: f.field}, f.label + (f.required ? " *" : ""))));
    select.value = h.field || "";
    return el("label", {class: "io-map-row" + (h.known ? "" : " is-unknown")},
      el("span", {class: "io-map-header"}, h.header), select);
  });
  const unknown = body.headers.some((h) => h.header.trim() && !h.known) || body.missing.length;
  return el("details", {class: "io-mapping", open: unknown ? true : null},
    el("summary", {}, t("import_mapping")),
    el("p", {class: "muted small"}, t("import_mapping_hint")),
    el("div", {class: "io-map-grid"}, rows));
}

function optionsBlock(body) {
  const kind = el("select", {id: "io-kind", onchange: (e) => { choice.kind = e.target.value || null; preview(); }},
    el("option", {value: ""}, t("import_kind_none")),
    (config.kindOrder || Object.keys(config.kinds)).filter((k) => config.kinds[k])
      .map((k) => el("option", {value: k}, config.kinds[k].label)));
  kind.value = choice.kind || "";
  const crs = el("select", {id: "io-crs", onchange: (e) => { choice.crs = e.target.value; preview(); }},
    ["wgs84", "gcj02", "bd09"].map((c) => el("option", {value: c}, t("crs_" + c))));
  crs.value = body.crs;
  const hint = body.crs_hint;
  return el("div", {class: "io-options"},
    el("label", {class: "field"}, el("span", {}, t("import_default_kind")), kind),
    el("label", {class: "field"}, el("span", {}, t("import_crs")), crs),
    el("p", {class: "muted small"}, t("import_crs_note")),
    hint ? el("div", {class: "io-hint", role: "alert", id: "io-crs-hint"},
      el("p", {}, hint.message),
      el("button", {type: "button", class: "button small", id: "io-use-crs",
                    onclick: () => { choice.crs = hint.crs; preview(); }},
        t("import_use_crs", {crs: t("crs_" + hint.crs)}))) : null,
    el("label", {class: "io-sync"},
      el("input", {type: "checkbox", id: "io-sync", checked: choice.sync ? true : null,
                   onchange: (e) => { choice.sync = e.target.checked; preview(); }}),
      el("span", {}, t("import_sync"))));
}

function changesBlock(body) {
  const c = body.changes;
  if (!c) return null;
  return el("div", {class: "io-changes", id: "io-changes"},
    el("p", {}, t("import_changes", c)),
    c.closing.length ? el("div", {class: "io-closing"},
      el("p", {}, t("import_closing", {n: c.closed})),
      el("ul", {}, c.closing.map((s) => el("li", {}, s.name + " · " + s.id)))) : null);
}

function table(body) {
  const head = el("tr", {}, el("th", {scope: "col"}, t("import_row")),
    body.headers.map((h) => el("th", {scope: "col", class: h.field ? "" : "is-unread"},
      h.header, h.field ? el("small", {}, label(h.field)) : null)));
  const rows = body.page_rows.map((r) => el("tr", {class: Object.keys(r.problems).length ? "has-problem" : ""},
    el("th", {scope: "row"}, String(r.row)),
    body.headers.map((h, i) => {
      const problem = r.problems[String(i)];
      return el("td", {class: problem ? "bad" : "", title: problem || null},
        r.cells[i] || "", problem ? el("span", {class: "io-cell-problem"}, problem) : null);
    })));
  const pager = el("div", {class: "io-pager"},
    el("label", {class: "io-only"},
      el("input", {type: "checkbox", checked: choice.only_problems ? true : null,
                   onchange: (e) => { choice.only_problems = e.target.checked; choice.page = 1; preview(); }}),
      el("span", {}, t("import_only_problems"))),
    el("button", {type: "button", class: "button small", disabled: body.page <= 1,
                  onclick: () => { choice.page = body.page - 1; preview(); }}, t("import_prev")),
    el("span", {class: "small"}, t("import_page", {page: body.page, pages: body.pages})),
    el("button", {type: "button", class: "button small", disabled: body.page >= body.pages,
                  onclick: () => { choice.page = body.page + 1; preview(); }}, t("import_next")));
  return el("div", {class: "io-table-wrap"}, pager,
    el("div", {class: "io-scroll", tabindex: "0"},
      el("table", {class: "io-table", id: "io-table"}, el("thead", {}, head), el("tbody", {}, rows))));
}

function problemList(problems, count) {
  if (!problems.length) return null;
  return el("ul", {class: "io-problems", id: "io-problems"},
    problems.slice(0, 200).map((p) => el("li", {},
      p.row ? el("strong", {}, t("import_row") + " " + p.row + (p.column ? " · " + p.column : "") + "：") : null,
      p.message)),
    count > 200 ? el("li", {class: "muted"}, t("import_more_problems", {n: count - 200})) : null);
}

function drawPoints(points) {
  if (layer) layer.remove();
  if (!points.length) { layer = null; return; }
  const renderer = L.canvas({padding: 0.3});
  layer = L.layerGroup(points.map((p) => L.circleMarker(toLatLng(p[0], p[1]),
    {renderer, radius: 5, color: "#1d4ed8", weight: 2, fillColor: "#60a5fa", fillOpacity: .85,
     interactive: false}))).addTo(host.map);
  const bounds = L.latLngBounds(points.map((p) => toLatLng(p[0], p[1])));
  host.map.fitBounds(bounds, {padding: [40, 40], maxZoom: 17});
}

/* --- apply --- */
function apply() {
  if (!current) return;
  const button = byId("io-apply");
  button.disabled = true;
  button.textContent = t("import_applying");
  const body = {columns: choice.columns, kind: choice.kind, crs: choice.crs, sync: choice.sync};
  retrying(() => api("/api/imports/" + current.upload_id + "/apply", {method: "POST", headers: lang, body}))
    .then((result) => {
      const done = t("import_applied", result);
      close();
      const note = el("p", {class: "io-done", role: "status", id: "io-done"}, done);
      byId("station-browser").prepend(note);
      setTimeout(() => note.remove(), 20000);
      host.changed();
    })
    .catch((err) => {
      button.disabled = false;
      button.textContent = t("import_apply");
      const body = err.body || {};
      panel().append(el("div", {class: "io-body"},
        el("p", {class: "form-error", role: "alert"}, body.error || err.message),
        problemList(body.problems || [], body.problem_count || 0)));
    });
}
