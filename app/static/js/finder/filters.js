/* The finder's filters: station kinds, open now, the services needed, and the travel mode. */
import {config, el, icon, t} from "../common.js";
import {applyMarkerFilters} from "./map.js";
import {search} from "./results.js";
import {state} from "./state.js";

const servicesButton = document.getElementById("services-button");
const servicesPanel = document.getElementById("services-panel");
const serviceChips = document.getElementById("service-chips");

function filtersChanged() {
  const count = document.getElementById("services-count");
  count.hidden = state.services.length === 0;
  count.textContent = String(state.services.length);
  servicesButton.setAttribute("aria-pressed", String(state.services.length > 0));
  applyMarkerFilters();
  search();
}

/* Add value to list or take it out; true when it is in afterwards. */
function toggle(list, value) {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1); else list.push(value);
  return i < 0;
}

export function servicesPanelOpen() { return !servicesPanel.hidden; }

export function toggleServicesPanel(open) {
  servicesPanel.hidden = !open;
  servicesButton.setAttribute("aria-expanded", String(open));
}

function kindName(k) {
  return k.label.indexOf(k.short) >= 0 ? k.label : k.short + "（" + k.label + "）";
}

function initKinds() {
  const box = document.getElementById("kind-chips");
  Object.keys(config.kinds).forEach((kind) => {
    const chip = el("button", {type: "button", class: "chip toggle kind-chip kind-" + kind,
                               "aria-pressed": "true", dataset: {kind}, title: config.kinds[kind].label,
                               // the visible short name first (WCAG 2.5.3), then the full one
                               "aria-label": kindName(config.kinds[kind]),
                               onclick: () => {
                                 chip.setAttribute("aria-pressed", String(toggle(state.kinds, kind)));
                                 filtersChanged();
                               }},
                    el("span", {class: "kind-swatch"}, icon(kind)),
                    el("span", {class: "kind-name"}, config.kinds[kind].short));
    box.appendChild(chip);
  });
  const openChip = document.getElementById("open-now");
  openChip.addEventListener("click", () => {
    state.openNow = !state.openNow;
    openChip.setAttribute("aria-pressed", String(state.openNow));
    filtersChanged();
  });
}

function initServices() {
  config.quickServices.forEach((service) => {
    const chip = el("button", {type: "button", class: "chip toggle", "aria-pressed": "false",
                               dataset: {service},
                               onclick: () => {
                                 chip.setAttribute("aria-pressed", String(toggle(state.services, service)));
                                 filtersChanged();
                               }}, config.services[service]);
    serviceChips.appendChild(chip);
  });
  servicesButton.addEventListener("click", () => toggleServicesPanel(servicesPanel.hidden));
  document.getElementById("services-done").addEventListener("click", () => toggleServicesPanel(false));
  document.getElementById("services-clear").addEventListener("click", () => {
    state.services = [];
    Array.from(serviceChips.children).forEach((c) => c.setAttribute("aria-pressed", "false"));
    filtersChanged();
  });
}

function initModes() {
  const modes = document.getElementById("modes");
  config.modes.forEach((mode) => {
    modes.appendChild(el("button", {type: "button", role: "radio", class: "mode",
                                    "aria-checked": String(mode === state.mode), dataset: {mode},
                                    onclick: () => {
                                      if (state.mode === mode) return;
                                      state.mode = mode;
                                      Array.from(modes.children).forEach((b) => {
                                        b.setAttribute("aria-checked", String(b.dataset.mode === mode));
                                      });
                                      search();
                                    }}, icon(mode), t("mode_" + mode)));
  });
  if (config.modes.length < 2) modes.hidden = true;
}

export function initFilters() {
  initKinds();
  initServices();
  initModes();
}
