/* yizhan: helpers shared by the pages. No data is ever inserted as HTML: text goes through
   textContent (el()), and the only markup strings are the constant icons below. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var strings = config.strings || {};

  function t(key, vars) {
    var s = strings[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    }
    return s;
  }

  /* el("div", {class: "x", text: "y", onclick: fn, "aria-label": "z"}, child, "text", ...) */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.keys(value).forEach(function (d) { node.dataset[d] = value[d]; });
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "string" || typeof child === "number"
      ? document.createTextNode(String(child)) : child);
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  /* Constant icon markup (never data). */
  var ICONS = {
    driver_home: '<path d="M2.5 7h10v8.5h-10zM12.5 10h4.2l2.8 3v2.5h-7"/><circle cx="6.5" cy="17" r="1.8"/><circle cx="16" cy="17" r="1.8"/>',
    sanitation_station: '<path d="M16.5 3 12 10.5"/><path d="M7.5 10.5h8.5l2 9H5.5z"/><path d="M9.5 15v4.5M12 15v4.5M14.5 15v4.5"/>',
    outdoor_rest_point: '<path d="M4.5 10h11v3.5a5 5 0 0 1-5 5h-1a5 5 0 0 1-5-5z"/><path d="M15.5 11h1.3a2.5 2.5 0 0 1 0 5h-1.5"/><path d="M8 3.5c-1 1 1 2 0 3.2M11.5 3.5c-1 1 1 2 0 3.2"/>',
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

  function icon(name, cls) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "icon" + (cls ? " " + cls : ""));
    svg.innerHTML = ICONS[name] || "";  // constant markup from ICONS only
    return svg;
  }

  function fmtDistance(m) {
    if (m < 1000) return t("m", {n: Math.max(10, Math.round(m / 10) * 10)});
    return t("km", {n: (m / 1000).toFixed(m < 10000 ? 1 : 0)});
  }

  function fmtDuration(s) { return t("min", {n: Math.max(1, Math.round(s / 60))}); }

  var DAYS_ZH = {Mo: "周一", Tu: "周二", We: "周三", Th: "周四", Fr: "周五", Sa: "周六", Su: "周日",
                 PH: "节假日"};

  /* OSM opening_hours made readable: Chinese day names in Chinese, "24/7" in words. */
  function fmtHours(hours) {
    if (!hours) return t("hours_unknown");
    if (hours === "24/7") return config.lang === "zh" ? "全天 24 小时" : "24 hours, every day";
    if (config.lang !== "zh") return hours.replace(/; /g, " · ");
    return hours
      .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su)-(Mo|Tu|We|Th|Fr|Sa|Su)\b/g,
               function (_, a, b) { return DAYS_ZH[a] + "至" + DAYS_ZH[b]; })
      .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b/g, function (d) { return DAYS_ZH[d]; })
      .replace(/\boff\b/g, "休息").replace(/,/g, "、").replace(/; /g, "；");
  }

  /* WGS-84 <-> GCJ-02, the same published formula as geo.coords (used with Amap tiles). */
  var A = 6378245.0, EE = 0.00669342162296594323;
  function inChina(lon, lat) { return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271; }
  function gcjDelta(lon, lat) {
    if (!inChina(lon, lat)) return [0, 0];
    var x = lon - 105.0, y = lat - 35.0, sx = Math.sqrt(Math.abs(x)), PI = Math.PI;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += common; dLon += common;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y / 30.0 * PI)) * 2 / 3;
    dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2 / 3;
    var radLat = lat / 180.0 * PI, magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [dLon, dLat];
  }
  function wgs2gcj(lon, lat) { var d = gcjDelta(lon, lat); return [lon + d[0], lat + d[1]]; }
  function gcj2wgs(lon, lat) {
    var d = gcjDelta(lon, lat), x = lon - d[0], y = lat - d[1];
    for (var i = 0; i < 30; i++) {
      var f = wgs2gcj(x, y), dx = f[0] - lon, dy = f[1] - lat;
      x -= dx; y -= dy;
      if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
    }
    return [x, y];
  }

  /* fetch JSON; rejects with {status, error, parameter, body} on a non-2xx answer. */
  function api(path, options) {
    options = options || {};
    var init = {method: options.method || "GET", headers: {"Accept": "application/json"},
                credentials: "same-origin"};
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var err = new Error(body.error || response.statusText);
          err.status = response.status; err.parameter = body.parameter; err.body = body;
          throw err;
        }
        return body;
      });
    });
  }

  var toastTimer = null;
  function toast(message) {
    var node = document.getElementById("toast");
    if (!node) return;
    node.textContent = message;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 3200);
  }

  /* Coordinates: the API speaks WGS-84; Amap tiles need GCJ-02 on screen. */
  var gcjScreen = !!(config.tiles && config.tiles.gcj02);
  function toLatLng(lon, lat) {
    if (gcjScreen) { var g = wgs2gcj(lon, lat); return window.L.latLng(g[1], g[0]); }
    return window.L.latLng(lat, lon);
  }
  function fromLatLng(latlng) {
    var lon = window.L.Util.wrapNum(latlng.lng, [-180, 180], true), lat = latlng.lat;
    if (gcjScreen) { var w = gcj2wgs(lon, lat); return [w[0], w[1]]; }
    return [lon, lat];
  }

  /* The basemap: tiles when a tile service is set, else the network's streets drawn from
     /api/networks/<mode>/lines (works with no internet). The map needs a "streets" pane. */
  function basemap(map, element) {
    var L = window.L;
    if (config.tiles) {
      var tiles = config.tiles;
      L.tileLayer(tiles.url, {subdomains: tiles.subdomains, maxZoom: tiles.maxZoom,
                              attribution: tiles.attribution}).addTo(map);
      if (tiles.labels) {
        L.tileLayer(tiles.labels, {subdomains: tiles.subdomains, maxZoom: tiles.maxZoom}).addTo(map);
      }
      return;
    }
    if (!config.basemapMode) return;
    element.classList.add("streets-basemap");
    map.attributionControl.addAttribution(config.lang === "zh"
      ? "路网 © OpenStreetMap 贡献者" : "Streets © OpenStreetMap contributors");
    var renderer = L.canvas({padding: 0.5, pane: "streets"});
    api("/api/networks/" + config.basemapMode + "/lines").then(function (feature) {
      // a grey casing under a white street, thinner when zoomed out
      var casing = L.geoJSON(feature, {pane: "streets", renderer: renderer, interactive: false,
                                       style: {color: "#cbcfd4", opacity: 1, lineCap: "round"}}).addTo(map);
      var street = L.geoJSON(feature, {pane: "streets", renderer: renderer, interactive: false,
                                       style: {color: "#ffffff", opacity: 1, lineCap: "round"}}).addTo(map);
      function weigh() {
        var z = map.getZoom(), w = z >= 17 ? 4.5 : z >= 16 ? 3 : z >= 15 ? 2 : 1.2;
        casing.setStyle({weight: w + 2});
        street.setStyle({weight: w});
      }
      weigh();
      map.on("zoomend", weigh);
    }).catch(function () { /* the map still works without the streets */ });
  }

  window.Y = {config: config, t: t, el: el, clear: clear, icon: icon, fmtDistance: fmtDistance,
              fmtDuration: fmtDuration, fmtHours: fmtHours, wgs2gcj: wgs2gcj, gcj2wgs: gcj2wgs,
              api: api, toast: toast, basemap: basemap, toLatLng: toLatLng,
              fromLatLng: fromLatLng};
})();
