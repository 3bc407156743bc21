/* The planner view's numbers in words, its colour ramp and an SVG node helper. */
import {config, t} from "../common.js";

export function pct(share, digits) {
  if (share === null || share === undefined || isNaN(share)) return "–";
  return (share * 100).toFixed(digits === undefined ? 1 : digits) + "%";
}

export function count(n) {
  return Math.round(n).toLocaleString(config.lang === "zh" ? "zh-CN" : "en-US");
}

export function workers(n) { return t("workers", {n: count(n)}); }

export function minutesText(m) {
  if (m === null || m === undefined) return "–";
  return t("min", {n: m < 10 ? (Math.round(m * 10) / 10) : Math.round(m)});
}

export function hourText(h) { return (h < 10 ? "0" : "") + h + ":30"; }

export function groupShort(g) { return config.groups[g] ? config.groups[g].short : g; }

export function modeText(mode) { return t("mode_" + mode + "_long"); }

/* red (no one covered) - orange - yellow - teal (everyone covered); never a muddy olive */
const STOPS = [[0, [217, 45, 32]], [0.45, [247, 144, 9]], [0.75, [250, 197, 21]], [1, [14, 147, 132]]];

export function shareColor(s) {
  s = Math.max(0, Math.min(1, s));
  for (let i = 1; i < STOPS.length; i++) {
    if (s <= STOPS[i][0]) {
      const a = STOPS[i - 1], b = STOPS[i], f = (s - a[0]) / (b[0] - a[0]);
      const c = a[1].map((v, k) => Math.round(v + (b[1][k] - v) * f));
      return "rgb(" + c.join(",") + ")";
    }
  }
  return "rgb(14,147,132)";
}

/* svg("rect", {x: 1, ...}): an SVG element with attributes (charts are built node by node). */
export function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, String(attrs[k])));
  return node;
}
