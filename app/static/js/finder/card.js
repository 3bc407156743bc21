/* One station's card: kind, open or not, trip, address, hours, phone, services, navigation
   links to the phone's map apps, and buttons to report a problem or share the station. */
import {clear, config, el, fmtDistance, fmtDuration, fmtHours, icon, t} from "../common.js";
import {drawRoute, map} from "./map.js";
import {shareQr} from "./qr.js";
import {openReport} from "./report.js";
import {cardPane, showCardPane, showList} from "./sheet.js";
import {resultById, state} from "./state.js";

export function badge(open) {
  if (open === true) return el("span", {class: "badge open"}, t("open"));
  if (open === false) return el("span", {class: "badge closed"}, t("closed"));
  return el("span", {class: "badge unknown"}, t("unknown"));
}

/* When the station closes (if open) or opens (if closed): "22:00 关门", "明天 08:00 开门",
   "周一 09:00 开门"; "" when its hours are unknown or round the clock. */
export function changeText(r) {
  if (!r.changes_at || r.open === null || r.open === undefined) return "";
  const [date, clock] = r.changes_at.split("T");
  const time = clock.slice(0, 5);
  const offset = clock.slice(5) || "+08:00";
  const sign = offset[0] === "-" ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(Date.now() + minutes * 60000);  // now on the station's clock
  const today = local.toISOString().slice(0, 10);
  const tomorrow = new Date(local.getTime() + 86400000).toISOString().slice(0, 10);
  let when = time;
  if (date === tomorrow) when = t("day_tomorrow") + " " + time;
  else if (date !== today) {
    const day = new Date(date + "T12:00:00Z");
    when = new Intl.DateTimeFormat(config.lang === "zh" ? "zh-CN" : "en-GB",
                                   {weekday: "short", timeZone: "UTC"}).format(day) + " " + time;
  }
  return t(r.open ? "closes_at" : "opens_at", {t: when});
}

/* Service chips, the most asked-for first; limit: how many before "+n". */
export function serviceChips(services, limit) {
  const list = el("ul", {class: limit ? "chips small" : "chips"});
  const order = config.quickServices;
  const rank = (s) => (order.indexOf(s) < 0 ? 99 : order.indexOf(s));
  const sorted = services.slice().sort((a, b) => rank(a) - rank(b));
  const shown = limit ? sorted.slice(0, limit) : sorted;
  shown.forEach((s) => list.appendChild(el("li", {class: "chip"}, config.services[s] || s)));
  if (limit && sorted.length > limit) list.appendChild(el("li", {class: "chip more"}, "+" + (sorted.length - limit)));
  return list;
}

/* What is known of a station: its properties, and the trip when it is one of the results. */
function stationInfo(id) {
  const f = state.features[id], r = resultById(id), info = {};
  if (f) {
    Object.assign(info, f.properties);
    info.lon = f.geometry.coordinates[0]; info.lat = f.geometry.coordinates[1];
  }
  if (r) Object.keys(r).forEach((k) => { if (k !== "route") info[k] = r[k]; });
  info.id = id;
  return info;
}

function fact(iconName, label, value) {
  return el("li", {class: "fact"}, icon(iconName),
            el("span", {class: "fact-text"}, el("span", {class: "fact-label"}, label), value));
}

function facts(s) {
  const list = el("ul", {class: "facts-list"});
  if (s.address) list.appendChild(fact("pin", t("address"), s.address));
  list.appendChild(fact("clock", t("hours"), fmtHours(s.hours)));
  if (s.phone) list.appendChild(fact("phone", t("phone"), el("a", {href: "tel:" + s.phone}, s.phone)));
  if (s.capacity) list.appendChild(fact("people", t("capacity"), t("people", {n: s.capacity})));
  return list;
}

function navLinks(links) {
  /* Amap and Baidu first: their web links work inside WeChat and on iPhones; Apple Maps on an
     iPhone; geo: (Android map apps) last. */
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  const web = {rel: "noopener noreferrer", target: "_blank"};
  return el("div", {class: "nav-links"},
    el("a", {class: "button nav", href: links.amap, ...web}, icon("nav"), t("nav_amap")),
    el("a", {class: "button nav", href: links.baidu, ...web}, t("nav_baidu")),
    ios ? el("a", {class: "button nav", href: links.apple, ...web}, t("nav_apple"))
        : el("a", {class: "button nav", href: links.geo}, t("nav_geo")));
}

function back() {
  showList();
  state.selected = state.results.length ? state.selected : null;
  drawRoute(false);
}

export function showCard(id) {
  const s = stationInfo(id);
  if (!s.name) return;
  const card = clear(cardPane());
  card.appendChild(el("button", {type: "button", class: "back", onclick: back}, icon("back"), t("back")));
  card.appendChild(el("div", {class: "card-head"},
    el("span", {class: "result-icon big kind-" + s.kind}, icon(s.kind)),
    el("div", {},
      el("h2", {class: "card-name"}, s.name),
      el("p", {class: "result-meta"}, el("span", {class: "kind-label"}, config.kinds[s.kind].label),
         badge(s.open)))));
  if (s.distance_m !== undefined) {
    card.appendChild(el("p", {class: "card-trip"}, icon(state.mode),
                        el("strong", {}, fmtDuration(s.duration_s)), " · " + fmtDistance(s.distance_m)));
  }
  // the way there first: what a rider wants before anything else, above the fold
  card.appendChild(el("h3", {class: "section visually-hidden"}, t("navigate")));
  card.appendChild(navLinks(s.links || {}));
  card.appendChild(facts(s));
  if (s.services && s.services.length) card.appendChild(serviceChips(s.services, 0));
  /* Words the station's list wrote that name no known service: shown as written. */
  if (s.other_services && s.other_services.length) {
    const kept = el("ul", {class: "chips other"});
    s.other_services.forEach((w) => kept.appendChild(el("li", {class: "chip"}, w)));
    card.appendChild(kept);
  }
  card.appendChild(el("div", {class: "card-actions"},
    el("button", {type: "button", class: "button subtle", id: "report-open", onclick: () => openReport(s)},
       icon("flag"), t("report")),
    el("a", {class: "button subtle", href: "/s/" + encodeURIComponent(s.id) + "?lang=" + config.lang},
       icon("share"), t("share"))));
  if (s.notes && s.notes.indexOf("演示数据") >= 0) card.appendChild(el("p", {class: "note"}, s.notes));
  const qr = shareQr(s.id);
  if (qr) card.appendChild(qr);
  showCardPane();
  if (!resultById(id)) {
    const m = state.markers[id];
    if (m) map.panTo(m.getLatLng());
  }
}
