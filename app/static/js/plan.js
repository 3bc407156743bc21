/* yizhan planner view: coverage per worker group and hour as H3 cells, gap areas, siting runs,
   workers' reports and station editing. Data is only ever shown through textContent (Y.el);
   the SVG charts are built node by node. */
(function () {
  "use strict";
  var Y = window.Y, L = window.L, config = Y.config, t = Y.t, el = Y.el;
  var zh = config.lang === "zh";
  var SVG = "http://www.w3.org/2000/svg";
  var query = new URLSearchParams(window.location.search);
  var GROUPS = config.groupOrder.filter(function (g) { return config.groups[g]; });
  var KINDS = config.kindOrder.filter(function (k) { return config.kinds[k]; });
  var TABS = ["coverage", "gaps", "siting", "reports", "stations"];

  function initialMinutes() {
    if (query.has("minutes")) {
      var m = Number(query.get("minutes"));
      return query.get("minutes") === "" || !(m > 0 && m <= 120) ? null : m;
    }
    return config.defaultMinutes;
  }
  function initialHour() {
    var h = query.get("hour");
    return h !== null && /^\d{1,2}$/.test(h) && Number(h) <= 23 ? Number(h) : null;
  }

  var state = {
    group: GROUPS.indexOf(query.get("group")) >= 0 ? query.get("group") : null,
    minutes: initialMinutes(),
    hour: initialHour(),
    tab: TABS.indexOf(query.get("tab")) >= 0 ? query.get("tab") : "coverage",
    data: null,          // the /api/coverage answer at any time
    timed: {},           // hour -> the answer at HH:30
    seq: 0,
    openIds: null,       // ids of stations open at state.hour (null: not known / any time)
    stations: [],        // GeoJSON features
    markers: {},
    plan: null,
    selectedGap: null,
    signedIn: false,
    signinEnabled: false,
    editing: null,       // a station id, "new", or null
    picking: false
  };

  /* --- formatting --- */
  function pct(share, digits) {
    if (share === null || share === undefined || isNaN(share)) return "–";
    return (share * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }
  function count(n) {
    var v = Math.round(n);
    return v.toLocaleString(zh ? "zh-CN" : "en-US");
  }
  function workers(n) { return t("workers", {n: count(n)}); }
  function minutesText(m) {
    if (m === null || m === undefined) return "–";
    return t("min", {n: m < 10 ? (Math.round(m * 10) / 10) : Math.round(m)});
  }
  function hourText(h) { return (h < 10 ? "0" : "") + h + ":30"; }
  function groupShort(g) { return config.groups[g] ? config.groups[g].short : g; }
  function modeText(mode) { return t("mode_" + mode + "_long"); }

  /* --- coordinates: the API speaks WGS-84; Amap tiles need GCJ-02 on screen --- */
  var toLatLng = Y.toLatLng, fromLatLng = Y.fromLatLng;
  function coordsToLatLngs(ring) {
    return ring.map(function (c) { return toLatLng(c[0], c[1]); });
  }

  /* --- the map --- */
  var map = L.map("plan-map", {zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.zoom({position: "topright"}).addTo(map);
  map.createPane("streets").style.zIndex = 250;
  map.createPane("cells").style.zIndex = 350;
  map.createPane("gaps").style.zIndex = 420;

  Y.basemap(map, document.getElementById("plan-map"));

  function fitRegion() {
    var b = config.bounds;
    if (!b) { map.setView([35.0, 105.0], 4); return; }
    map.fitBounds(L.latLngBounds([toLatLng(b[0], b[1]), toLatLng(b[2], b[3])]), fitOptions());
  }
  /* The cells of every group (the demand), once they are known. */
  function fitData() {
    var all = L.geoJSON(state.data.cells, {coordsToLatLng: function (c) { return toLatLng(c[0], c[1]); }});
    var b = all.getBounds();
    if (b.isValid()) map.fitBounds(b, fitOptions(17));
  }
  /* Make sure the points are on screen (above the hour bar), keeping the view when they are. */
  function showAll(latlngs) {
    if (!latlngs.length) return;
    var size = map.getSize(), pad = fitOptions();
    var inside = latlngs.every(function (ll) {
      var pt = map.latLngToContainerPoint(ll);
      return pt.x > pad.paddingTopLeft[0] && pt.y > pad.paddingTopLeft[1] &&
             pt.x < size.x - pad.paddingBottomRight[0] && pt.y < size.y - pad.paddingBottomRight[1];
    });
    if (inside) return;
    var b = L.latLngBounds(latlngs);
    if (state.data) {
      L.geoJSON(state.data.cells, {coordsToLatLng: function (c) { return toLatLng(c[0], c[1]); }})
        .eachLayer(function (layer) { b.extend(layer.getBounds()); });
    }
    map.fitBounds(b, fitOptions(17));
  }
  /* Keep fitted things clear of the hour bar. */
  function fitOptions(maxZoom) {
    var bar = document.getElementById("hourbar").getBoundingClientRect();
    var mapBox = document.getElementById("plan-map").getBoundingClientRect();
    var bottom = Math.max(24, mapBox.bottom - bar.top + 16);
    return {paddingTopLeft: [24, 24], paddingBottomRight: [56, bottom], maxZoom: maxZoom || 17};
  }

  /* --- colours --- */
  /* red (no one covered) - orange - yellow - teal (everyone covered); never a muddy olive */
  var STOPS = [[0, [217, 45, 32]], [0.45, [247, 144, 9]], [0.75, [250, 197, 21]], [1, [14, 147, 132]]];
  function shareColor(s) {
    s = Math.max(0, Math.min(1, s));
    for (var i = 1; i < STOPS.length; i++) {
      if (s <= STOPS[i][0]) {
        var a = STOPS[i - 1], b = STOPS[i], f = (s - a[0]) / (b[0] - a[0]);
        var c = a[1].map(function (v, k) { return Math.round(v + (b[1][k] - v) * f); });
        return "rgb(" + c.join(",") + ")";
      }
    }
    return "rgb(14,147,132)";
  }

  /* --- H3 cells --- */
  var maxWorkers = 1;
  function cellShare(p) {
    if (state.hour !== null && p.by_hour && p.by_hour.length === 24) return p.by_hour[state.hour];
    return p.share;
  }
  function cellStyle(feature) {
    var p = feature.properties;
    var weight = Math.sqrt(Math.max(0, p.workers) / maxWorkers);
    return {color: "#ffffff", weight: 1, opacity: 0.9, fillColor: shareColor(cellShare(p)),
            fillOpacity: 0.36 + 0.5 * weight, className: "hex-cell"};
  }
  function cellTooltip(layer) {
    var p = layer.feature.properties, share = cellShare(p);
    var travel = p.travel === null ? t("unreachable")
      : (p.travel_max !== null && p.travel_max - p.travel > 0.6
         ? t("travel_range", {a: minutesText(Math.min(p.travel, p.travel_max)), b: minutesText(p.travel_max)})
         : t("travel", {t: minutesText(p.travel)}));
    return el("div", {class: "cell-tip"},
      el("strong", {}, t("cell", {g: groupShort(p.group), n: workers(p.workers)})),
      el("span", {class: "cell-tip-share"}, el("span", {class: "swatch", "aria-hidden": "true"}),
         t("covered") + " " + pct(share, 0) + " · " + workers(share * p.workers)),
      el("span", {class: "muted"}, travel));
  }
  var cellLayer = L.geoJSON(null, {
    pane: "cells", style: cellStyle,
    filter: function (f) { return f.properties.group === state.group; },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(function () { return cellTooltip(layer); }, {sticky: true, direction: "top",
                                                                     className: "yz-tip", offset: [0, -6]});
      layer.on("tooltipopen", function (e) {
        var swatch = e.tooltip.getElement().querySelector(".swatch");
        if (swatch) swatch.style.background = shareColor(cellShare(feature.properties));
      });
    }
  }).addTo(map);

  function drawCells() {
    var data = currentData();
    cellLayer.clearLayers();
    if (!data) return;
    var mine = data.cells.features.filter(function (f) { return f.properties.group === state.group; });
    maxWorkers = Math.max.apply(null, [1].concat(mine.map(function (f) { return f.properties.workers; })));
    cellLayer.addData(data.cells);
    document.body.dataset.cells = String(mine.length);
  }
  function restyleCells() { cellLayer.setStyle(cellStyle); }

  /* --- gap areas --- */
  var gapLayer = L.layerGroup().addTo(map);
  var gapShapes = {};
  function gapsFor(data) {
    if (!data) return [];
    return data.gaps.filter(function (g) { return (g.by_group[state.group] || 0) > 0; })
      .sort(function (a, b) { return b.by_group[state.group] - a.by_group[state.group] || a.rank - b.rank; });
  }
  function polygonLatLngs(geometry) {
    if (geometry.type === "Polygon") return geometry.coordinates.map(coordsToLatLngs);
    return geometry.coordinates.map(function (poly) { return poly.map(coordsToLatLngs); });
  }
  function gapStyle(selected) {
    return {pane: "gaps", color: "#101828", weight: selected ? 3 : 1.8, dashArray: selected ? null : "5 5",
            fill: true, fillColor: "#101828", fillOpacity: selected ? 0.10 : 0, className: "gap-area"};
  }
  function drawGaps() {
    gapLayer.clearLayers();
    gapShapes = {};
    gapsFor(currentData()).forEach(function (gap, i) {
      var shape = L.polygon(polygonLatLngs(gap.polygon), gapStyle(state.selectedGap === gap.rank));
      shape.bindTooltip(function () {
        return el("div", {class: "cell-tip"}, el("strong", {}, "#" + (i + 1) + " · " +
          workers(gap.by_group[state.group])), el("span", {}, t("uncovered")));
      }, {sticky: true, className: "yz-tip"});
      shape.on("click", function () { selectGap(gap.rank, false); });
      shape.addTo(gapLayer);
      gapShapes[gap.rank] = shape;
    });
  }
  function selectGap(rank, zoom) {
    state.selectedGap = rank;
    Object.keys(gapShapes).forEach(function (r) {
      gapShapes[r].setStyle(gapStyle(Number(r) === rank));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".gap-item"), function (b) {
      b.setAttribute("aria-current", String(Number(b.dataset.rank) === rank));
    });
    if (zoom && gapShapes[rank]) {
      map.fitBounds(gapShapes[rank].getBounds(), fitOptions(17));
    }
  }

  function renderGapList() {
    var list = Y.clear(document.getElementById("gap-list"));
    var data = currentData(), gaps = gapsFor(data);
    var title = document.getElementById("gaps-title");
    title.textContent = state.hour === null ? t("gaps_title") : t("gaps_at", {h: hourText(state.hour)});
    var badge = document.getElementById("count-gaps");
    badge.hidden = !data;
    badge.textContent = String(gaps.length);
    if (!data) return;
    if (!gaps.length) list.appendChild(el("li", {class: "empty"}, t("gaps_none")));
    gaps.forEach(function (gap, i) {
      var mine = gap.by_group[state.group];
      var others = Object.keys(gap.by_group).filter(function (g) { return g !== state.group && gap.by_group[g] > 0; });
      var near = gap.nearest[state.group];
      list.appendChild(el("li", {},
        el("button", {type: "button", class: "gap-item", dataset: {rank: String(gap.rank)},
                      "aria-current": String(state.selectedGap === gap.rank),
                      onclick: function () { selectGap(gap.rank, true); }},
          el("span", {class: "gap-rank"}, String(i + 1)),
          el("span", {class: "gap-body"},
            el("span", {class: "gap-head"}, el("strong", {}, workers(mine)), " " + t("uncovered")),
            el("span", {class: "gap-meta"}, t("gap_cells", {n: gap.cells}) + (others.length
               ? " · " + t("gap_also", {list: others.map(function (g) {
                   return groupShort(g) + " " + count(gap.by_group[g]); }).join("、")}) : "")),
            el("span", {class: "gap-near"}, Y.icon("clock"),
               t("gap_nearest", {t: near === null || near === undefined ? "–" : minutesText(near)}))),
          el("span", {class: "gap-go", title: t("gap_zoom")}, Y.icon("pin")))));
    });
    var other = document.getElementById("gaps-other");
    var rest = data.gaps.length - gaps.length;
    other.hidden = rest <= 0;
    other.textContent = t("gaps_other", {n: rest});
  }

  /* --- stations on the map --- */
  var stationLayer = L.layerGroup().addTo(map);
  function stationIcon(kind, closed, selected) {
    return L.divIcon({html: el("span", {class: "st-dot"}), className: "st kind-" + kind +
                      (closed ? " is-closed" : "") + (selected ? " is-selected" : ""),
                      iconSize: [16, 16], iconAnchor: [8, 8]});
  }
  function isClosed(id) { return state.hour !== null && state.openIds !== null && !state.openIds[id]; }
  function drawStations() {
    stationLayer.clearLayers();
    state.markers = {};
    state.stations.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var selected = state.editing === f.id;
      var marker = L.marker(toLatLng(c[0], c[1]), {
        icon: stationIcon(p.kind, isClosed(f.id), selected), title: p.name, alt: p.name,
        riseOnHover: true, draggable: selected, zIndexOffset: selected ? 800 : 0, keyboard: true});
      marker.bindPopup(function () { return stationPopup(f); }, {className: "yz-popup", offset: [0, -4]});
      marker.on("dragend", function () { moveDraft(marker.getLatLng()); });
      marker.addTo(stationLayer);
      state.markers[f.id] = marker;
    });
    document.body.dataset.stations = String(state.stations.length);
  }
  function restyleStations() {
    state.stations.forEach(function (f) {
      var m = state.markers[f.id];
      if (m) m.setIcon(stationIcon(f.properties.kind, isClosed(f.id), state.editing === f.id));
    });
  }
  function stationPopup(f) {
    var p = f.properties;
    var box = el("div", {class: "st-popup"},
      el("strong", {class: "st-popup-name"}, p.name),
      el("span", {class: "st-popup-kind"}, el("span", {class: "kind-dot kind-" + p.kind}), config.kinds[p.kind].label),
      el("span", {class: "muted"}, Y.fmtHours(p.hours)));
    if (isClosed(f.id)) box.appendChild(el("span", {class: "badge closed"}, t("station_closed_now")));
    if (state.signedIn) {
      box.appendChild(el("button", {type: "button", class: "button small", onclick: function () {
        map.closePopup(); setTab("stations"); editStation(f.id);
      }}, t("edit")));
    }
    return box;
  }
  function loadStations() {
    return Y.api("/api/stations").then(function (fc) {
      state.stations = fc.features;
      drawStations();
      renderStationList();
    });
  }
  function loadOpenStations() {
    var data = state.data, hour = state.hour;
    if (hour === null || !data) { state.openIds = null; restyleStations(); return; }
    var when = data.day + "T" + hourText(hour);
    Y.api("/api/stations?open_at=" + encodeURIComponent(when)).then(function (fc) {
      if (state.hour !== hour) return;
      state.openIds = {};
      fc.features.forEach(function (f) { state.openIds[f.id] = true; });
      restyleStations();
    }).catch(function () {});
  }

  /* --- group chips and the budget --- */
  var chips = document.getElementById("group-chips");
  GROUPS.forEach(function (g) {
    var info = config.groups[g];
    var chip = el("button", {type: "button", role: "radio", class: "gchip", dataset: {group: g},
                             "aria-checked": "false", title: info.label, onclick: function () { setGroup(g); }},
      el("span", {class: "gdot", "aria-hidden": "true"}), info.short);
    chip.querySelector(".gdot").style.background = info.color;
    chips.appendChild(chip);
  });
  var budget = document.getElementById("budget");
  var own = GROUPS.map(function (g) { return config.groups[g].short + " " + config.groups[g].budget; });
  budget.appendChild(el("option", {value: ""}, t("budget_own", {list: own.join(" / ")})));
  var choices = config.budgets.slice();
  if (state.minutes !== null && choices.indexOf(state.minutes) < 0) {
    choices.push(state.minutes);
    choices.sort(function (a, b) { return a - b; });
  }
  choices.forEach(function (m) { budget.appendChild(el("option", {value: String(m)}, t("min", {n: m}))); });
  budget.value = state.minutes === null ? "" : String(state.minutes);
  document.getElementById("demo-budget").hidden = !(config.defaultMinutes && state.minutes === config.defaultMinutes);
  budget.addEventListener("change", function () {
    state.minutes = budget.value === "" ? null : Number(budget.value);
    document.getElementById("demo-budget").hidden = true;
    document.getElementById("s-minutes").value = state.minutes === null ? "" : String(state.minutes);
    syncUrl();
    loadCoverage();
  });

  function setGroup(g) {
    if (!config.groups[g]) return;
    state.group = g;
    state.selectedGap = null;
    Array.prototype.forEach.call(chips.children, function (c) {
      c.setAttribute("aria-checked", String(c.dataset.group === g));
    });
    document.body.dataset.group = g;
    syncUrl();
    drawCells();
    drawGaps();
    renderCards();
    renderGapList();
    renderHourbar();
    syncSitingDefaults();
  }

  /* --- the coverage figures per group --- */
  function currentData() {
    if (state.hour !== null && state.timed[state.hour]) return state.timed[state.hour];
    return state.data;
  }
  function figures(g) {
    var base = state.data && state.data.groups[g];
    if (!base) return null;
    if (state.hour === null) return {share: base.share, covered: base.covered, total: base.total};
    var timed = state.timed[state.hour];
    if (timed && timed.groups[g]) {
      return {share: timed.groups[g].share, covered: timed.groups[g].covered, total: base.total};
    }
    var share = base.by_hour[state.hour];
    return {share: share, covered: share * base.total, total: base.total};
  }
  function lowestOnShift(entry) {
    var best = null;
    (entry.shift_hours || []).forEach(function (h) {
      if (best === null || entry.by_hour[h] < entry.by_hour[best] - 1e-9) best = h;
    });
    return best;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  /* Contiguous working hours as [start, end) runs. */
  function shiftRuns(hours) {
    var runs = [];
    hours.slice().sort(function (a, b) { return a - b; }).forEach(function (h) {
      var last = runs[runs.length - 1];
      if (last && last[1] === h) last[1] = h + 1; else runs.push([h, h + 1]);
    });
    return runs;
  }

  /* A 24-hour share curve: shift hours shaded, the lowest hour on shift marked. */
  function sparkline(g, entry, width, height) {
    var pad = 3, w = width - 2 * pad, h = height - 2 * pad;
    var root = svg("svg", {viewBox: "0 0 " + width + " " + height, width: width, height: height,
                           class: "spark", role: "img", "aria-label": t("hour")});
    var color = config.groups[g].color;
    var step = w / 24;
    shiftRuns(entry.shift_hours || []).forEach(function (run) {
      root.appendChild(svg("rect", {x: pad + run[0] * step, y: pad, width: (run[1] - run[0]) * step,
                                    height: h, fill: color, "fill-opacity": 0.09}));
    });
    root.appendChild(svg("line", {x1: pad, x2: pad + w, y1: pad, y2: pad, stroke: "#d0d5dd",
                                  "stroke-dasharray": "2 2", "stroke-width": 1}));
    var points = entry.by_hour.map(function (s, hr) {
      return (pad + (hr + 0.5) * step).toFixed(1) + "," + (pad + h - s * h).toFixed(1);
    });
    root.appendChild(svg("polyline", {points: points.join(" "), fill: "none", stroke: color,
                                      "stroke-width": 1.8, "stroke-linejoin": "round"}));
    var low = lowestOnShift(entry);
    if (low !== null && entry.by_hour[low] < 0.999) {
      root.appendChild(svg("circle", {cx: pad + (low + 0.5) * step, cy: pad + h - entry.by_hour[low] * h,
                                      r: 2.6, fill: "#d92d20", stroke: "#fff", "stroke-width": 1}));
    }
    if (state.hour !== null) {
      root.appendChild(svg("line", {x1: pad + (state.hour + 0.5) * step, x2: pad + (state.hour + 0.5) * step,
                                    y1: pad, y2: pad + h, stroke: "#101828", "stroke-width": 1.2}));
    }
    return root;
  }

  function renderCards() {
    var box = Y.clear(document.getElementById("group-cards"));
    var data = state.data;
    if (!data) return;
    GROUPS.forEach(function (g) {
      var entry = data.groups[g], info = config.groups[g];
      if (!entry) return;
      var f = figures(g);
      var low = lowestOnShift(entry);
      var card = el("button", {type: "button", class: "gcard", dataset: {group: g},
                               "aria-pressed": String(g === state.group), onclick: function () { setGroup(g); }},
        el("span", {class: "gcard-head"},
          el("span", {class: "gdot", "aria-hidden": "true"}),
          el("span", {class: "gcard-name"}, info.label),
          el("span", {class: "gcard-meta"}, t("by", {mode: modeText(info.mode), m: t("min", {n: entry.budget})}))),
        el("span", {class: "gcard-body"},
          el("span", {class: "gcard-figure"},
            el("strong", {class: "gcard-share", dataset: {figure: "share"}}, pct(f.share)),
            el("span", {class: "gcard-label"}, state.hour === null ? t("share") : t("share") + " · " + hourText(state.hour))),
          sparkline(g, entry, 150, 44)),
        el("span", {class: "gcard-line", dataset: {figure: "covered"}},
           t("covered_of", {c: count(f.covered), t: count(f.total)})),
        el("span", {class: "meter", "aria-hidden": "true"}, el("span", {class: "meter-fill"})),
        low !== null && entry.by_hour[low] < entry.share - 0.0005
          ? el("span", {class: "gcard-line warn"}, Y.icon("clock"),
               t("lowest", {h: hourText(low), s: pct(entry.by_hour[low])}))
          : null,
        entry.off_network > 0.5 ? el("span", {class: "gcard-line muted"}, t("off_network", {n: count(entry.off_network)})) : null);
      card.querySelector(".gdot").style.background = info.color;
      var fill = card.querySelector(".meter-fill");
      fill.style.width = (Math.max(0, Math.min(1, f.share)) * 100).toFixed(1) + "%";
      fill.style.background = shareColor(f.share);
      box.appendChild(card);
    });
    Object.keys(data.skipped || {}).forEach(function (g) {
      box.appendChild(el("p", {class: "muted small"}, groupShort(g) + ": " + data.skipped[g]));
    });
  }

  /* --- the hour bar --- */
  var hourInput = document.getElementById("hour");
  var anyTime = document.getElementById("any-time");
  function renderHourbar() {
    var entry = state.data && state.data.groups[state.group];
    var chart = Y.clear(document.getElementById("hour-chart"));
    anyTime.setAttribute("aria-pressed", String(state.hour === null));
    document.getElementById("hourbar").classList.toggle("is-any", state.hour === null);
    if (state.hour !== null) hourInput.value = String(state.hour);
    var value = document.getElementById("hour-value");
    if (!entry) { value.textContent = ""; return; }
    // bar centres sit where the slider's thumb is for that hour (the chart is inset like the thumb)
    var width = 480, height = 46, step = width / 23, bw = step * 0.72, color = config.groups[state.group].color;
    var root = svg("svg", {viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none",
                           class: "hour-bars", role: "img", "aria-label": t("hour")});
    entry.by_hour.forEach(function (s, hr) {
      var on = (entry.shift_hours || []).indexOf(hr) >= 0;
      var bh = Math.max(1.5, s * (height - 4));
      var bar = svg("rect", {x: hr * step - bw / 2, y: height - bh, width: bw, height: bh, rx: 2,
                             fill: state.hour === hr ? "#101828" : color,
                             "fill-opacity": state.hour === hr ? 1 : on ? 0.85 : 0.28});
      var title = svg("title", {});
      title.textContent = hourText(hr) + " · " + pct(s);
      bar.appendChild(title);
      root.appendChild(bar);
    });
    chart.appendChild(root);
    var f = figures(state.group);
    value.textContent = (state.hour === null ? t("any_time") : hourText(state.hour)) + " · " +
      groupShort(state.group) + " " + pct(f ? f.share : null);
  }
  function setHour(hour) {
    if (hour === state.hour) return;
    state.hour = hour;
    syncUrl();
    restyleCells();
    renderCards();
    renderHourbar();
    renderGapList();
    drawGaps();
    loadOpenStations();
    if (hour !== null && !state.timed[hour]) loadTimedSoon();
  }
  hourInput.addEventListener("input", function () { setHour(Number(hourInput.value)); });
  hourInput.addEventListener("change", function () { setHour(Number(hourInput.value)); });
  hourInput.addEventListener("pointerdown", function () { if (state.hour === null) setHour(Number(hourInput.value)); });
  anyTime.addEventListener("click", function () { setHour(null); });

  /* The exact answer at HH:30 (gaps at that hour, travel times), shortly after the slider rests. */
  var timedTimer = null;
  function loadTimedSoon() {
    clearTimeout(timedTimer);
    timedTimer = setTimeout(function () {
      var hour = state.hour, seq = state.seq;
      if (hour === null || state.timed[hour] || !state.data) return;
      document.body.dataset.busy = "1";
      Y.api(coverageUrl(hourText(hour))).then(function (answer) {
        if (seq !== state.seq) return;
        state.timed[hour] = answer;
        if (state.hour === hour) {
          drawCells(); drawGaps(); renderCards(); renderGapList(); renderHourbar();
        }
      }).catch(function () {}).then(function () { document.body.dataset.busy = "0"; });
    }, 220);
  }

  /* --- loading coverage --- */
  function coverageUrl(at) {
    var q = new URLSearchParams();
    if (state.minutes !== null) q.set("minutes", String(state.minutes));
    if (at) q.set("at", at);
    return "/api/coverage?" + q.toString();
  }
  function mapStatus(text, warn) {
    var box = document.getElementById("map-status");
    Y.clear(box);
    box.hidden = !text;
    box.classList.toggle("warn", !!warn);
    if (text) box.appendChild(el("span", {}, text));
    return box;
  }
  function loadCoverage() {
    var seq = ++state.seq;
    state.timed = {};
    document.body.dataset.busy = "1";
    mapStatus(t("loading"));
    document.getElementById("coverage-status").textContent = "";
    return Y.api(coverageUrl(null)).then(function (data) {
      if (seq !== state.seq) return;
      var first = !state.data;
      state.data = data;
      mapStatus("");
      if (!state.group || !data.groups[state.group]) state.group = worstGroup(data);
      setGroup(state.group);
      if (first) fitData();
      if (state.hour !== null) { loadOpenStations(); loadTimedSoon(); }
      document.body.dataset.ready = "1";
    }).catch(function (err) {
      if (seq !== state.seq) return;
      var message = err.status === 404 || err.status === 409 ? t("no_demand", {e: err.message}) : (err.message || t("error"));
      var box = mapStatus(message, true);
      box.appendChild(el("button", {type: "button", class: "button small", onclick: loadCoverage}, t("retry")));
      document.getElementById("coverage-status").textContent = message;
      document.body.dataset.ready = "1";
    }).then(function () { if (seq === state.seq) document.body.dataset.busy = "0"; });
  }
  function worstGroup(data) {
    var best = null;
    GROUPS.forEach(function (g) {
      var e = data.groups[g];
      if (e && e.total > 0 && (best === null || e.share < data.groups[best].share - 1e-9)) best = g;
    });
    return best || GROUPS.filter(function (g) { return data.groups[g]; })[0] || GROUPS[0];
  }

  /* --- tabs --- */
  function setTab(tab) {
    state.tab = tab;
    TABS.forEach(function (name) {
      document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === tab));
      document.getElementById("pane-" + name).hidden = name !== tab;
    });
    if (tab === "reports" || tab === "stations") placeSignin(tab);
    if (tab === "reports" && state.signedIn) loadReports();
    document.body.dataset.tab = tab;
    syncUrl();
  }
  TABS.forEach(function (name) {
    document.getElementById("tab-" + name).addEventListener("click", function () { setTab(name); });
  });
  document.querySelector(".tabs").addEventListener("keydown", function (e) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    var i = TABS.indexOf(state.tab) + (e.key === "ArrowRight" ? 1 : -1);
    var next = TABS[(i + TABS.length) % TABS.length];
    setTab(next);
    document.getElementById("tab-" + next).focus();
  });

  /* The address keeps the view (group, budget, hour, tab), so that a link shows the same. */
  function syncUrl() {
    var q = new URLSearchParams();
    q.set("lang", config.lang);
    if (state.group) q.set("group", state.group);
    q.set("minutes", state.minutes === null ? "" : String(state.minutes));
    if (state.hour !== null) q.set("hour", String(state.hour));
    if (state.tab !== "coverage") q.set("tab", state.tab);
    window.history.replaceState(null, "", window.location.pathname + "?" + q.toString());
    var other = new URLSearchParams(q);
    other.set("lang", zh ? "en" : "zh");
    var link = document.querySelector(".lang-switch");
    if (link) link.setAttribute("href", window.location.pathname + "?" + other.toString());
  }

  /* --- siting --- */
  var sKind = document.getElementById("s-kind");
  KINDS.forEach(function (k) {
    sKind.appendChild(el("option", {value: k}, config.kindsLong[k]));
  });
  var sGroups = document.getElementById("s-groups");
  var how = "add";
  function renderSitingGroups(keep) {
    var kind = sKind.value, before = {};
    Array.prototype.forEach.call(sGroups.querySelectorAll("input"), function (b) { before[b.value] = b.checked; });
    Y.clear(sGroups);
    GROUPS.forEach(function (g) {
      var info = config.groups[g];
      if (info.kinds.indexOf(kind) < 0 || !info.network) return;
      var checked = keep && g in before ? before[g] : g === state.group;
      sGroups.appendChild(el("label", {class: "check"},
        el("input", {type: "checkbox", name: "group", value: g, checked: checked}), info.short));
    });
    if (!sGroups.querySelector("input:checked")) {
      Array.prototype.forEach.call(sGroups.querySelectorAll("input"), function (b) { b.checked = true; });
    }
  }
  function syncSitingDefaults() {
    if (state.plan) return;  // keep what the planner chose for the run on screen
    var kinds = config.groups[state.group] ? config.groups[state.group].kinds : [];
    if (kinds.length) sKind.value = kinds[0];
    renderSitingGroups(false);
  }
  sKind.addEventListener("change", function () { renderSitingGroups(false); });
  Array.prototype.forEach.call(document.querySelectorAll("#s-how [role=radio]"), function (b) {
    b.addEventListener("click", function () {
      how = b.dataset.how;
      Array.prototype.forEach.call(document.querySelectorAll("#s-how [role=radio]"), function (o) {
        o.setAttribute("aria-checked", String(o === b));
      });
      document.getElementById("s-add-field").hidden = how !== "add";
      document.getElementById("s-target-field").hidden = how !== "target";
    });
  });
  document.getElementById("s-minutes").value = state.minutes === null ? "" : String(state.minutes);

  var proposalLayer = L.layerGroup().addTo(map);
  function proposalIcon(rank) {
    return L.divIcon({html: el("span", {class: "prop-body"}, el("span", {class: "prop-rank"}, String(rank))),
                      className: "prop", iconSize: [34, 34], iconAnchor: [17, 17]});
  }

  document.getElementById("siting-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var error = document.getElementById("s-error");
    error.hidden = true;
    var groups = Array.prototype.filter.call(sGroups.querySelectorAll("input"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    if (!groups.length) { error.textContent = t("no_group"); error.hidden = false; return; }
    var body = {kind: sKind.value, group: groups, curve: 10};
    if (how === "add") body.add = Number(document.getElementById("s-add").value);
    else body.target = Number(document.getElementById("s-target").value) / 100;
    var minutes = document.getElementById("s-minutes").value.trim();
    if (minutes !== "") body.minutes = Number(minutes);
    var run = document.getElementById("s-run");
    run.disabled = true;
    run.textContent = t("running");
    document.body.dataset.plan = "running";
    Y.api("/api/plan", {method: "POST", body: body}).then(function (answer) {
      state.plan = answer;
      renderPlan(answer, body);
      document.body.dataset.plan = "done";
      var result = document.getElementById("plan-result"), panes = document.getElementById("panes");
      panes.scrollTo({top: result.offsetTop - panes.offsetTop - 8, behavior: "smooth"});
    }).catch(function (err) {
      error.textContent = (err.parameter ? err.parameter + ": " : "") + (err.message || t("error"));
      error.hidden = false;
      document.body.dataset.plan = "error";
    }).then(function () { run.disabled = false; run.textContent = t("run"); });
  });

  function renderPlan(answer, asked) {
    var box = Y.clear(document.getElementById("plan-result"));
    box.hidden = false;
    proposalLayer.clearLayers();
    var head = el("div", {class: "plan-head"},
      el("span", {class: "badge " + (answer.optimal ? "open" : "unknown")},
         answer.optimal ? t("optimal") : t("not_optimal", {p: pct(answer.gap, 1)})),
      el("span", {class: "muted small"}, t("took", {n: answer.candidates, s: answer.elapsed_s})));
    box.appendChild(head);
    if (answer.note) box.appendChild(el("p", {class: "note"}, t("none_needed")));
    else if (!answer.sites.length && asked.target !== undefined) box.appendChild(el("p", {class: "note"}, t("target_met")));
    else if (asked.add !== undefined && answer.sites.length < asked.add) {
      box.appendChild(el("p", {class: "note"}, t("fewer", {n: answer.sites.length})));
    }
    /* before and after, per group */
    box.appendChild(el("h3", {class: "section"}, t("before_after")));
    var rows = el("ul", {class: "ba-list"});
    answer.groups.forEach(function (g) {
      var b = answer.before[g], a = answer.after[g], total = answer.totals[g] || 0;
      var bar = el("span", {class: "ba-bar", "aria-hidden": "true"},
        el("span", {class: "ba-after"}), el("span", {class: "ba-before"}));
      bar.querySelector(".ba-before").style.width = (b * 100).toFixed(1) + "%";
      bar.querySelector(".ba-after").style.width = (a * 100).toFixed(1) + "%";
      bar.querySelector(".ba-after").style.background = config.groups[g].color;
      var gained = (a - b) * total;
      rows.appendChild(el("li", {class: "ba-row", dataset: {group: g}},
        el("span", {class: "ba-name"}, el("span", {class: "gdot", "aria-hidden": "true"}), groupShort(g)),
        el("span", {class: "ba-figures"},
          el("span", {class: "ba-before-text", dataset: {figure: "before"}}, pct(b)),
          el("span", {class: "arrow", "aria-hidden": "true"}, " → "),
          el("strong", {class: "ba-after-text", dataset: {figure: "after"}}, pct(a)),
          gained > 0.05 ? el("span", {class: "ba-gain"}, t("gain", {n: count(gained)})) : null),
        bar));
      rows.lastChild.querySelector(".gdot").style.background = config.groups[g].color;
    });
    box.appendChild(rows);
    /* the proposed sites */
    if (answer.sites.length) {
      box.appendChild(el("h3", {class: "section"}, t("proposed")));
      var list = el("ol", {class: "site-list"});
      var bounds = [];
      answer.sites.forEach(function (site) {
        var ll = toLatLng(site.lon, site.lat);
        bounds.push(ll);
        var marker = L.marker(ll, {icon: proposalIcon(site.rank), zIndexOffset: 1000, riseOnHover: true,
                                   title: t("site", {n: site.rank}), alt: t("site", {n: site.rank})});
        marker.bindTooltip(t("site", {n: site.rank}) + " · " + t("site_gain", {n: count(site.newly_covered)}),
                           {direction: "top", offset: [0, -14], className: "yz-tip"});
        marker.addTo(proposalLayer);
        var per = answer.groups.length < 2 ? [] : answer.groups.filter(function (g) { return site["new_" + g] > 0.05; })
          .map(function (g) { return groupShort(g) + " " + count(site["new_" + g]); });
        list.appendChild(el("li", {},
          el("button", {type: "button", class: "site-item", onclick: function () {
            map.setView(ll, Math.max(map.getZoom(), 16));
            marker.openTooltip();
          }},
            el("span", {class: "site-rank"}, String(site.rank)),
            el("span", {class: "site-body"},
              el("strong", {}, t("site", {n: site.rank})),
              el("span", {class: "muted small"}, t("site_gain", {n: count(site.newly_covered)}) +
                 (per.length ? " · " + per.join(" · ") : "")),
              el("span", {class: "coords"}, site.lat.toFixed(5) + ", " + site.lon.toFixed(5))))));
      });
      box.appendChild(list);
      showAll(bounds);
    }
    /* the coverage curve */
    if (answer.curve && answer.curve.length) box.appendChild(curveChart(answer));
    /* downloads */
    if (answer.downloads) {
      box.appendChild(el("h3", {class: "section"}, t("downloads")));
      box.appendChild(el("div", {class: "downloads"},
        el("a", {class: "button small", href: answer.downloads.geojson, download: "", dataset: {format: "geojson"}}, "GeoJSON"),
        el("a", {class: "button small", href: answer.downloads.csv, download: "", dataset: {format: "csv"}}, "CSV"),
        el("a", {class: "button small", href: answer.downloads.xlsx, download: "", dataset: {format: "xlsx"}}, "Excel (XLSX)")));
    }
    document.body.dataset.proposed = String(answer.sites.length);
  }

  function curveChart(answer) {
    var total = 0, covered = 0;
    answer.groups.forEach(function (g) {
      total += answer.totals[g] || 0;
      covered += (answer.before[g] || 0) * (answer.totals[g] || 0);
    });
    var points = [{n: 0, share: total ? covered / total : 0}].concat(answer.curve.map(function (c) {
      return {n: c.new_stations, share: c.share};
    }));
    var width = 340, height = 120, left = 34, right = 8, top = 10, bottom = 22;
    var lo = Math.min.apply(null, points.map(function (p) { return p.share; }));
    lo = Math.max(0, Math.floor(lo * 20) / 20 - 0.05);
    var hi = 1;
    var xs = function (n) { return left + n / (points.length - 1 || 1) * (width - left - right); };
    var ys = function (s) { return top + (hi - s) / (hi - lo || 1) * (height - top - bottom); };
    var root = svg("svg", {viewBox: "0 0 " + width + " " + height, class: "curve", role: "img",
                           "aria-label": t("curve")});
    [lo, (lo + hi) / 2, hi].forEach(function (s) {
      root.appendChild(svg("line", {x1: left, x2: width - right, y1: ys(s), y2: ys(s), stroke: "#eaecf0"}));
      var label = svg("text", {x: left - 4, y: ys(s) + 3, "text-anchor": "end", class: "axis"});
      label.textContent = Math.round(s * 100) + "%";
      root.appendChild(label);
    });
    var chosen = answer.sites.length;
    root.appendChild(svg("polyline", {points: points.map(function (p) { return xs(p.n) + "," + ys(p.share); }).join(" "),
                                      fill: "none", stroke: "#c11574", "stroke-width": 2}));
    points.forEach(function (p) {
      var dot = svg("circle", {cx: xs(p.n), cy: ys(p.share), r: p.n === chosen ? 4.5 : 2.8,
                               fill: p.n === chosen ? "#c11574" : "#fff", stroke: "#c11574", "stroke-width": 1.6});
      var title = svg("title", {});
      title.textContent = p.n + " · " + pct(p.share);
      dot.appendChild(title);
      root.appendChild(dot);
      var tick = svg("text", {x: xs(p.n), y: height - 6, "text-anchor": "middle", class: "axis"});
      tick.textContent = String(p.n);
      root.appendChild(tick);
    });
    return el("figure", {class: "curve-box"}, el("figcaption", {class: "section"}, t("curve")), root);
  }

  /* --- sign-in --- */
  var signin = document.getElementById("signin");
  function placeSignin(tab) {
    var slot = document.querySelector("#pane-" + tab + " .signin-slot");
    if (slot && signin.parentNode !== slot) slot.appendChild(signin);
    signin.hidden = state.signedIn;
    document.getElementById("signin-disabled").hidden = state.signinEnabled;
    document.getElementById("signin-form").hidden = !state.signinEnabled;
    document.getElementById("signin-why").hidden = !state.signinEnabled;
    document.getElementById("editor").hidden = !state.signedIn;
    document.getElementById("report-list").hidden = !state.signedIn;
  }
  function afterSession(s) {
    state.signedIn = !!s.planner;
    state.signinEnabled = !!s.enabled;
    document.body.dataset.planner = state.signedIn ? "1" : "0";
    if (state.tab === "reports" || state.tab === "stations") placeSignin(state.tab);
    if (state.signedIn) { loadReports(); renderStationList(); }
    else {
      document.getElementById("count-reports").hidden = true;
      stopEditing();
    }
  }
  Y.api("/api/session").then(afterSession).catch(function () {});
  document.getElementById("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var error = document.getElementById("signin-error");
    Y.api("/api/login", {method: "POST", body: {password: document.getElementById("password").value}})
      .then(function () {
        error.hidden = true;
        document.getElementById("password").value = "";
        afterSession({planner: true, enabled: true});
      })
      .catch(function (err) {
        error.textContent = err.status === 401 ? t("wrong") : err.message;
        error.hidden = false;
      });
  });
  document.getElementById("signout").addEventListener("click", function () {
    Y.api("/api/logout", {method: "POST"}).then(function () { afterSession({planner: false, enabled: true}); });
  });

  /* --- workers' reports --- */
  function stationById(id) {
    for (var i = 0; i < state.stations.length; i++) if (state.stations[i].id === id) return state.stations[i];
    return null;
  }
  /* The registry keeps UTC; a time without an offset is UTC. Shown in the browser's zone. */
  function when(iso) {
    if (!iso) return "";
    var d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
    if (isNaN(d.getTime())) return iso.slice(0, 16).replace("T", " ");
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function loadReports() {
    if (!state.signedIn) return;
    Y.api("/api/reports?limit=200").then(function (r) {
      var list = Y.clear(document.getElementById("report-list"));
      var badge = document.getElementById("count-reports");
      badge.hidden = !r.reports.length;
      badge.textContent = String(r.reports.length);
      if (!r.reports.length) list.appendChild(el("li", {class: "empty"}, t("reports_none")));
      r.reports.forEach(function (item) {
        var f = stationById(item.station_id);
        var name = f ? f.properties.name : item.station_id;
        list.appendChild(el("li", {class: "report-item", dataset: {id: String(item.id)}},
          el("div", {class: "report-top"},
            el("span", {class: "report-kind kind-" + item.kind}, config.reportKinds[item.kind] || item.kind),
            el("time", {class: "muted small", datetime: item.created_at}, when(item.created_at))),
          el("button", {type: "button", class: "report-station link-like", onclick: function () {
            var m = state.markers[item.station_id];
            if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 17)); m.openPopup(); }
          }}, f ? el("span", {class: "kind-dot kind-" + f.properties.kind}) : null, name),
          item.text ? el("p", {class: "report-text"}, item.text) : null));
      });
    }).catch(function () {});
  }

  /* --- station editing (planners) --- */
  var form = document.getElementById("station-form");
  var formError = document.getElementById("form-error");
  var browser = document.getElementById("station-browser");
  var search = document.getElementById("station-search");
  var draftMarker = null;
  KINDS.forEach(function (k) {
    document.getElementById("f-kind").appendChild(el("option", {value: k}, config.kinds[k].label));
  });
  Object.keys(config.services).forEach(function (s) {
    document.getElementById("f-services").appendChild(el("label", {class: "check"},
      el("input", {type: "checkbox", name: "services", value: s}), config.services[s]));
  });
  document.getElementById("form-back").appendChild(Y.icon("back"));
  document.getElementById("form-back").appendChild(document.createTextNode(t("back")));

  function renderStationList() {
    var list = Y.clear(document.getElementById("station-list"));
    var q = search.value.trim().toLowerCase();
    state.stations.filter(function (f) {
      var p = f.properties;
      return !q || (p.name + " " + f.id + " " + p.address).toLowerCase().indexOf(q) >= 0;
    }).forEach(function (f) {
      list.appendChild(el("li", {},
        el("button", {type: "button", dataset: {id: f.id}, "aria-current": String(state.editing === f.id),
                      onclick: function () { editStation(f.id); }},
          el("span", {class: "kind-dot kind-" + f.properties.kind}),
          el("span", {class: "station-name"}, f.properties.name))));
    });
  }
  search.addEventListener("input", renderStationList);

  function fill(p, lon, lat) {
    form.elements.name.value = p.name || "";
    form.elements.kind.value = p.kind || "outdoor_rest_point";
    form.elements.capacity.value = p.capacity === null || p.capacity === undefined ? "" : p.capacity;
    form.elements.address.value = p.address || "";
    form.elements.hours.value = p.hours || "";
    form.elements.phone.value = p.phone || "";
    setCoords(lon, lat);
    Array.prototype.forEach.call(form.querySelectorAll("input[name=services]"), function (box) {
      box.checked = (p.services || []).indexOf(box.value) >= 0;
    });
  }
  function setCoords(lon, lat) {
    form.elements.lon.value = lon === undefined ? "" : Number(lon).toFixed(7);
    form.elements.lat.value = lat === undefined ? "" : Number(lat).toFixed(7);
  }
  function openForm(title, isNew) {
    browser.hidden = true;
    form.hidden = false;
    formError.hidden = true;
    document.getElementById("form-title").textContent = title;
    document.getElementById("close-station").hidden = isNew;
    document.getElementById("move-note").textContent = isNew ? t("picking") : t("move_hint");
  }
  function editStation(id) {
    var f = stationById(id);
    if (!f || !state.signedIn) return;
    clearDraft();
    state.editing = id;
    openForm(t("edit_station"), false);
    fill(f.properties, f.geometry.coordinates[0], f.geometry.coordinates[1]);
    drawStations();
    renderStationList();
    document.getElementById("plan-map").classList.add("editing");
    var m = state.markers[id];
    if (m) map.setView(m.getLatLng(), Math.max(map.getZoom(), 16.5));
    loadHistory(id);
    document.body.dataset.editing = id;
  }
  function stopEditing() {
    clearDraft();
    setPicking(false);
    state.editing = null;
    form.hidden = true;
    browser.hidden = false;
    document.getElementById("plan-map").classList.remove("editing");
    drawStations();
    renderStationList();
    delete document.body.dataset.editing;
  }
  function clearDraft() {
    if (draftMarker) { map.removeLayer(draftMarker); draftMarker = null; }
  }
  /* A new position, from dragging the marker or clicking the map (saved with the form). */
  function moveDraft(latlng) {
    var ll = fromLatLng(latlng);
    setCoords(ll[0], ll[1]);
    if (state.editing === "new") {
      if (!draftMarker) {
        draftMarker = L.marker(latlng, {icon: stationIcon(form.elements.kind.value, false, true),
                                        draggable: true, zIndexOffset: 900}).addTo(map);
        draftMarker.on("dragend", function () { moveDraft(draftMarker.getLatLng()); });
      } else draftMarker.setLatLng(latlng);
    } else if (state.markers[state.editing]) {
      state.markers[state.editing].setLatLng(latlng);
    }
    document.getElementById("move-note").textContent = t("moved");
  }
  function setPicking(on) {
    state.picking = on;
    document.getElementById("plan-map").classList.toggle("picking", on);
    document.getElementById("pick-on-map").setAttribute("aria-pressed", String(on));
    if (on) document.getElementById("move-note").textContent = t("picking");
  }
  document.getElementById("pick-on-map").addEventListener("click", function () { setPicking(!state.picking); });
  map.on("click", function (e) {
    if (!state.picking || !state.editing) return;
    moveDraft(e.latlng);
    setPicking(false);
  });
  document.getElementById("new-station").addEventListener("click", function () {
    clearDraft();
    state.editing = "new";
    openForm(t("new_station"), true);
    fill({services: ["rest", "drinking_water", "toilet"], hours: "24/7"}, undefined, undefined);
    Y.clear(document.getElementById("history"));
    Y.clear(document.getElementById("station-reports"));
    drawStations();
    document.getElementById("plan-map").classList.add("editing");
    setPicking(true);
  });
  form.elements.kind.addEventListener("change", function () {
    if (draftMarker) draftMarker.setIcon(stationIcon(form.elements.kind.value, false, true));
  });
  document.getElementById("form-back").addEventListener("click", stopEditing);
  document.getElementById("form-cancel").addEventListener("click", stopEditing);

  function loadHistory(id) {
    var history = Y.clear(document.getElementById("history"));
    var reports = Y.clear(document.getElementById("station-reports"));
    Y.api("/api/stations/" + encodeURIComponent(id) + "/history").then(function (h) {
      h.history.slice().reverse().forEach(function (item) {
        history.appendChild(el("li", {}, when(item.at) + " · " + t("act_" + item.action) + " · " + item.source));
      });
    }).catch(function () {});
    Y.api("/api/reports?station_id=" + encodeURIComponent(id)).then(function (r) {
      if (!r.reports.length) reports.appendChild(el("li", {class: "muted"}, t("none")));
      r.reports.forEach(function (item) {
        reports.appendChild(el("li", {}, when(item.created_at) + " · " +
          (config.reportKinds[item.kind] || item.kind) + (item.text ? " · " + item.text : "")));
      });
    }).catch(function () {});
  }

  function formBody() {
    var cap = form.elements.capacity.value.trim();
    var lon = form.elements.lon.value.trim(), lat = form.elements.lat.value.trim();
    return {
      name: form.elements.name.value, kind: form.elements.kind.value,
      capacity: cap === "" ? null : Number(cap),
      address: form.elements.address.value, hours: form.elements.hours.value,
      phone: form.elements.phone.value,
      lon: lon === "" ? null : Number(lon), lat: lat === "" ? null : Number(lat),
      services: Array.prototype.filter.call(form.querySelectorAll("input[name=services]"),
        function (b) { return b.checked; }).map(function (b) { return b.value; })
    };
  }
  /* After a change: the stations, the coverage (a new registry version) and the open plan. */
  function afterChange(message, id) {
    Y.toast(message);
    state.plan = null;
    proposalLayer.clearLayers();
    document.getElementById("plan-result").hidden = true;
    return loadStations().then(function () {
      loadCoverage();
      if (id) editStation(id); else stopEditing();
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    formError.hidden = true;
    var isNew = state.editing === "new";
    var request = isNew
      ? Y.api("/api/stations", {method: "POST", body: formBody()})
      : Y.api("/api/stations/" + encodeURIComponent(state.editing), {method: "PATCH", body: formBody()});
    request.then(function (f) {
      clearDraft();
      return afterChange(isNew ? t("created") : t("saved"), f.id);
    }).catch(function (err) {
      formError.textContent = (err.parameter ? err.parameter + ": " : "") + err.message;
      formError.hidden = false;
    });
  });
  document.getElementById("close-station").addEventListener("click", function () {
    var id = state.editing;
    if (!id || id === "new" || !window.confirm(t("confirm_close"))) return;
    Y.api("/api/stations/" + encodeURIComponent(id), {method: "DELETE"}).then(function () {
      return afterChange(t("closed_toast"), null);
    }).catch(function (err) { formError.textContent = err.message; formError.hidden = false; });
  });

  /* --- the legend --- */
  var Legend = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var ramp = el("span", {class: "legend-ramp", "aria-hidden": "true"});
      return el("div", {class: "legend"},
        el("strong", {class: "legend-title"}, t("legend")),
        ramp,
        el("span", {class: "legend-scale"}, el("span", {}, "0%"), el("span", {}, "50%"), el("span", {}, "100%")),
        el("span", {class: "legend-note"}, t("legend_more")),
        el("span", {class: "legend-row"}, el("span", {class: "st kind-outdoor_rest_point legend-st"}, el("span", {class: "st-dot"})), t("legend_stations")),
        el("span", {class: "legend-row"}, el("span", {class: "st is-closed kind-outdoor_rest_point legend-st"}, el("span", {class: "st-dot"})), t("legend_closed")),
        el("span", {class: "legend-row"}, el("span", {class: "legend-prop"}), t("legend_proposed")),
        el("span", {class: "legend-row"}, el("span", {class: "legend-gap"}), t("legend_gap")));
    }
  });
  new Legend().addTo(map);

  /* --- start --- */
  fitRegion();
  setTab(state.tab);
  renderHourbar();
  loadStations().catch(function () {});
  loadCoverage();
  window.addEventListener("resize", function () { map.invalidateSize(); });

  window.yizhanPlan = {map: map, state: state, setHour: setHour, setGroup: setGroup, toLatLng: toLatLng};
})();
