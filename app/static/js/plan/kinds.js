/* The planner view's station kinds panel (administrators only): the deployment's kinds with their
   colours, icons, services, groups and seasons, a form that adds or changes a kind of its own
   (PUT /api/catalogue/kinds/<id>) and one for service words (PUT /api/catalogue/services/<id>).
   Everything shown is text (el); the server decides who may write (403 for others). */
import {api, clear, config, el, icon, t} from "../common.js";
import {onSession} from "../editor.js";

let catalogue = null;
let panel = null;

const byId = (id) => document.getElementById(id);
/* a refusal comes back in the page's language */
const lang = {"Accept-Language": config.lang};
const label = (item) => (config.lang === "zh" ? item.zh : item.en);

function field(text, input) { return el("label", {class: "field"}, el("span", {}, text), input); }

function checks(name, items) {
  return el("div", {class: "check-grid", id: "cat-" + name},
    items.map((item) => el("label", {class: "check"},
      el("input", {type: "checkbox", name, value: item.id}), " " + item.text)));
}

function monthSelect(id) {
  const select = el("select", {id}, el("option", {value: ""}, "—"));
  for (let m = 1; m <= 12; m++) select.appendChild(el("option", {value: String(m)}, t("cat_month").replace("{n}", m)));
  return select;
}

function kindRow(kind) {
  const season = kind.season_text ? " · " + t("cat_season_in").replace("{months}", kind.season_text) : "";
  const row = el("li", {class: "cat-kind", dataset: {kind: kind.id}},
    el("span", {class: "kind-swatch cat-swatch", style: null}, icon(kind.icon)),
    el("span", {class: "cat-name"}, label(kind)),
    el("span", {class: "muted small"}, " " + kind.id + season + " · " + t("cat_source_" + kind.source)));
  row.querySelector(".cat-swatch").style.background = kind.colour;
  if (kind.source !== "builtin") {
    row.appendChild(el("button", {type: "button", class: "button small", onclick: () => fillKind(kind)}, t("cat_edit")));
  }
  return row;
}

function renderList() {
  const list = clear(byId("cat-kinds"));
  catalogue.kinds.forEach((kind) => list.appendChild(kindRow(kind)));
  const services = clear(byId("cat-services"));
  catalogue.services.forEach((s) => {
    const id = "cat-service-" + s.id;
    if (!services.querySelector("#" + id)) {
      services.appendChild(el("label", {class: "check"},
        el("input", {type: "checkbox", name: "services", value: s.id, id}), " " + label(s)));
    }
  });
}

function fillKind(kind) {
  const form = byId("cat-kind-form");
  form.elements.id.value = kind.id;
  ["zh", "en", "short_zh", "short_en"].forEach((name) => { form.elements[name].value = kind[name] || ""; });
  form.elements.colour.value = kind.colour;
  form.elements.icon.value = kind.icon;
  form.querySelectorAll("input[name=services]").forEach((box) => { box.checked = kind.services.includes(box.value); });
  form.querySelectorAll("input[name=groups]").forEach((box) => { box.checked = kind.groups.includes(box.value); });
  const months = kind.season || [];
  byId("cat-from").value = months.length ? String(kind.season_text.split("–")[0]) : "";
  byId("cat-to").value = months.length ? String(kind.season_text.split("–").pop()) : "";
  form.elements.words.value = kind.words.join("、");
  form.elements.id.focus();
}

function words(text) { return text.split(/[、,，;；\n]+/).map((w) => w.trim()).filter(Boolean); }

function showError(node, err) {
  node.textContent = err ? (err.message || t("cat_failed")) : "";
  node.hidden = !err;
}

function saveKind(event) {
  event.preventDefault();
  const form = event.target;
  const error = byId("cat-kind-error");
  const from = byId("cat-from").value, to = byId("cat-to").value;
  const body = {
    zh: form.elements.zh.value, en: form.elements.en.value,
    short_zh: form.elements.short_zh.value, short_en: form.elements.short_en.value,
    colour: form.elements.colour.value, icon: form.elements.icon.value,
    services: Array.from(form.querySelectorAll("input[name=services]:checked")).map((b) => b.value),
    groups: Array.from(form.querySelectorAll("input[name=groups]:checked")).map((b) => b.value),
    season: from && to ? from + "-" + to : (from || to || null),
    words: words(form.elements.words.value)};
  const id = form.elements.id.value.trim();
  api("/api/catalogue/kinds/" + encodeURIComponent(id), {method: "PUT", body, headers: lang})
    .then((answer) => {
      catalogue = answer; renderList(); showError(error, null);
      byId("cat-saved").textContent = t("cat_saved").replace("{name}", body.zh);
    })
    .catch((err) => showError(error, err));
}

function saveService(event) {
  event.preventDefault();
  const form = event.target;
  const error = byId("cat-service-error");
  const id = form.elements.id.value.trim();
  const known = catalogue.services.find((s) => s.id === id && s.source === "builtin");
  const body = {words: words(form.elements.words.value)};
  if (!known) { body.zh = form.elements.zh.value; body.en = form.elements.en.value; }
  api("/api/catalogue/services/" + encodeURIComponent(id), {method: "PUT", body, headers: lang})
    .then((answer) => {
      catalogue = answer; renderList(); showError(error, null);
      byId("cat-saved").textContent = t("cat_saved").replace("{name}", body.zh || id);
    })
    .catch((err) => showError(error, err));
}

function build() {
  const groups = Object.keys(config.groups || {}).map((g) => ({id: g, text: config.groups[g].label}));
  const icons = catalogue.icons.map((name) => el("option", {value: name}, name));
  panel = el("section", {class: "catalogue-admin", id: "catalogue-admin", "aria-labelledby": "cat-title"},
    el("h2", {class: "pane-title", id: "cat-title"}, t("cat_title")),
    el("p", {class: "muted small"}, t("cat_intro")),
    el("ul", {class: "cat-list", id: "cat-kinds"}),
    el("form", {class: "cat-form", id: "cat-kind-form", novalidate: true, onsubmit: saveKind},
      el("h3", {}, t("cat_kind_form")),
      field(t("cat_id"), el("input", {name: "id", id: "cat-id", required: true, pattern: "[a-z][a-z0-9_]{1,39}", placeholder: "summer_class"})),
      field(t("cat_zh"), el("input", {name: "zh", id: "cat-zh", required: true})),
      field(t("cat_en"), el("input", {name: "en", id: "cat-en", required: true})),
      field(t("cat_short_zh"), el("input", {name: "short_zh", id: "cat-short-zh"})),
      field(t("cat_short_en"), el("input", {name: "short_en", id: "cat-short-en"})),
      field(t("cat_colour"), el("input", {type: "color", name: "colour", id: "cat-colour", value: "#db2777"})),
      field(t("cat_icon"), el("select", {name: "icon", id: "cat-icon"}, icons)),
      el("div", {class: "field"}, el("span", {}, t("cat_services")), el("div", {class: "check-grid", id: "cat-services"})),
      el("div", {class: "field"}, el("span", {}, t("cat_groups")), checks("groups", groups)),
      el("div", {class: "form-row"}, field(t("cat_from"), monthSelect("cat-from")), field(t("cat_to"), monthSelect("cat-to"))),
      field(t("cat_words"), el("input", {name: "words", id: "cat-words", placeholder: "暑期托管班、暑托班"})),
      el("p", {class: "form-error", id: "cat-kind-error", role: "alert", hidden: true}),
      el("div", {class: "form-actions"}, el("button", {type: "submit", class: "button primary", id: "cat-save"}, t("cat_save")))),
    el("form", {class: "cat-form", id: "cat-service-form", novalidate: true, onsubmit: saveService},
      el("h3", {}, t("cat_service_form")),
      field(t("cat_id"), el("input", {name: "id", id: "cat-service-id", required: true, placeholder: "oxygen"})),
      field(t("cat_zh"), el("input", {name: "zh", id: "cat-service-zh"})),
      field(t("cat_en"), el("input", {name: "en", id: "cat-service-en"})),
      field(t("cat_words"), el("input", {name: "words", id: "cat-service-words", placeholder: "高原氧吧"})),
      el("p", {class: "form-error", id: "cat-service-error", role: "alert", hidden: true}),
      el("div", {class: "form-actions"}, el("button", {type: "submit", class: "button", id: "cat-service-save"}, t("cat_save")))),
    el("p", {class: "status", id: "cat-saved", role: "status", "aria-live": "polite"}));
  byId("pane-stations").appendChild(panel);
  renderList();
}

/* Shown to administrators once signed in; hidden again on sign-out. */
export function initKinds() {
  onSession((session) => {
    if (!session.signedIn) { if (panel) panel.hidden = true; return; }
    api("/api/session").then((s) => {
      if (s.role !== "admin") { if (panel) panel.hidden = true; return null; }
      return api("/api/catalogue").then((answer) => {
        catalogue = answer;
        if (!panel) build(); else renderList();
        panel.hidden = false;
      });
    }).catch(() => {});
  });
}
