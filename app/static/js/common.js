/* yizhan: helpers shared by the pages, and one place to import the others from. No data is ever
   inserted as HTML: text goes through textContent (el()), and the only markup strings are the
   constant icons below. */
import {config} from "./config.js";
import {t} from "./i18n.js";
import {drawBasemap} from "./basemap.js";

export {config} from "./config.js";
export {t, fmtDistance, fmtDuration, fmtHours, fmtWhen} from "./i18n.js";
export {wgs2gcj, gcj2wgs, toLatLng, fromLatLng} from "./coords.js";

/* el("div", {class: "x", text: "y", onclick: fn, "aria-label": "z"}, child, "text", ...) */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (value === null || value === undefined || value === false) return;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.keys(value).forEach((d) => { node.dataset[d] = value[d]; });
    else node.setAttribute(key, value === true ? "" : String(value));
  });
  children.forEach((child) => append(node, child));
  return node;
}

function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { child.forEach((c) => append(node, c)); return; }
  node.appendChild(typeof child === "string" || typeof child === "number"
    ? document.createTextNode(String(child)) : child);
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

/* Constant icon markup (never data). */
const ICONS = {
  driver_home: '<path d="M2.5 7h10v8.5h-10zM12.5 10h4.2l2.8 3v2.5h-7"/><circle cx="6.5" cy="17" r="1.8"/><circle cx="16" cy="17" r="1.8"/>',
  sanitation_station: '<path d="M16.5 3 12 10.5"/><path d="M7.5 10.5h8.5l2 9H5.5z"/><path d="M9.5 15v4.5M12 15v4.5M14.5 15v4.5"/>',
  outdoor_rest_point: '<path d="M4.5 10h11v3.5a5 5 0 0 1-5 5h-1a5 5 0 0 1-5-5z"/><path d="M15.5 11h1.3a2.5 2.5 0 0 1 0 5h-1.5"/><path d="M8 3.5c-1 1 1 2 0 3.2M11.5 3.5c-1 1 1 2 0 3.2"/>',
  child: '<circle cx="12" cy="5.5" r="2.5"/><path d="M7 11.5l5-2.5 5 2.5M12 9v6.5M9 21l3-5.5 3 5.5"/>',
  heart: '<path d="M12 20s-7.5-4.6-7.5-10a4.2 4.2 0 0 1 7.5-2.6A4.2 4.2 0 0 1 19.5 10c0 5.4-7.5 10-7.5 10z"/>',
  oxygen: '<circle cx="9" cy="13" r="5.5"/><path d="M15.5 9.5h3.5v3.5h-3.5M15.5 16.5h3.5"/>',
  home: '<path d="M4 11.5 12 4.5l8 7M6.5 10v9.5h11V10M10 19.5v-5h4v5"/>',
  cup: '<path d="M5.5 9h11v4.5a5.5 5.5 0 0 1-11 0zM16.5 10.5h1.5a2.5 2.5 0 0 1 0 5h-2M8.5 3.5v2.5M12 3.5v2.5"/>',
  pin: '<path d="M12 21s-6.5-5.6-6.5-11a6.5 6.5 0 0 1 13 0c0 5.4-6.5 11-6.5 11z"/><circle cx="12" cy="10" r="2.3"/>',
  clock: '<circle cx="12" cy="12" r="8.5"/><path d="M12 7.5V12l3 2"/>',
  phone: '<path d="M6.5 3.5h3l1.5 4-2 1.3a10 10 0 0 0 6.2 6.2l1.3-2 4 1.5v3a2 2 0 0 1-2 2A16.5 16.5 0 0 1 4.5 5.5a2 2 0 0 1 2-2z"/>',
  people: '<circle cx="9" cy="8" r="3"/><path d="M3.5 19a5.5 5.5 0 0 1 11 0"/><circle cx="17" cy="9" r="2.3"/><path d="M15.5 14.2A4.5 4.5 0 0 1 21 18.5"/>',
  back: '<path d="M14.5 5.5 8 12l6.5 6.5"/>',
  nav: '<path d="M4 11 20 4l-7 16-2-7z"/>',
  flag: '<path d="M5.5 21V4M5.5 4.5h11l-2 4 2 4h-11"/>',
  share: '<circle cx="6.5" cy="12" r="2.5"/><circle cx="17.5" cy="6" r="2.5"/><circle cx="17.5" cy="18" r="2.5"/><path d="m8.7 10.8 6.6-3.6M8.7 13.2l6.6 3.6"/>',
  walk: '<circle cx="13" cy="4.5" r="1.8"/><path d="M10 21l2.2-6.5-2.7-2.8.9-4.2 3.6 2.9 3 .9M9.9 7.5 7 9.5l-.9 3.5M12.2 14.5l2.3 6.5"/>',
  ebike: '<circle cx="5.5" cy="16.5" r="3.3"/><circle cx="18.5" cy="16.5" r="3.3"/><path d="M5.5 16.5 9 9h6l3.5 7.5M9 9 7.8 6.5H6M15 9l-3.5 7.5H5.5M14 5.5h2.5l-1.5 3.5"/>',
  drive: '<path d="M4.5 16.5v-4l2-5.5h11l2 5.5v4M4.5 12.5h15"/><path d="M4.5 16.5h15v2h-3v-2M7.5 16.5v2h-3v-2"/><circle cx="8" cy="14" r=".6"/><circle cx="16" cy="14" r=".6"/>'
};

/* An icon by name, or a station kind's (config.kinds[kind].icon: a deployment's own kinds name
   one of ICONS). */
export function icon(name, cls) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon" + (cls ? " " + cls : ""));
  const own = (key) => Object.prototype.hasOwnProperty.call(ICONS, key);
  const kind = config.kinds && Object.prototype.hasOwnProperty.call(config.kinds, name) ? config.kinds[name] : null;
  if (!own(name)) name = kind && own(kind.icon) ? kind.icon : "";
  svg.innerHTML = ICONS[name] || "";  // constant markup from ICONS only
  return svg;
}

/* A server of several regions (config.region, the one this page shows): what belongs to a region
   is asked for it (the `region` parameter); a station by id, sign-in and the rest are not. */
const REGIONAL_GET = /^\/api\/(stations|coverage|basemap|networks(\/[^/?]+\/lines)?|search|inputs)(\?|$)/;
const REGIONAL_POST = /^\/api\/(plan|jobs\/coverage|jobs\/plan|inputs\/(demand|districts)(\/\d+\/restore)?)$/;

/* fetch JSON; rejects with an Error carrying {status, parameter, body, retryAfter} on a non-2xx
   answer. options: {method, body, headers}. */
export function api(path, options = {}) {
  const init = {method: options.method || "GET",
                headers: Object.assign({"Accept": "application/json"}, options.headers || {}),
                credentials: "same-origin"};
  let body = options.body;
  if (config.region && init.method === "GET" && REGIONAL_GET.test(path)) {
    path += (path.includes("?") ? "&" : "?") + "region=" + encodeURIComponent(config.region);
  } else if (config.region && init.method === "POST" && REGIONAL_POST.test(path) && body) {
    body = Object.assign({region: config.region}, body);
  }
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init).then((response) =>
    response.json().catch(() => ({})).then((body) => {
      if (!response.ok) {
        const err = new Error(body.error || response.statusText);
        err.status = response.status; err.parameter = body.parameter; err.body = body;
        err.retryAfter = Number(response.headers.get("Retry-After")) || 0;
        throw err;
      }
      return body;
    }));
}

let toastTimer = null;
export function toast(message) {
  const node = document.getElementById("toast");
  if (!node) return;
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 3200);
}

/* The basemap: tiles when a tile service is set; else the layers built from the OpenStreetMap
   extract (/api/basemap: roads by class, water, green areas, street names) when the data has
   them; else the network's streets from /api/networks/<mode>/lines. Both work with no internet.
   The map needs a "streets" pane. */
export function basemap(map, element) {
  const L = window.L;
  if (config.tiles) {
    const tiles = config.tiles;
    L.tileLayer(tiles.url, {subdomains: tiles.subdomains, maxZoom: tiles.maxZoom,
                            attribution: tiles.attribution}).addTo(map);
    if (tiles.labels) {
      L.tileLayer(tiles.labels, {subdomains: tiles.subdomains, maxZoom: tiles.maxZoom}).addTo(map);
    }
    return;
  }
  if (config.basemapLayers) {
    map.attributionControl.addAttribution(t("streets_attribution"));
    api("/api/basemap").then((collection) => drawBasemap(map, element, collection))
      .catch(() => streetLines(map, element));
    return;
  }
  streetLines(map, element);
}

function streetLines(map, element) {
  const L = window.L;
  if (!config.basemapMode) return;
  element.classList.add("streets-basemap");
  if (!config.basemapLayers) map.attributionControl.addAttribution(t("streets_attribution"));
  const renderer = L.canvas({padding: 0.5, pane: "streets"});
  api("/api/networks/" + config.basemapMode + "/lines").then((feature) => {
    // a grey casing under a white street, thinner when zoomed out
    const casing = L.geoJSON(feature, {pane: "streets", renderer, interactive: false,
                                       style: {color: "#cbcfd4", opacity: 1, lineCap: "round"}}).addTo(map);
    const street = L.geoJSON(feature, {pane: "streets", renderer, interactive: false,
                                       style: {color: "#ffffff", opacity: 1, lineCap: "round"}}).addTo(map);
    function weigh() {
      const z = map.getZoom(), w = z >= 17 ? 4.5 : z >= 16 ? 3 : z >= 15 ? 2 : 1.2;
      casing.setStyle({weight: w + 2});
      street.setStyle({weight: w});
    }
    weigh();
    map.on("zoomend", weigh);
  }).catch(() => { /* the map still works without the streets */ });
}

/* A file's bytes as base64 (for the JSON bodies that carry uploaded files). */
export function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
