/* The station editor, with planner sign-in: find, edit, move (drag the marker or pick a point on
   the map), add or close stations. The page lends it its map and station markers (a "host"):

     initEditor({map, stations() -> features, marker(id) -> L.Marker, redraw(),
                 icon(kind) -> the selected-station icon, changed() -> Promise})

   Text only ever goes through textContent (el). */
import {api, clear, config, el, fmtWhen, fromLatLng, icon, t, toast} from "./common.js";

/* Whether this browser is signed in as a planner (and as whom), and whether any account can. */
export const session = {signedIn: false, enabled: false, user: null};
const sessionListeners = [];

let host = null;
let editing = null;       // a station id, "new", or null
let picking = false;      // the next map click places the station
let draftMarker = null;   // the marker of a new station
let version = null;       // the version of the station being edited, as the server gave it
let opened = Promise.resolve();  // settles once that version is known
let dirty = false;        // the planner changed the form since it was filled
let conflict = null;      // {body, retry} of a 409 shown to the planner

const form = document.getElementById("station-form");
const formError = document.getElementById("form-error");
const search = document.getElementById("station-search");
const byId = (id) => document.getElementById(id);

export function editingId() { return editing; }

export function onSession(fn) { sessionListeners.push(fn); }

/* --- sign-in --- */
function setSession(s) {
  session.signedIn = !!s.planner;
  session.enabled = !!s.enabled;
  session.user = s.planner ? s.user : null;
  byId("signed-user").textContent = s.planner ? "· " + (s.display_name || s.user) : "";
  document.body.dataset.planner = session.signedIn ? "1" : "0";
  sessionListeners.forEach((fn) => fn(session));
  if (session.signedIn) renderStationList(); else stopEditing();
}

/* Show the sign-in box in slot (or the editor, once signed in). */
export function placeSignin(slot) {
  const box = byId("signin");
  if (slot && box.parentNode !== slot) slot.appendChild(box);
  box.hidden = session.signedIn;
  byId("signin-disabled").hidden = session.enabled;
  byId("signin-form").hidden = !session.enabled;
  byId("signin-why").hidden = !session.enabled;
  byId("editor").hidden = !session.signedIn;
}

function signIn(e) {
  e.preventDefault();
  const error = byId("signin-error");
  api("/api/login", {method: "POST", body: {user: byId("user").value.trim(), password: byId("password").value}})
    .then((s) => {
      error.hidden = true;
      byId("password").value = "";
      setSession({...s, enabled: true});
    })
    .catch((err) => {
      error.textContent = signinError(err);
      error.hidden = false;
    });
}

/* Why a sign-in failed, in the page's language. */
function signinError(err) {
  if (err.status === 401) return t("wrong");
  if (err.status === 403) return t("account_disabled");
  if (err.status === 429) return t("too_many").replace("{s}", String(err.retryAfter || 1));
  return err.message;
}

function signOut() {
  api("/api/logout", {method: "POST", body: {}}).then(() => setSession({planner: false, enabled: true}));
}

/* --- the list of stations --- */
export function renderStationList() {
  const list = clear(byId("station-list"));
  const q = search.value.trim().toLowerCase();
  host.stations().filter((f) => {
    const p = f.properties;
    return !q || (p.name + " " + f.id + " " + p.address).toLowerCase().indexOf(q) >= 0;
  }).forEach((f) => {
    list.appendChild(el("li", {},
      el("button", {type: "button", dataset: {id: f.id}, "aria-current": String(editing === f.id),
                    onclick: () => editStation(f.id)},
        el("span", {class: "kind-dot kind-" + f.properties.kind}),
        el("span", {class: "station-name"}, f.properties.name))));
  });
}

/* --- the form --- */
function setCoords(lon, lat) {
  form.elements.lon.value = lon === undefined ? "" : Number(lon).toFixed(7);
  form.elements.lat.value = lat === undefined ? "" : Number(lat).toFixed(7);
  form.elements.crs.value = "wgs84";  // from the map or the registry: WGS-84
}

function fill(p, lon, lat) {
  form.elements.name.value = p.name || "";
  form.elements.kind.value = p.kind || "outdoor_rest_point";
  form.elements.capacity.value = p.capacity === null || p.capacity === undefined ? "" : p.capacity;
  form.elements.address.value = p.address || "";
  form.elements.hours.value = p.hours || "";
  form.elements.phone.value = p.phone || "";
  setCoords(lon, lat);
  form.querySelectorAll("input[name=services]").forEach((box) => {
    box.checked = (p.services || []).indexOf(box.value) >= 0;
  });
}

function formBody() {
  const cap = form.elements.capacity.value.trim();
  const lon = form.elements.lon.value.trim(), lat = form.elements.lat.value.trim();
  return {
    name: form.elements.name.value, kind: form.elements.kind.value,
    capacity: cap === "" ? null : Number(cap),
    address: form.elements.address.value, hours: form.elements.hours.value,
    phone: form.elements.phone.value,
    lon: lon === "" ? null : Number(lon), lat: lat === "" ? null : Number(lat),
    crs: form.elements.crs.value,  // pasted from Amap (GCJ-02) or Baidu (BD-09): the server converts
    services: Array.from(form.querySelectorAll("input[name=services]")).filter((b) => b.checked).map((b) => b.value)
  };
}

function openForm(title, isNew) {
  byId("station-browser").hidden = true;
  form.hidden = false;
  formError.hidden = true;
  hideConflict();
  byId("form-title").textContent = title;
  byId("close-station").hidden = isNew;
  byId("move-note").textContent = isNew ? t("picking") : t("move_hint");
}

function showError(err) {
  formError.textContent = (err.parameter ? err.parameter + ": " : "") + err.message;
  formError.hidden = false;
}

/* --- someone else changed the station after it was opened (409) --- */
function failed(err, retry) {
  if (err.status === 409 && err.body && err.body.current) showConflict(err.body, retry);
  else showError(err);
}

function showConflict(body, retry) {
  conflict = {body, retry};
  byId("conflict-text").textContent = t("conflict", {who: body.changed_by || "?",
                                                     when: fmtWhen(body.changed_at)});
  byId("conflict").hidden = false;
  document.body.dataset.conflict = "1";
}

function hideConflict() {
  conflict = null;
  byId("conflict").hidden = true;
  delete document.body.dataset.conflict;
}

/* Their version: the page reloads the stations, the form shows the station as it is now. */
function reloadTheirs() {
  const id = editing;
  hideConflict();
  clearDraft();
  host.changed().then(() => editStation(id));
}

/* Mine over theirs, knowingly: the same change again, from the version they made. */
function overwrite() {
  const retry = conflict.retry;
  version = conflict.body.version;
  hideConflict();
  retry();
}

function ifMatch() { return {"If-Match": '"' + version + '"'}; }

/* The station as the registry has it now, with its version (the list may be a moment old). */
function openCurrent(id) {
  version = null;
  dirty = false;
  opened = api("/api/stations/" + encodeURIComponent(id)).then((f) => {
    if (editing !== id) return;
    version = f.properties.version;
    if (!dirty) fill(f.properties, f.geometry.coordinates[0], f.geometry.coordinates[1]);
    document.body.dataset.version = String(version);
  }).catch(showError);
}

export function editStation(id) {
  const f = host.stations().find((s) => s.id === id);
  if (!f || !session.signedIn) return;
  clearDraft();
  editing = id;
  openForm(t("edit_station"), false);
  fill(f.properties, f.geometry.coordinates[0], f.geometry.coordinates[1]);
  openCurrent(id);
  host.redraw();
  renderStationList();
  host.map.getContainer().classList.add("editing");
  const m = host.marker(id);
  if (m) host.map.setView(m.getLatLng(), Math.max(host.map.getZoom(), 16.5));
  loadHistory(id);
  document.body.dataset.editing = id;
}

function newStation() {
  clearDraft();
  editing = "new";
  openForm(t("new_station"), true);
  fill({services: ["rest", "drinking_water", "toilet"], hours: "24/7"}, undefined, undefined);
  clear(byId("history"));
  clear(byId("station-reports"));
  host.redraw();
  host.map.getContainer().classList.add("editing");
  setPicking(true);
}

export function stopEditing() {
  clearDraft();
  setPicking(false);
  editing = null;
  form.hidden = true;
  byId("station-browser").hidden = false;
  host.map.getContainer().classList.remove("editing");
  host.redraw();
  renderStationList();
  delete document.body.dataset.editing;
}

/* --- moving a station --- */
function clearDraft() {
  if (draftMarker) { host.map.removeLayer(draftMarker); draftMarker = null; }
}

/* A new position, from dragging the marker or clicking the map (saved with the form). */
export function moveDraft(latlng) {
  const ll = fromLatLng(latlng);
  setCoords(ll[0], ll[1]);
  if (editing === "new") {
    if (!draftMarker) {
      draftMarker = window.L.marker(latlng, {icon: host.icon(form.elements.kind.value), draggable: true,
                                             zIndexOffset: 900}).addTo(host.map);
      draftMarker.on("dragend", () => moveDraft(draftMarker.getLatLng()));
    } else draftMarker.setLatLng(latlng);
  } else if (host.marker(editing)) {
    host.marker(editing).setLatLng(latlng);
  }
  byId("move-note").textContent = t("moved");
  dirty = true;
}

function setPicking(on) {
  picking = on;
  host.map.getContainer().classList.toggle("picking", on);
  byId("pick-on-map").setAttribute("aria-pressed", String(on));
  if (on) byId("move-note").textContent = t("picking");
}

/* --- history and reports of one station --- */
/* The fields an update changed (the station's own field names: id, name, kind, lon, lat, …). */
function changedFields(item) {
  if (item.action !== "update" || !item.before || !item.after) return [];
  return Object.keys(item.after).filter((k) => JSON.stringify(item.before[k]) !== JSON.stringify(item.after[k]));
}

/* Where a change came from, as the registry records it: the planner view ("planner"), an import
   ("import <file>", yizhan import), the demo build (geo.demo.DEMO_SOURCE); else as written. */
function sourceLabel(source) {
  if (!source) return t("src_unknown");
  if (source === "planner") return t("src_planner");
  if (source.startsWith("import ")) return t("src_import", {file: source.slice(7)});
  if (source.endsWith("demo build")) return t("src_demo");
  return source;
}

function loadHistory(id) {
  const history = clear(byId("history"));
  const reports = clear(byId("station-reports"));
  api("/api/stations/" + encodeURIComponent(id) + "/history").then((h) => {
    h.history.slice().reverse().forEach((item) => {
      const fields = changedFields(item).map((f) => t("field_" + f));
      history.appendChild(el("li", {},
        el("span", {class: "hist-when"}, fmtWhen(item.at)), " · ",
        el("b", {class: "hist-action"}, t("act_" + item.action)),
        fields.length ? " · " + t("hist_fields", {fields: fields.join(config.lang === "zh" ? "、" : ", ")}) : "",
        el("div", {class: "muted hist-source"}, sourceLabel(item.source) +
           (item.actor ? " · " + t("hist_by", {actor: item.actor}) : ""))));
    });
  }).catch(() => {});
  api("/api/reports?station_id=" + encodeURIComponent(id)).then((r) => {
    if (!r.reports.length) reports.appendChild(el("li", {class: "muted"}, t("none")));
    r.reports.forEach((item) => {
      const words = (item.entries || [item]).map((entry) => entry.text).filter(Boolean);
      reports.appendChild(el("li", {}, fmtWhen(item.created_at) + " · " +
        (config.reportKinds[item.kind] || item.kind) + (words.length ? " · " + words.join(" | ") : "")));
    });
  }).catch(() => {});
}

/* --- saving --- */
/* After a change: the page reloads what depends on the stations, then the form follows. */
function afterChange(message, id) {
  toast(message);
  return host.changed().then(() => { if (id) editStation(id); else stopEditing(); });
}

function save(e) {
  e.preventDefault();
  formError.hidden = true;
  hideConflict();
  if (editing !== "new") { saveEdit(); return; }
  api("/api/stations", {method: "POST", body: formBody()}).then((f) => {
    clearDraft();
    return afterChange(t("created"), f.id);
  }).catch(showError);
}

/* A change says which version it started from (If-Match); a 409 shows who changed it since. */
function saveEdit() {
  const id = editing;
  opened.then(() => api("/api/stations/" + encodeURIComponent(id),
                        {method: "PATCH", body: formBody(), headers: ifMatch()}))
    .then((f) => {
      clearDraft();
      return afterChange(t("saved"), f.id);
    }).catch((err) => failed(err, saveEdit));
}

function closeStation() {
  if (!editing || editing === "new" || !window.confirm(t("confirm_close"))) return;
  sendClose();
}

function sendClose() {
  const id = editing;
  opened.then(() => api("/api/stations/" + encodeURIComponent(id),
                        {method: "DELETE", headers: ifMatch()}))
    .then(() => afterChange(t("closed_toast"), null))
    .catch((err) => failed(err, sendClose));
}

/* --- start --- */
function buildForm() {
  const kinds = (config.kindOrder || Object.keys(config.kinds)).filter((k) => config.kinds[k]);
  kinds.forEach((k) => byId("f-kind").appendChild(el("option", {value: k}, config.kinds[k].label)));
  Object.keys(config.services).forEach((s) => {
    byId("f-services").appendChild(el("label", {class: "check"},
      el("input", {type: "checkbox", name: "services", value: s}), config.services[s]));
  });
  byId("form-back").append(icon("back"), t("back"));
}

/* Wire the sign-in box and the editor to the page's map (see the top of this file), then ask the
   server whether this browser is signed in. */
export function initEditor(pageHost) {
  host = pageHost;
  buildForm();
  search.addEventListener("input", renderStationList);
  byId("pick-on-map").addEventListener("click", () => setPicking(!picking));
  host.map.on("click", (e) => {
    if (!picking || !editing) return;
    moveDraft(e.latlng);
    setPicking(false);
  });
  byId("new-station").addEventListener("click", newStation);
  form.elements.kind.addEventListener("change", () => {
    if (draftMarker) draftMarker.setIcon(host.icon(form.elements.kind.value));
  });
  byId("form-back").addEventListener("click", stopEditing);
  byId("form-cancel").addEventListener("click", stopEditing);
  form.addEventListener("submit", save);
  form.addEventListener("input", () => { dirty = true; });
  byId("conflict-reload").addEventListener("click", reloadTheirs);
  byId("conflict-overwrite").addEventListener("click", overwrite);
  byId("close-station").addEventListener("click", closeStation);
  byId("signin-form").addEventListener("submit", signIn);
  byId("signout").addEventListener("click", signOut);
  api("/api/session").then(setSession).catch(() => {});
}
