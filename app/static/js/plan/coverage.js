/* Loading coverage (at any time, then exactly at HH:30 once the hour slider rests), and the
   controls that change what is shown: the group chips, the travel budget and the hour. */
import {api, clear, config, el, t} from "../common.js";
import {fitData} from "./map.js";
import {hourText} from "./format.js";
import {runJob} from "./jobs.js";
import {loadOpenStations} from "./stations.js";
import {GROUPS, emit, state, syncUrl} from "./state.js";

const chips = document.getElementById("group-chips");
const budget = document.getElementById("budget");
const hourInput = document.getElementById("hour");

export function setGroup(g) {
  if (!config.groups[g]) return;
  state.group = g;
  state.selectedGap = null;
  Array.from(chips.children).forEach((c) => c.setAttribute("aria-checked", String(c.dataset.group === g)));
  document.body.dataset.group = g;
  syncUrl();
  emit("group");
}

export function setHour(hour) {
  if (hour === state.hour) return;
  state.hour = hour;
  syncUrl();
  emit("hour");
  loadOpenStations();
  if (hour !== null && !state.timed[hour]) loadTimedSoon();
}

function coverageUrl(at) {
  const q = new URLSearchParams();
  if (state.minutes !== null) q.set("minutes", String(state.minutes));
  if (at) q.set("at", at);
  return "/api/coverage?" + q.toString();
}

/* The exact answer at HH:30 (gaps at that hour, travel times), shortly after the slider rests. */
let timedTimer = null;
function loadTimedSoon() {
  clearTimeout(timedTimer);
  timedTimer = setTimeout(() => {
    const hour = state.hour, seq = state.seq;
    if (hour === null || state.timed[hour] || !state.data) return;
    document.body.dataset.busy = "1";
    api(coverageUrl(hourText(hour))).then((answer) => {
      if (seq !== state.seq) return;
      state.timed[hour] = answer;
      if (state.hour === hour) emit("timed");
    }).catch((err) => {
      if (busy(err)) retryLater(err, loadTimedSoon);
    }).then(() => { document.body.dataset.busy = "0"; });
  }, 220);
}

/* The server is computing another analysis (503) or this browser asked too often (429). */
function busy(err) { return err.status === 503 || err.status === 429; }

/* Ask again once the server says it may answer (Retry-After), three times at most in a row. */
let retries = 0;
function retryLater(err, again) {
  if (retries >= 3) { retries = 0; return; }
  retries += 1;
  setTimeout(again, Math.min(Math.max(err.retryAfter || 5, 1), 60) * 1000);
}

function mapStatus(text, warn) {
  const box = clear(document.getElementById("map-status"));
  box.hidden = !text;
  box.classList.toggle("warn", !!warn);
  if (text) box.appendChild(el("span", {}, text));
  return box;
}

/* The group with the lowest share: where the planner should look first. */
function worstGroup(data) {
  let best = null;
  GROUPS.forEach((g) => {
    const e = data.groups[g];
    if (e && e.total > 0 && (best === null || e.share < data.groups[best].share - 1e-9)) best = g;
  });
  return best || GROUPS.filter((g) => data.groups[g])[0] || GROUPS[0];
}

/* Not signed in: the analyses are for planners, so the coverage tab shows the sign-in box. */
export function askSignin() {
  ++state.seq;
  state.needsSignin = true;
  mapStatus(t("signin_for_coverage"), true);
  document.getElementById("coverage-status").textContent = t("signin_for_coverage");
  emit("signin");
  document.body.dataset.ready = "1";
  document.body.dataset.busy = "0";
}

/* The coverage of the whole day is a job (a whole city takes a while): its stages, progress,
   place in the queue and a Cancel button show on the map; asking again cancels the one before. */
let coverageJob = null;
function coverageBody() {
  return state.minutes !== null ? {minutes: state.minutes} : {};
}

export function loadCoverage() {
  const seq = ++state.seq;
  state.timed = {};
  document.body.dataset.busy = "1";
  mapStatus(t("loading"));
  document.getElementById("coverage-status").textContent = "";
  if (coverageJob) coverageJob.cancel();
  coverageJob = runJob("coverage", coverageBody(), document.getElementById("c-job"));
  return coverageJob.promise.then((data) => {
    if (seq !== state.seq) return;
    retries = 0;
    state.needsSignin = false;
    const first = !state.data;
    state.data = data;
    mapStatus("");
    if (!state.group || !data.groups[state.group]) state.group = worstGroup(data);
    setGroup(state.group);
    if (first) fitData();
    if (state.hour !== null) { loadOpenStations(); loadTimedSoon(); }
    document.body.dataset.ready = "1";
  }).catch((err) => {
    if (seq !== state.seq) return;
    if (err.status === 401) { askSignin(); return; }  // signed out meanwhile
    if (err.cancelled) {  // the planner cancelled it: say so, and offer to ask again
      const box = mapStatus(err.message);
      box.appendChild(el("button", {type: "button", class: "button small", onclick: loadCoverage}, t("retry")));
      document.body.dataset.ready = "1";
      return;
    }
    const message = err.status === 404 || err.status === 409
      ? t("no_demand", {e: err.message}) : (err.message || t("error"));
    const box = mapStatus(message, true);
    box.appendChild(el("button", {type: "button", class: "button small", onclick: loadCoverage}, t("retry")));
    if (busy(err)) retryLater(err, loadCoverage);
    document.getElementById("coverage-status").textContent = message;
    document.body.dataset.ready = "1";
  }).then(() => { if (seq === state.seq) document.body.dataset.busy = "0"; });
}

function initGroupChips() {
  GROUPS.forEach((g) => {
    const info = config.groups[g];
    const chip = el("button", {type: "button", role: "radio", class: "gchip", dataset: {group: g},
                               "aria-checked": "false", title: info.label, onclick: () => setGroup(g)},
      el("span", {class: "gdot", "aria-hidden": "true"}), info.short);
    chip.querySelector(".gdot").style.background = info.color;
    chips.appendChild(chip);
  });
}

function initBudget() {
  // the option says "each group's own" in a few words; the minutes of each group go on a line
  // of their own below, which wraps (a long option was cut off by the select)
  const own = GROUPS.map((g) => config.groups[g].short + " " + t("min", {n: config.groups[g].budget}));
  budget.appendChild(el("option", {value: ""}, t("budget_own_short")));
  const ownNote = el("p", {class: "budget-own", id: "budget-own"}, t("budget_own", {list: own.join(" · ")}));
  budget.closest(".budget-field").after(ownNote);
  const choices = config.budgets.slice();
  if (state.minutes !== null && choices.indexOf(state.minutes) < 0) {
    choices.push(state.minutes);
    choices.sort((a, b) => a - b);
  }
  choices.forEach((m) => budget.appendChild(el("option", {value: String(m)}, t("min", {n: m}))));
  budget.value = state.minutes === null ? "" : String(state.minutes);
  const note = document.getElementById("demo-budget");
  note.hidden = !(config.defaultMinutes && state.minutes === config.defaultMinutes);
  ownNote.hidden = budget.value !== "";
  budget.addEventListener("change", () => {
    state.minutes = budget.value === "" ? null : Number(budget.value);
    note.hidden = true;
    ownNote.hidden = budget.value !== "";
    emit("minutes");
    syncUrl();
    loadCoverage();
  });
}

function initHour() {
  const fromSlider = () => setHour(Number(hourInput.value));
  hourInput.addEventListener("input", fromSlider);
  hourInput.addEventListener("change", fromSlider);
  hourInput.addEventListener("pointerdown", () => { if (state.hour === null) fromSlider(); });
  document.getElementById("any-time").addEventListener("click", () => setHour(null));
}

export function initControls() {
  initGroupChips();
  initBudget();
  initHour();
}
