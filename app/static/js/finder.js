/* yizhan worker finder: the map, nearest stations with routes, station cards, problem reports.
   Station data is only ever shown through textContent (Y.el). */
(function () {
  "use strict";
  var Y = window.Y, L = window.L, config = Y.config, t = Y.t, el = Y.el;
  var K = 5;  // how many stations the list shows

  var state = {
    origin: null,           // [lon, lat] WGS-84
    mode: config.modes.indexOf("walk") >= 0 ? "walk" : config.modes[0],
    kinds: Object.keys(config.kinds),
    services: [],
    openNow: false,
    results: [],
    selected: null,
    seq: 0,
    features: {},
    markers: {},
    loadedAt: 0,
    sheetOpen: false
  };

  /* --- coordinates: the API speaks WGS-84; Amap tiles need GCJ-02 on screen --- */
  var toLatLng = Y.toLatLng, fromLatLng = Y.fromLatLng;

  /* --- the map --- */
  var map = L.map("map", {zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25});
  function zoomClass() {
    map.getContainer().classList.toggle("zoomed-out", map.getZoom() < 15.5);
  }
  map.on("zoomend", zoomClass);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.zoom({position: "topright"}).addTo(map);
  var bounds = config.bounds;
  function fitRegion() {
    if (!bounds) { map.setView([35.0, 105.0], 4); return; }
    fitTo(L.latLngBounds([toLatLng(bounds[0], bounds[1]), toLatLng(bounds[2], bounds[3])]), 0);
  }

  map.createPane("streets").style.zIndex = 250;
  Y.basemap(map, document.getElementById("map"));

  var groups = {};
  Object.keys(config.kinds).forEach(function (kind) { groups[kind] = L.layerGroup().addTo(map); });
  var routeLayer = L.layerGroup().addTo(map);
  var originMarker = null;

  function pinIcon(kind, open, selected) {
    var head = el("span", {class: "pin-head"}, Y.icon(kind));
    var pin = el("div", {class: "pin-body"}, head);
    return L.divIcon({html: pin, className: "pin kind-" + kind + (open === false ? " is-closed" : "")
                        + (selected ? " is-selected" : ""),
                      iconSize: [34, 42], iconAnchor: [17, 41]});
  }

  function meIcon() {
    return L.divIcon({html: el("span", {class: "me-halo"}, el("span", {class: "me-dot"})),
                      className: "me", iconSize: [44, 44], iconAnchor: [22, 22]});
  }

  /* --- stations on the map --- */
  function loadStations() {
    return Y.api("/api/stations").then(function (collection) {
      state.features = {};
      Object.keys(groups).forEach(function (k) { groups[k].clearLayers(); });
      state.markers = {};
      collection.features.forEach(function (f) {
        state.features[f.id] = f;
        var p = f.properties, c = f.geometry.coordinates;
        var marker = L.marker(toLatLng(c[0], c[1]), {icon: pinIcon(p.kind, p.open, false),
                                                     title: p.name, alt: p.name,
                                                     riseOnHover: true});
        marker.on("click", function () { select(f.id, true); });
        state.markers[f.id] = marker;
      });
      state.loadedAt = Date.now();
      applyMarkerFilters();
      document.body.dataset.stations = String(collection.features.length);
    });
  }

  function matchesFilters(p) {
    if (state.kinds.indexOf(p.kind) < 0) return false;
    for (var i = 0; i < state.services.length; i++) {
      if (p.services.indexOf(state.services[i]) < 0) return false;
    }
    return !(state.openNow && p.open !== true);
  }

  function applyMarkerFilters() {
    Object.keys(state.markers).forEach(function (id) {
      var p = state.features[id].properties, marker = state.markers[id], group = groups[p.kind];
      var show = matchesFilters(p);
      if (show && !group.hasLayer(marker)) group.addLayer(marker);
      if (!show && group.hasLayer(marker)) group.removeLayer(marker);
    });
    Object.keys(groups).forEach(function (kind) {
      var on = state.kinds.indexOf(kind) >= 0;
      if (on && !map.hasLayer(groups[kind])) groups[kind].addTo(map);
      if (!on && map.hasLayer(groups[kind])) map.removeLayer(groups[kind]);
    });
  }

  function markSelected(id) {
    Object.keys(state.markers).forEach(function (key) {
      var p = state.features[key].properties, selected = key === id;
      var marker = state.markers[key];
      if (!!marker._yzSelected !== selected) {
        marker.setIcon(pinIcon(p.kind, p.open, selected));
        marker.setZIndexOffset(selected ? 1000 : 0);
        marker._yzSelected = selected;
      }
    });
  }

  /* --- filters --- */
  var kindChips = document.getElementById("kind-chips");
  Object.keys(config.kinds).forEach(function (kind) {
    var chip = el("button", {type: "button", class: "chip toggle kind-chip kind-" + kind,
                             "aria-pressed": "true", dataset: {kind: kind},
                             onclick: function () {
                               var i = state.kinds.indexOf(kind);
                               if (i >= 0) state.kinds.splice(i, 1); else state.kinds.push(kind);
                               chip.setAttribute("aria-pressed", String(i < 0));
                               filtersChanged();
                             }},
                   el("span", {class: "kind-swatch"}, Y.icon(kind)), config.kinds[kind].short);
    kindChips.appendChild(chip);
  });

  var openChip = document.getElementById("open-now");
  openChip.addEventListener("click", function () {
    state.openNow = !state.openNow;
    openChip.setAttribute("aria-pressed", String(state.openNow));
    filtersChanged();
  });

  var servicesButton = document.getElementById("services-button");
  var servicesPanel = document.getElementById("services-panel");
  var serviceChips = document.getElementById("service-chips");
  config.quickServices.forEach(function (service) {
    var chip = el("button", {type: "button", class: "chip toggle", "aria-pressed": "false",
                             dataset: {service: service},
                             onclick: function () {
                               var i = state.services.indexOf(service);
                               if (i >= 0) state.services.splice(i, 1); else state.services.push(service);
                               chip.setAttribute("aria-pressed", String(i < 0));
                               filtersChanged();
                             }}, config.services[service]);
    serviceChips.appendChild(chip);
  });
  function toggleServicesPanel(open) {
    servicesPanel.hidden = !open;
    servicesButton.setAttribute("aria-expanded", String(open));
  }
  servicesButton.addEventListener("click", function () { toggleServicesPanel(servicesPanel.hidden); });
  document.getElementById("services-done").addEventListener("click", function () { toggleServicesPanel(false); });
  document.getElementById("services-clear").addEventListener("click", function () {
    state.services = [];
    Array.prototype.forEach.call(serviceChips.children, function (c) { c.setAttribute("aria-pressed", "false"); });
    filtersChanged();
  });

  var modes = document.getElementById("modes");
  config.modes.forEach(function (mode) {
    var button = el("button", {type: "button", role: "radio", class: "mode",
                               "aria-checked": String(mode === state.mode), dataset: {mode: mode},
                               onclick: function () {
                                 if (state.mode === mode) return;
                                 state.mode = mode;
                                 Array.prototype.forEach.call(modes.children, function (b) {
                                   b.setAttribute("aria-checked", String(b.dataset.mode === mode));
                                 });
                                 search();
                               }}, Y.icon(mode), t("mode_" + mode));
    modes.appendChild(button);
  });
  if (config.modes.length < 2) modes.hidden = true;

  function filtersChanged() {
    var count = document.getElementById("services-count");
    count.hidden = state.services.length === 0;
    count.textContent = String(state.services.length);
    servicesButton.setAttribute("aria-pressed", String(state.services.length > 0));
    applyMarkerFilters();
    search();
  }

  /* --- the bottom sheet --- */
  var sheet = document.getElementById("sheet");
  var handle = document.getElementById("sheet-handle");
  var listView = document.getElementById("list-view");
  var cardView = document.getElementById("card-view");
  var statusLine = document.getElementById("status");
  var resultsList = document.getElementById("results");
  function setSheet(open) {
    state.sheetOpen = open;
    sheet.classList.toggle("expanded", open);
    handle.setAttribute("aria-expanded", String(open));
  }
  handle.addEventListener("click", function () { setSheet(!state.sheetOpen); });

  function setStatus(text, kind) {
    statusLine.textContent = text || "";
    statusLine.hidden = !text;
    statusLine.className = "status" + (kind ? " " + kind : "");
  }

  function showList() {
    cardView.hidden = true;
    listView.hidden = false;
    sheet.classList.remove("showing-card");
  }

  /* --- where I am --- */
  function setOrigin(lon, lat, fromGps) {
    state.origin = [lon, lat];
    var ll = toLatLng(lon, lat);
    if (!originMarker) {
      originMarker = L.marker(ll, {icon: meIcon(), interactive: false, keyboard: false,
                                   zIndexOffset: 2000}).addTo(map);
    } else {
      originMarker.setLatLng(ll);
    }
    if (fromGps) map.setView(ll, Math.max(map.getZoom(), 16));
    showList();
    search(true);
  }

  map.on("click", function (e) {
    if (!servicesPanel.hidden) { toggleServicesPanel(false); return; }
    var p = fromLatLng(e.latlng);
    setOrigin(p[0], p[1], false);
  });

  var locate = document.getElementById("locate");
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { Y.toast(t("locate_failed")); return; }
    locate.classList.add("busy");
    Y.toast(t("locating"));
    navigator.geolocation.getCurrentPosition(function (pos) {
      locate.classList.remove("busy");
      setOrigin(pos.coords.longitude, pos.coords.latitude, true);
    }, function () {
      locate.classList.remove("busy");
      Y.toast(t("locate_failed"));
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  });

  /* --- nearest stations --- */
  function search(fit) {
    if (!state.origin) return;
    var seq = ++state.seq;
    if (state.kinds.length === 0) {
      state.results = [];
      renderResults();
      routeLayer.clearLayers();
      setStatus(t("no_kinds"), "warn");
      return;
    }
    var params = new URLSearchParams({lat: state.origin[1].toFixed(7), lon: state.origin[0].toFixed(7),
                                      mode: state.mode, k: String(K), route: "1"});
    if (state.kinds.length < Object.keys(config.kinds).length) {
      state.kinds.forEach(function (k) { params.append("kind", k); });
    }
    state.services.forEach(function (s) { params.append("service", s); });
    if (state.openNow) params.set("open_now", "1");
    setStatus(t("searching"), "busy");
    document.body.dataset.searching = "1";
    Y.api("/api/nearest?" + params.toString()).then(function (answer) {
      if (seq !== state.seq) return;
      state.results = answer.results;
      var growing = !document.body.classList.contains("has-results");
      document.body.classList.add("has-results");
      state.selected = answer.results.length ? answer.results[0].id : null;
      setStatus(answer.results.length ? "" : t("none_found"), answer.results.length ? "" : "warn");
      renderResults();
      drawRoute(false);
      if (fit !== false) {
        // wait for the sheet to reach its new height before fitting the route above it
        if (growing) setTimeout(function () { if (seq === state.seq) fitRoute(); }, 260);
        else fitRoute();
      }
    }).catch(function (err) {
      if (seq !== state.seq) return;
      state.results = [];
      renderResults();
      routeLayer.clearLayers();
      if (err.status === 422 && err.body && err.body.distance_m !== undefined) {
        setStatus(t("off_network", {d: Y.fmtDistance(err.body.distance_m)}), "warn");
      } else {
        setStatus(err.message || t("error"), "warn");
      }
    }).then(function () {
      if (seq === state.seq) document.body.dataset.searching = "0";
    });
  }

  function badge(open) {
    if (open === true) return el("span", {class: "badge open"}, t("open"));
    if (open === false) return el("span", {class: "badge closed"}, t("closed"));
    return el("span", {class: "badge unknown"}, t("unknown"));
  }

  function serviceChips_(services, limit) {
    var list = el("ul", {class: limit ? "chips small" : "chips"});
    var order = config.quickServices;
    services = services.slice().sort(function (a, b) {  // the most asked-for first
      var i = order.indexOf(a), j = order.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j);
    });
    var shown = limit ? services.slice(0, limit) : services;
    shown.forEach(function (s) { list.appendChild(el("li", {class: "chip"}, config.services[s] || s)); });
    if (limit && services.length > limit) list.appendChild(el("li", {class: "chip more"}, "+" + (services.length - limit)));
    return list;
  }

  function renderResults() {
    Y.clear(resultsList);
    state.results.forEach(function (r) {
      var item = el("li", {class: "result" + (r.id === state.selected ? " selected" : ""),
                           dataset: {id: r.id, kind: r.kind, open: String(r.open)}},
        el("button", {type: "button", class: "result-main", onclick: function () { select(r.id, false); }},
          el("span", {class: "result-icon kind-" + r.kind}, Y.icon(r.kind)),
          el("span", {class: "result-body"},
            el("span", {class: "result-name"}, r.name),
            el("span", {class: "result-meta"},
              el("span", {class: "kind-label"}, config.kinds[r.kind].label), badge(r.open)),
            serviceChips_(r.services, 3)),
          el("span", {class: "result-trip"},
            el("strong", {class: "result-time"}, Y.fmtDuration(r.duration_s)),
            el("span", {class: "result-dist"}, Y.fmtDistance(r.distance_m)))));
      resultsList.appendChild(item);
    });
    document.body.dataset.results = String(state.results.length);
  }

  function resultById(id) {
    for (var i = 0; i < state.results.length; i++) if (state.results[i].id === id) return state.results[i];
    return null;
  }

  function drawRoute(fit) {
    routeLayer.clearLayers();
    markSelected(state.selected);
    var hit = resultById(state.selected);
    if (!hit || !hit.route) return;
    var line = hit.route.coordinates.map(function (c) { return toLatLng(c[0], c[1]); });
    L.polyline(line, {color: "#ffffff", weight: 9, opacity: 0.95, interactive: false}).addTo(routeLayer);
    L.polyline(line, {color: "#2563eb", weight: 5, opacity: 1, interactive: false,
                      className: "route-line"}).addTo(routeLayer);
    if (fit) fitRoute();
  }

  function fitRoute() {
    var hit = resultById(state.selected);
    if (!hit || !hit.route) return;
    fitTo(L.latLngBounds(hit.route.coordinates.map(function (c) { return toLatLng(c[0], c[1]); })));
  }

  /* Fit bounds into the part of the map that the bars and the sheet leave visible. */
  function fitTo(b, margin) {
    margin = margin === undefined ? 28 : margin;
    var sheetRect = document.getElementById("sheet").getBoundingClientRect();
    var wide = window.innerWidth >= 900;
    var top = document.querySelector(".filterbar").getBoundingClientRect().bottom + margin;
    map.fitBounds(b, {
      paddingTopLeft: [wide ? sheetRect.right + margin : margin, top],
      paddingBottomRight: [margin + (wide ? 40 : 0), wide ? margin : (window.innerHeight - sheetRect.top) + margin],
      maxZoom: 17
    });
  }


  /* --- the station card --- */
  function select(id, fromMarker) {
    state.selected = id;
    Array.prototype.forEach.call(resultsList.children, function (li) {
      li.classList.toggle("selected", li.dataset.id === id);
    });
    if (resultById(id)) drawRoute(fromMarker ? false : true);
    else { routeLayer.clearLayers(); markSelected(id); }
    showCard(id);
  }

  function stationInfo(id) {
    var f = state.features[id], r = resultById(id), info = {};
    if (f) {
      Object.keys(f.properties).forEach(function (k) { info[k] = f.properties[k]; });
      info.lon = f.geometry.coordinates[0]; info.lat = f.geometry.coordinates[1];
    }
    if (r) Object.keys(r).forEach(function (k) { if (k !== "route") info[k] = r[k]; });
    info.id = id;
    return info;
  }

  function fact(iconName, label, value) {
    return el("li", {class: "fact"}, Y.icon(iconName),
              el("span", {class: "fact-text"}, el("span", {class: "fact-label"}, label), value));
  }

  function showCard(id) {
    var s = stationInfo(id);
    if (!s.name) return;
    Y.clear(cardView);
    var trip = null;
    if (s.distance_m !== undefined) {
      trip = el("p", {class: "card-trip"}, Y.icon(state.mode),
                el("strong", {}, Y.fmtDuration(s.duration_s)), " · " + Y.fmtDistance(s.distance_m));
    }
    var facts = el("ul", {class: "facts-list"});
    if (s.address) facts.appendChild(fact("pin", t("address"), s.address));
    facts.appendChild(fact("clock", t("hours"), Y.fmtHours(s.hours)));
    if (s.phone) facts.appendChild(fact("phone", t("phone"), el("a", {href: "tel:" + s.phone}, s.phone)));
    if (s.capacity) facts.appendChild(fact("people", t("capacity"), t("people", {n: s.capacity})));
    var links = s.links || {};
    var nav = el("div", {class: "nav-links"},
      el("a", {class: "button nav", href: links.geo}, Y.icon("nav"), t("nav_geo")),
      el("a", {class: "button nav", href: links.amap, rel: "noopener noreferrer", target: "_blank"}, t("nav_amap")),
      el("a", {class: "button nav", href: links.baidu, rel: "noopener noreferrer", target: "_blank"}, t("nav_baidu")));
    var demoNote = s.notes && s.notes.indexOf("演示数据") >= 0 ? el("p", {class: "note"}, s.notes) : null;
    cardView.appendChild(el("button", {type: "button", class: "back", onclick: function () {
      showList(); state.selected = state.results.length ? state.selected : null; drawRoute(false);
    }}, Y.icon("back"), t("back")));
    cardView.appendChild(el("div", {class: "card-head"},
      el("span", {class: "result-icon big kind-" + s.kind}, Y.icon(s.kind)),
      el("div", {},
        el("h2", {class: "card-name"}, s.name),
        el("p", {class: "result-meta"}, el("span", {class: "kind-label"}, config.kinds[s.kind].label),
           badge(s.open)))));
    if (trip) cardView.appendChild(trip);
    cardView.appendChild(facts);
    if (s.services && s.services.length) cardView.appendChild(serviceChips_(s.services, 0));
    cardView.appendChild(el("h3", {class: "section"}, t("navigate")));
    cardView.appendChild(nav);
    cardView.appendChild(el("div", {class: "card-actions"},
      el("button", {type: "button", class: "button subtle", id: "report-open",
                    onclick: function () { openReport(s); }}, Y.icon("flag"), t("report")),
      el("a", {class: "button subtle", href: "/s/" + encodeURIComponent(s.id) + "?lang=" + config.lang},
         Y.icon("share"), t("share"))));
    if (demoNote) cardView.appendChild(demoNote);
    listView.hidden = true;
    cardView.hidden = false;
    sheet.classList.add("showing-card");
    document.getElementById("sheet-scroll").scrollTop = 0;
    if (!resultById(id)) {
      var m = state.markers[id];
      if (m) map.panTo(m.getLatLng());
    }
  }

  /* --- problem reports --- */
  var dialog = document.getElementById("report-dialog");
  var reportForm = document.getElementById("report-form");
  var reportKinds = document.getElementById("report-kinds");
  var reportError = document.getElementById("report-error");
  var reportFor = null;
  Object.keys(config.reportKinds).forEach(function (kind) {
    reportKinds.appendChild(el("label", {class: "radio"},
      el("input", {type: "radio", name: "kind", value: kind}), el("span", {}, config.reportKinds[kind])));
  });
  function openReport(s) {
    reportFor = s.id;
    reportForm.reset();
    reportError.hidden = true;
    document.getElementById("report-station").textContent = s.name;
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  }
  document.getElementById("report-cancel").addEventListener("click", function () { dialog.close(); });
  reportForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var picked = reportForm.querySelector("input[name=kind]:checked");
    if (!picked) { reportError.textContent = t("report_pick"); reportError.hidden = false; return; }
    var body = {station_id: reportFor, kind: picked.value, text: reportForm.elements.text.value};
    if (state.origin) { body.lon = state.origin[0]; body.lat = state.origin[1]; }
    var send = document.getElementById("report-send");
    send.disabled = true;
    Y.api("/api/reports", {method: "POST", body: body}).then(function () {
      dialog.close();
      Y.toast(t("report_thanks"));
    }).catch(function (err) {
      reportError.textContent = err.message || t("error");
      reportError.hidden = false;
    }).then(function () { send.disabled = false; });
  });

  /* --- start --- */
  fitRegion();
  loadStations().then(function () {
    var wanted = new URLSearchParams(window.location.search).get("station");
    if (wanted && state.features[wanted]) {
      select(wanted, true);
      map.setView(state.markers[wanted].getLatLng(), Math.max(map.getZoom(), 16));
    }
    document.body.dataset.ready = "1";
  }).catch(function () {
    setStatus(t("error"), "warn");
    document.body.dataset.ready = "1";
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - state.loadedAt > 30000) {
      loadStations().then(function () { search(false); });
    }
  });

  window.yizhan = {map: map, state: state, setOrigin: setOrigin, toLatLng: toLatLng};
})();
