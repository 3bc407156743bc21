/* yizhan: the page's strings (from app/i18n/<lang>.json, through the config) and the formats of
   distances, durations, opening hours and times that go with them. */
import {config} from "./config.js";

const strings = config.strings || {};

/* t("min", {n: 5}) -> "5 分钟": the string for key, with {name} placeholders filled in. */
export function t(key, vars) {
  let s = strings[key] || key;
  if (vars) {
    Object.keys(vars).forEach((k) => { s = s.split("{" + k + "}").join(String(vars[k])); });
  }
  return s;
}

export function fmtDistance(m) {
  if (m < 1000) return t("m", {n: Math.max(10, Math.round(m / 10) * 10)});
  return t("km", {n: (m / 1000).toFixed(m < 10000 ? 1 : 0)});
}

export function fmtDuration(s) { return t("min", {n: Math.max(1, Math.round(s / 60))}); }

/* OSM day names in Chinese (the same table as app/pages.py format_hours). */
const DAYS_ZH = {Mo: "周一", Tu: "周二", We: "周三", Th: "周四", Fr: "周五", Sa: "周六", Su: "周日",
                 PH: "节假日"};

/* OSM opening_hours made readable: Chinese day names in Chinese, "24/7" in words. */
export function fmtHours(hours) {
  if (!hours) return t("hours_unknown");
  if (hours === "24/7") return t("hours_always");
  if (config.lang !== "zh") return hours.replace(/; /g, " · ");
  return hours
    .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su)-(Mo|Tu|We|Th|Fr|Sa|Su)\b/g,
             (_, a, b) => DAYS_ZH[a] + "至" + DAYS_ZH[b])
    .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b/g, (d) => DAYS_ZH[d])
    .replace(/\boff\b/g, "休息").replace(/,/g, "、").replace(/; /g, "；");
}

/* The registry keeps UTC; a time without an offset is UTC. Shown in the browser's zone as
   "YYYY-MM-DD HH:MM". */
export function fmtWhen(iso) {
  if (!iso) return "";
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
  if (isNaN(d.getTime())) return iso.slice(0, 16).replace("T", " ");
  const two = (n) => (n < 10 ? "0" : "") + n;
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
    two(d.getHours()) + ":" + two(d.getMinutes());
}
