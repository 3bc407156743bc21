/* The stations on the planner's map: grey when closed at the hour shown, the one being edited
   draggable; a popup with an edit button for planners. */
import {api, config, el, fmtHours, t, toLatLng} from "../common.js";
import {editingId, moveDraft, session} from "../editor.js";
import {map} from "./map.js";
import {hourText} from "./format.js";
import {emit, state} from "./state.js";

const L = window.L;
const stationLayer = L.layerGroup().addTo(map);

export function stationIcon(kind, closed, selected) {
  return L.divIcon({html: el("span", {class: "st-dot"}), className: "st kind-" + kind +
                    (closed ? " is-closed" : "") + (selected ? " is-selected" : ""),
                    iconSize: [16, 16], iconAnchor: [8, 8]});
}

function isClosed(id) { return state.hour !== null && state.openIds !== null && !state.openIds[id]; }

function stationPopup(f) {
  const p = f.properties;
  const box = el("div", {class: "st-popup"},
    el("strong", {class: "st-popup-name"}, p.name),
    el("span", {class: "st-popup-kind"}, el("span", {class: "kind-dot kind-" + p.kind}), config.kinds[p.kind].label),
    el("span", {class: "muted"}, fmtHours(p.hours)));
  if (isClosed(f.id)) box.appendChild(el("span", {class: "badge closed"}, t("station_closed_now")));
  if (session.signedIn) {
    box.appendChild(el("div", {class: "st-popup-actions"},
      el("button", {type: "button", class: "button small", onclick: () => {
        map.closePopup(); emit("edit", f.id);
      }}, t("edit")),
      // an A4 poster with the station's QR code, to print (geo.output.poster)
      el("a", {class: "button small", href: "/posters.pdf?station=" + encodeURIComponent(f.id),
               target: "_blank", rel: "noopener"}, t("poster"))));
  }
  return box;
}

export function drawStations() {
  stationLayer.clearLayers();
  state.markers = {};
  state.stations.forEach((f) => {
    const p = f.properties, c = f.geometry.coordinates;
    const selected = editingId() === f.id;
    const marker = L.marker(toLatLng(c[0], c[1]), {
      icon: stationIcon(p.kind, isClosed(f.id), selected), title: p.name, alt: p.name,
      riseOnHover: true, draggable: selected, zIndexOffset: selected ? 800 : 0, keyboard: true});
    marker.bindPopup(() => stationPopup(f), {className: "yz-popup", offset: [0, -4]});
    marker.on("dragend", () => moveDraft(marker.getLatLng()));
    marker.addTo(stationLayer);
    state.markers[f.id] = marker;
  });
  document.body.dataset.stations = String(state.stations.length);
}

function restyleStations() {
  state.stations.forEach((f) => {
    const m = state.markers[f.id];
    if (m) m.setIcon(stationIcon(f.properties.kind, isClosed(f.id), editingId() === f.id));
  });
}

export function loadStations() {
  return api("/api/stations").then((fc) => {
    state.stations = fc.features;
    drawStations();
    emit("stations");
  });
}

/* Which stations are open at the hour shown (all count at any time). */
export function loadOpenStations() {
  const data = state.data, hour = state.hour;
  if (hour === null || !data) { state.openIds = null; restyleStations(); return; }
  const when = data.day + "T" + hourText(hour);
  api("/api/stations?open_at=" + encodeURIComponent(when)).then((fc) => {
    if (state.hour !== hour) return;
    state.openIds = {};
    fc.features.forEach((f) => { state.openIds[f.id] = true; });
    restyleStations();
  }).catch(() => {});
}
