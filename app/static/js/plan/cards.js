/* The coverage figures: one card per worker group (share, a 24-hour curve, the worst hour on
   shift) and the hour bar under the map (the chosen group's share hour by hour). */
import {clear, config, el, icon, t} from "../common.js";
import {setGroup} from "./coverage.js";
import {count, groupShort, hourText, modeText, pct, shareColor, svg} from "./format.js";
import {drawArea} from "./map.js";
import {GROUPS, state} from "./state.js";

/* A group's share, covered and total workers at the hour shown (exact once that answer came). */
export function figures(g) {
  const base = state.data && state.data.groups[g];
  if (!base) return null;
  if (state.hour === null) return {share: base.share, covered: base.covered, total: base.total};
  const timed = state.timed[state.hour];
  if (timed && timed.groups[g]) {
    return {share: timed.groups[g].share, covered: timed.groups[g].covered, total: base.total};
  }
  const share = base.by_hour[state.hour];
  return {share, covered: share * base.total, total: base.total};
}

function lowestOnShift(entry) {
  let best = null;
  (entry.shift_hours || []).forEach((h) => {
    if (best === null || entry.by_hour[h] < entry.by_hour[best] - 1e-9) best = h;
  });
  return best;
}

/* Contiguous working hours as [start, end) runs. */
function shiftRuns(hours) {
  const runs = [];
  hours.slice().sort((a, b) => a - b).forEach((h) => {
    const last = runs[runs.length - 1];
    if (last && last[1] === h) last[1] = h + 1; else runs.push([h, h + 1]);
  });
  return runs;
}

/* A 24-hour share curve: shift hours shaded, the lowest hour on shift marked. */
function sparkline(g, entry, width, height) {
  const pad = 3, w = width - 2 * pad, h = height - 2 * pad, step = w / 24;
  const color = config.groups[g].color;
  const root = svg("svg", {viewBox: "0 0 " + width + " " + height, width, height,
                           class: "spark", role: "img", "aria-label": t("hour")});
  shiftRuns(entry.shift_hours || []).forEach((run) => {
    root.appendChild(svg("rect", {x: pad + run[0] * step, y: pad, width: (run[1] - run[0]) * step,
                                  height: h, fill: color, "fill-opacity": 0.09}));
  });
  root.appendChild(svg("line", {x1: pad, x2: pad + w, y1: pad, y2: pad, stroke: "#d0d5dd",
                                "stroke-dasharray": "2 2", "stroke-width": 1}));
  const points = entry.by_hour.map((s, hr) =>
    (pad + (hr + 0.5) * step).toFixed(1) + "," + (pad + h - s * h).toFixed(1));
  root.appendChild(svg("polyline", {points: points.join(" "), fill: "none", stroke: color,
                                    "stroke-width": 1.8, "stroke-linejoin": "round"}));
  const low = lowestOnShift(entry);
  if (low !== null && entry.by_hour[low] < 0.999) {
    root.appendChild(svg("circle", {cx: pad + (low + 0.5) * step, cy: pad + h - entry.by_hour[low] * h,
                                    r: 2.6, fill: "#d92d20", stroke: "#fff", "stroke-width": 1}));
  }
  if (state.hour !== null) {
    const x = pad + (state.hour + 0.5) * step;
    root.appendChild(svg("line", {x1: x, x2: x, y1: pad, y2: pad + h, stroke: "#101828", "stroke-width": 1.2}));
  }
  return root;
}

/* Most districts a card lists (the worst); the rest are counted. */
const DISTRICTS_SHOWN = 5;

/* The group's share per district of the uploaded boundaries, worst first, in one compact line
   (none uploaded: nothing). */
function districtLine(entry) {
  const by = entry.by_district;
  const names = by ? Object.keys(by).filter((name) => by[name].total > 0) : [];
  if (!names.length) return null;
  names.sort((a, b) => by[a].share - by[b].share || a.localeCompare(b));
  const line = el("span", {class: "gcard-line gcard-districts"}, t("by_district") + " ");
  names.slice(0, DISTRICTS_SHOWN).forEach((name, i) => {
    const share = el("strong", {}, pct(by[name].share));
    share.style.color = shareColor(by[name].share);
    line.appendChild(el("span", {class: "gcard-district", dataset: {district: name}},
                        (i ? " · " : "") + name + " ", share));
  });
  if (names.length > DISTRICTS_SHOWN) {
    line.appendChild(el("span", {class: "muted"}, " " + t("more_districts", {n: names.length - DISTRICTS_SHOWN})));
  }
  return line;
}

function groupCard(g, entry) {
  const info = config.groups[g], f = figures(g), low = lowestOnShift(entry);
  const card = el("button", {type: "button", class: "gcard", dataset: {group: g},
                             "aria-pressed": String(g === state.group), onclick: () => setGroup(g)},
    el("span", {class: "gcard-head"},
      el("span", {class: "gdot", "aria-hidden": "true"}),
      el("span", {class: "gcard-name"}, info.label),
      el("span", {class: "gcard-meta"}, t("by", {mode: modeText(info.mode), m: t("min", {n: entry.budget})}))),
    el("span", {class: "gcard-body"},
      el("span", {class: "gcard-figure"},
        el("strong", {class: "gcard-share", dataset: {figure: "share"}}, pct(f.share)),
        el("span", {class: "gcard-label"},
           state.hour === null ? t("share_covered") : t("share_covered") + " · " + hourText(state.hour))),
      sparkline(g, entry, 150, 44)),
    el("span", {class: "gcard-line", dataset: {figure: "covered"}},
       t("covered_of", {c: count(f.covered), t: count(f.total)})),
    el("span", {class: "meter", "aria-hidden": "true"}, el("span", {class: "meter-fill"})),
    low !== null && entry.by_hour[low] < entry.share - 0.0005
      ? el("span", {class: "gcard-line warn"}, icon("clock"),
           t("lowest", {h: hourText(low), s: pct(entry.by_hour[low])}))
      : null,
    entry.off_network > 0.5
      ? el("span", {class: "gcard-line muted"}, t("workers_off_network", {n: count(entry.off_network)}))
      : null,
    districtLine(entry));
  card.querySelector(".gdot").style.background = info.color;
  const fill = card.querySelector(".meter-fill");
  fill.style.width = (Math.max(0, Math.min(1, f.share)) * 100).toFixed(1) + "%";
  fill.style.background = shareColor(f.share);
  return card;
}

export function renderCards() {
  const box = clear(document.getElementById("group-cards"));
  const data = state.data;
  if (!data) return;
  drawArea(data.area || null);
  if (data.area) box.appendChild(el("p", {class: "muted small", dataset: {area: data.area}}, t("area_scope", {org: data.area})));
  GROUPS.forEach((g) => { if (data.groups[g]) box.appendChild(groupCard(g, data.groups[g])); });
  Object.keys(data.skipped || {}).forEach((g) => {
    box.appendChild(el("p", {class: "muted small"}, groupShort(g) + ": " + data.skipped[g]));
  });
}

export function renderHourbar() {
  const entry = state.data && state.data.groups[state.group];
  const chart = clear(document.getElementById("hour-chart"));
  document.getElementById("any-time").setAttribute("aria-pressed", String(state.hour === null));
  document.getElementById("hourbar").classList.toggle("is-any", state.hour === null);
  if (state.hour !== null) document.getElementById("hour").value = String(state.hour);
  const value = document.getElementById("hour-value");
  if (!entry) { value.textContent = ""; return; }
  // bar centres sit where the slider's thumb is for that hour (the chart is inset like the thumb)
  const width = 480, height = 46, step = width / 23, bw = step * 0.72;
  const color = config.groups[state.group].color;
  const root = svg("svg", {viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none",
                           class: "hour-bars", role: "img", "aria-label": t("hour")});
  entry.by_hour.forEach((s, hr) => {
    const on = (entry.shift_hours || []).indexOf(hr) >= 0;
    const bh = Math.max(1.5, s * (height - 4));
    const bar = svg("rect", {x: hr * step - bw / 2, y: height - bh, width: bw, height: bh, rx: 2,
                             fill: state.hour === hr ? "#101828" : color,
                             "fill-opacity": state.hour === hr ? 1 : on ? 0.85 : 0.28});
    const title = svg("title", {});
    title.textContent = hourText(hr) + " · " + pct(s);
    bar.appendChild(title);
    root.appendChild(bar);
  });
  chart.appendChild(root);
  const f = figures(state.group);
  value.textContent = (state.hour === null ? t("any_time") : hourText(state.hour)) + " · " +
    groupShort(state.group) + " " + pct(f ? f.share : null);
}
