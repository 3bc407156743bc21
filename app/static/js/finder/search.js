/* The search box: stations, streets and venues by name, pinyin or pinyin initials
   (/api/search, an index built with the networks, no service outside). A result moves the map
   there and sets the worker's position there; "no result" says so. */
import {api, clear, config, el, icon, t} from "../common.js";

const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const panel = document.getElementById("search-panel");
const list = document.getElementById("search-results");
const status = document.getElementById("search-status");
const DELAY = 250;  // ms after the last key before asking
let seq = 0, timer = null;

export function searchPanelOpen() { return !panel.hidden; }

export function closeSearch() {
  panel.hidden = true;
  input.setAttribute("aria-expanded", "false");
}

function open() {
  panel.hidden = false;
  input.setAttribute("aria-expanded", "true");
}

function what(r) {
  if (r.type === "station") return config.kinds[r.kind] ? config.kinds[r.kind].label : r.kind;
  return t(r.type === "street" ? "search_street" : "search_venue");
}

function item(r, onPick) {
  const detail = [what(r), r.detail].filter(Boolean).join(" · ");
  return el("li", {},
    el("button", {type: "button", class: "search-result", dataset: {type: r.type},
                  onclick: () => { closeSearch(); input.blur(); onPick(r); }},
      el("span", {class: "result-icon small" + (r.type === "station" ? " kind-" + r.kind : " place")},
         icon(r.type === "station" ? r.kind : "pin")),
      el("span", {class: "search-text"}, el("span", {class: "search-name"}, r.name),
         el("span", {class: "search-detail"}, detail))));
}

function run(onPick) {
  clearTimeout(timer);
  const q = input.value.trim();
  const mine = ++seq;
  if (!q) { closeSearch(); return; }
  open();
  status.textContent = t("searching");
  api("/api/search?" + new URLSearchParams({q, limit: "8"}).toString()).then((answer) => {
    if (mine !== seq) return;
    clear(list);
    answer.results.forEach((r) => list.appendChild(item(r, onPick)));
    status.textContent = answer.results.length ? "" : t("search_none", {q});
    status.hidden = answer.results.length > 0;
    document.body.dataset.searched = String(answer.results.length);
  }).catch((err) => {
    if (mine !== seq) return;
    clear(list);
    status.hidden = false;
    status.textContent = err.message || t("error");
    document.body.dataset.searched = "0";
  });
  status.hidden = false;
}

/* onPick(result) when a result is chosen. */
export function initSearch(onPick) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(onPick), DELAY);
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); run(onPick); });
  input.addEventListener("keydown", (e) => { if (e.key === "Escape") closeSearch(); });
  input.addEventListener("focus", () => { if (input.value.trim() && list.children.length) open(); });
}
