/* Siting: where new stations should go in the gaps (the existing ones stay), coverage before and
   after per group, the proposed sites on the map, the coverage curve and the downloads. */
import {clear, config, el, t, toLatLng} from "../common.js";
import {map, showAll} from "./map.js";
import {count, groupShort, hourText, pct, svg} from "./format.js";
import {runJob} from "./jobs.js";
import {GROUPS, KINDS, on, state} from "./state.js";

const L = window.L;
const form = document.getElementById("siting-form");
const sKind = document.getElementById("s-kind");
const sGroups = document.getElementById("s-groups");
const sMinutes = document.getElementById("s-minutes");
const proposalLayer = L.layerGroup().addTo(map);
let how = "add";  // "add" N stations, or reach a "target" share

/* The groups the new kind of station serves, checked as before (or the chosen group). */
function renderSitingGroups(keep) {
  const kind = sKind.value, before = {};
  sGroups.querySelectorAll("input").forEach((b) => { before[b.value] = b.checked; });
  clear(sGroups);
  GROUPS.forEach((g) => {
    const info = config.groups[g];
    if (info.kinds.indexOf(kind) < 0 || !info.network) return;
    const checked = keep && g in before ? before[g] : g === state.group;
    sGroups.appendChild(el("label", {class: "check"},
      el("input", {type: "checkbox", name: "group", value: g, checked}), info.short));
  });
  if (!sGroups.querySelector("input:checked")) {
    sGroups.querySelectorAll("input").forEach((b) => { b.checked = true; });
  }
  labelTarget();
}

function chosenGroups() {
  return Array.from(sGroups.querySelectorAll("input")).filter((b) => b.checked).map((b) => b.value);
}

/* The target is a share of the workers of the groups checked below, together: say which. */
function labelTarget() {
  const span = document.querySelector("#s-target-field > span");
  if (!span) return;
  if (!span.dataset.base) span.dataset.base = span.textContent;
  const groups = chosenGroups();
  span.textContent = span.dataset.base + (groups.length ? " · " + groups.map(groupShort).join(" + ") : "");
}

/* The form follows the chosen group, until a run's answer is on screen. */
export function syncSitingDefaults() {
  if (state.plan) return;
  const kinds = config.groups[state.group] ? config.groups[state.group].kinds : [];
  if (kinds.length) sKind.value = kinds[0];
  renderSitingGroups(false);
}

/* Forget the run on screen (the stations changed). */
export function clearPlan() {
  state.plan = null;
  proposalLayer.clearLayers();
  document.getElementById("plan-result").hidden = true;
}

function setHow(button) {
  how = button.dataset.how;
  form.querySelectorAll("#s-how [role=radio]").forEach((o) => o.setAttribute("aria-checked", String(o === button)));
  document.getElementById("s-add-field").hidden = how !== "add";
  document.getElementById("s-target-field").hidden = how !== "target";
}

/* The body of POST /api/plan: the target as typed (90 or 0.9, the server reads both), and the
   hour of the slider when one is chosen (the stations open then; HH:30 as the coverage shows). */
function request() {
  const body = {kind: sKind.value, group: chosenGroups(), curve: 10};
  if (how === "add") body.add = Number(document.getElementById("s-add").value);
  else body.target = Number(document.getElementById("s-target").value);
  const minutes = sMinutes.value.trim();
  if (minutes !== "") body.minutes = Number(minutes);
  if (state.hour !== null) body.at = hourText(state.hour);
  return body;
}

function run(e) {
  e.preventDefault();
  const error = document.getElementById("s-error");
  error.hidden = true;
  const body = request();
  if (!body.group.length) { error.textContent = t("no_group"); error.hidden = false; return; }
  const button = document.getElementById("s-run");
  button.disabled = true;
  button.textContent = t("running");
  document.body.dataset.plan = "running";
  // a siting run is a job: its stages, progress, place in the queue and a Cancel button
  runJob("plan", body, document.getElementById("s-job")).promise.then((answer) => {
    state.plan = answer;
    renderPlan(answer, body);
    document.body.dataset.plan = "done";
    const result = document.getElementById("plan-result"), panes = document.getElementById("panes");
    panes.scrollTo({top: result.offsetTop - panes.offsetTop - 8, behavior: "smooth"});
  }).catch((err) => {
    // 401: not signed in; 503 (the queue is full) and 429 太频繁 say when to try again themselves
    error.textContent = err.cancelled ? err.message : err.status === 401 ? t("signin_for_coverage")
      : (err.parameter ? err.parameter + ": " : "") + (err.message || t("error"));
    error.hidden = false;
    document.body.dataset.plan = err.cancelled ? "cancelled" : "error";
  }).then(() => { button.disabled = false; button.textContent = t("run"); });
}

function proposalIcon(rank) {
  return L.divIcon({html: el("span", {class: "prop-body"}, el("span", {class: "prop-rank"}, String(rank))),
                    className: "prop", iconSize: [34, 34], iconAnchor: [17, 17]});
}

/* Before and after, per group. */
function beforeAfter(answer) {
  const rows = el("ul", {class: "ba-list"});
  answer.groups.forEach((g) => {
    const b = answer.before[g], a = answer.after[g], total = answer.totals[g] || 0;
    const bar = el("span", {class: "ba-bar", "aria-hidden": "true"},
      el("span", {class: "ba-after"}), el("span", {class: "ba-before"}));
    bar.querySelector(".ba-before").style.width = (b * 100).toFixed(1) + "%";
    bar.querySelector(".ba-after").style.width = (a * 100).toFixed(1) + "%";
    bar.querySelector(".ba-after").style.background = config.groups[g].color;
    const gained = (a - b) * total;
    const row = el("li", {class: "ba-row", dataset: {group: g}},
      el("span", {class: "ba-name"}, el("span", {class: "gdot", "aria-hidden": "true"}), groupShort(g)),
      el("span", {class: "ba-figures"},
        el("span", {class: "ba-before-text", dataset: {figure: "before"}}, pct(b)),
        el("span", {class: "arrow", "aria-hidden": "true"}, " → "),
        el("strong", {class: "ba-after-text", dataset: {figure: "after"}}, pct(a)),
        gained > 0.05 ? el("span", {class: "ba-gain"}, t("gain", {n: count(gained)})) : null),
      bar);
    row.querySelector(".gdot").style.background = config.groups[g].color;
    rows.appendChild(row);
  });
  return rows;
}

/* English ordinals for the repeated site names ("2nd", "3rd", "11th"). */
function nth(n) {
  const tens = n % 100, s = (tens > 10 && tens < 14) ? "th" : ({1: "st", 2: "nd", 3: "rd"})[n % 10] || "th";
  return config.lang === "zh" ? String(n) : n + s;
}

/* A site's name as the list shows it. The names are made distinct where they repeat (红星路附近,
   红星路附近（2）); beside the site's rank, "（2）" would read as a rank too: it is said as "the
   second site there" instead. */
export function siteName(site) {
  if (!site.name) return t("site", {n: site.rank});
  const m = /^(.*?)(?:（(\d+)）| \((\d+)\))$/.exec(site.name);
  if (!m) return site.name;
  return t("site_again", {name: m[1], nth: nth(Number(m[2] || m[3]))});
}

/* The proposed sites: markers on the map and a list that zooms to them. */
function siteList(answer) {
  const list = el("ol", {class: "site-list"});
  const points = [];
  answer.sites.forEach((site) => {
    const ll = toLatLng(site.lon, site.lat), name = siteName(site);
    points.push(ll);
    const marker = L.marker(ll, {icon: proposalIcon(site.rank), zIndexOffset: 1000, riseOnHover: true,
                                 title: name, alt: name});
    // the name comes from OpenStreetMap: a node with text, never a string Leaflet reads as HTML
    marker.bindTooltip(() => el("span", {class: "site-tip"},
                                name + " · " + t("site_gain", {n: count(site.newly_covered)})),
                       {direction: "top", offset: [0, -14], className: "yz-tip"});
    marker.addTo(proposalLayer);
    const per = answer.groups.length < 2 ? [] : answer.groups.filter((g) => site["new_" + g] > 0.05)
      .map((g) => groupShort(g) + " " + count(site["new_" + g]));
    list.appendChild(el("li", {},
      el("button", {type: "button", class: "site-item", onclick: () => {
        map.setView(ll, Math.max(map.getZoom(), 16));
        marker.openTooltip();
      }},
        el("span", {class: "site-rank"}, String(site.rank)),
        el("span", {class: "site-body"},
          el("strong", {}, name),
          el("span", {class: "muted small"}, t("site_gain", {n: count(site.newly_covered)}) +
             (per.length ? " · " + per.join(" · ") : "")),
          el("span", {class: "coords"}, site.lat.toFixed(5) + ", " + site.lon.toFixed(5))))));
  });
  return {list, points};
}

function renderPlan(answer, asked) {
  const box = clear(document.getElementById("plan-result"));
  box.hidden = false;
  proposalLayer.clearLayers();
  box.appendChild(el("div", {class: "plan-head"},
    el("span", {class: "badge " + (answer.optimal ? "open" : "unknown")},
       answer.optimal ? t("optimal") : t("not_optimal", {p: pct(answer.gap, 1)})),
    el("span", {class: "muted small"}, t("took", {n: answer.candidates, s: answer.elapsed_s}) +
       (asked.at ? " · " + asked.at : ""))));
  if (answer.area) box.appendChild(el("p", {class: "muted small", dataset: {area: answer.area}}, t("area_scope", {org: answer.area})));
  if (answer.area && !answer.sites.length && /inside the area/.test(answer.note || "")) {
    box.appendChild(el("p", {class: "note", dataset: {note: "no_site_in_area"}}, t("no_site_in_area", {org: answer.area})));
  } else if (answer.already_met) box.appendChild(el("p", {class: "note", dataset: {note: "target_met"}}, t("target_met")));
  else if (answer.note) box.appendChild(el("p", {class: "note", dataset: {note: "none_needed"}}, t("none_needed")));
  else if (!answer.sites.length && asked.target !== undefined) box.appendChild(el("p", {class: "note"}, t("target_met")));
  else if (asked.add !== undefined && answer.sites.length < asked.add) {
    box.appendChild(el("p", {class: "note"}, t("fewer", {n: answer.sites.length})));
  }
  box.appendChild(el("h3", {class: "section"}, t("before_after")));
  box.appendChild(beforeAfter(answer));
  if (answer.sites.length) {
    box.appendChild(el("h3", {class: "section"}, t("proposed")));
    const sites = siteList(answer);
    box.appendChild(sites.list);
    showAll(sites.points);
  }
  if (answer.curve && answer.curve.length) box.appendChild(curveChart(answer));
  if (answer.downloads) {
    const link = (format, text) => el("a", {class: "button small", href: answer.downloads[format], download: "",
                                           dataset: {format}}, text);
    box.appendChild(el("h3", {class: "section"}, t("downloads")));
    box.appendChild(el("div", {class: "downloads"},
      link("geojson", "GeoJSON"), link("csv", "CSV"), link("xlsx", "Excel (XLSX)")));
  }
  document.body.dataset.proposed = String(answer.sites.length);
}

/* The share covered (the groups together) with 0, 1, 2... new stations. */
function curveChart(answer) {
  let total = 0, covered = 0;
  answer.groups.forEach((g) => {
    total += answer.totals[g] || 0;
    covered += (answer.before[g] || 0) * (answer.totals[g] || 0);
  });
  const points = [{n: 0, share: total ? covered / total : 0}]
    .concat(answer.curve.map((c) => ({n: c.new_stations, share: c.share})));
  const width = 340, height = 120, left = 34, right = 8, top = 10, bottom = 22;
  const lo = Math.max(0, Math.floor(Math.min(...points.map((p) => p.share)) * 20) / 20 - 0.05);
  const hi = 1;
  const xs = (n) => left + n / (points.length - 1 || 1) * (width - left - right);
  const ys = (s) => top + (hi - s) / (hi - lo || 1) * (height - top - bottom);
  const root = svg("svg", {viewBox: "0 0 " + width + " " + height, class: "curve", role: "img",
                           "aria-label": t("curve")});
  [lo, (lo + hi) / 2, hi].forEach((s) => {
    root.appendChild(svg("line", {x1: left, x2: width - right, y1: ys(s), y2: ys(s), stroke: "#eaecf0"}));
    const label = svg("text", {x: left - 4, y: ys(s) + 3, "text-anchor": "end", class: "axis"});
    label.textContent = Math.round(s * 100) + "%";
    root.appendChild(label);
  });
  const chosen = answer.sites.length;
  root.appendChild(svg("polyline", {points: points.map((p) => xs(p.n) + "," + ys(p.share)).join(" "),
                                    fill: "none", stroke: "#c11574", "stroke-width": 2}));
  points.forEach((p) => {
    const dot = svg("circle", {cx: xs(p.n), cy: ys(p.share), r: p.n === chosen ? 4.5 : 2.8,
                               fill: p.n === chosen ? "#c11574" : "#fff", stroke: "#c11574", "stroke-width": 1.6});
    const title = svg("title", {});
    title.textContent = p.n + " · " + pct(p.share);
    dot.appendChild(title);
    root.appendChild(dot);
    const tick = svg("text", {x: xs(p.n), y: height - 6, "text-anchor": "middle", class: "axis"});
    tick.textContent = String(p.n);
    root.appendChild(tick);
  });
  return el("figure", {class: "curve-box"}, el("figcaption", {class: "section"}, t("curve")), root);
}

export function initSiting() {
  KINDS.forEach((k) => sKind.appendChild(el("option", {value: k}, config.kindsLong[k])));
  sKind.addEventListener("change", () => renderSitingGroups(false));
  form.querySelectorAll("#s-how [role=radio]").forEach((b) => b.addEventListener("click", () => setHow(b)));
  sMinutes.value = state.minutes === null ? "" : String(state.minutes);
  on("minutes", () => { sMinutes.value = state.minutes === null ? "" : String(state.minutes); });
  sGroups.addEventListener("change", labelTarget);
  form.addEventListener("submit", run);
}
