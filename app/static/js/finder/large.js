/* 适老化 mode: large text (about 1.5 times), high contrast, larger tap targets and a simpler
   list that starts with the nearest open station, its walking time and one big button to
   navigate there. A toggle in the top bar; the phone remembers the choice (localStorage). */
import {el, fmtDistance, fmtDuration, icon, t} from "../common.js";
import {select} from "./results.js";
import {state} from "./state.js";

const KEY = "yizhan.large";
let toggle = null, pick = null;

function remembered() {
  try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
}

function remember(on) {
  try { window.localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
}

export function isLarge() { return document.body.classList.contains("large"); }

function apply(on) {
  document.body.classList.toggle("large", on);
  toggle.setAttribute("aria-pressed", String(on));
  renderPick();
}

/* The nearest open station first: name, time on foot (or by the mode chosen), one big button. */
function renderPick() {
  if (!pick) return;
  const r = isLarge() ? state.results.find((x) => x.open !== false) : null;
  pick.hidden = !r;
  pick.replaceChildren();
  if (!r) return;
  const time = fmtDuration(r.duration_s);
  const link = r.links && (r.links.amap || r.links.geo);
  pick.append(
    el("p", {class: "easy-label"}, t("nearest_open")),
    el("button", {type: "button", class: "easy-name", onclick: () => select(r.id, false)}, r.name),
    el("p", {class: "easy-trip"}, icon(state.mode),
       el("strong", {}, state.mode === "walk" ? t("walk_time", {t: time}) : t("trip_time", {t: time})),
       " · " + fmtDistance(r.distance_m)),
    link ? el("a", {class: "button primary easy-go", href: link, rel: "noopener noreferrer",
                    target: "_blank"}, icon("nav"), t("go_there")) : null);
}

export function initLarge() {
  toggle = el("button", {type: "button", class: "large-toggle", id: "large-toggle",
                         "aria-pressed": "false", title: t("large_mode_label")},
              el("span", {class: "large-glyph", "aria-hidden": "true"}, "A"), t("large_mode"));
  toggle.addEventListener("click", () => { const on = !isLarge(); remember(on); apply(on); });
  const nav = document.querySelector(".topnav");
  nav.insertBefore(toggle, nav.querySelector(".lang-switch"));
  const results = document.getElementById("results");
  pick = el("section", {class: "easy-pick", id: "easy-pick", "aria-label": t("nearest_open"), hidden: true});
  results.parentNode.insertBefore(pick, results);
  new MutationObserver(renderPick).observe(results, {childList: true});
  apply(remembered());
}
