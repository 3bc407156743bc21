/* yizhan planner view /plan: coverage per worker group and hour as H3 cells, gap areas, siting
   runs, workers' reports and station editing. This module wires the others together: it decides
   what is redrawn when the group, the hour or the stations change. Data is only ever shown
   through textContent (el); the SVG charts are built node by node. */
import {toLatLng} from "../common.js";
import {editStation, initEditor, onSession, placeSignin, renderStationList, session} from "../editor.js";
import {renderCards, renderHourbar} from "./cards.js";
import {drawCells, restyleCells} from "./cells.js";
import {askSignin, initControls, loadCoverage, setGroup, setHour} from "./coverage.js";
import {drawGaps, renderGapList} from "./gaps.js";
import {addLegend, fitRegion, map} from "./map.js";
import {initKinds} from "./kinds.js";
import {hideReportCount, loadReports} from "./reports.js";
import {clearPlan, initSiting, syncSitingDefaults} from "./siting.js";
import {drawStations, loadStations, stationIcon} from "./stations.js";
import {TABS, on, state, syncUrl} from "./state.js";
import {initExport} from "./export.js";
import {initImport} from "./import.js";
import "./uploads.js";  // the worker counts and districts uploads (its panel in the coverage tab)

/* --- what follows what --- */
on("group", () => {
  drawCells(); drawGaps(); renderCards(); renderGapList(); renderHourbar(); syncSitingDefaults();
});
on("hour", () => { restyleCells(); renderCards(); renderHourbar(); renderGapList(); drawGaps(); });
on("timed", () => { drawCells(); drawGaps(); renderCards(); renderGapList(); renderHourbar(); });
on("stations", () => renderStationList());
on("edit", (id) => { setTab("stations"); editStation(id); });

/* --- tabs --- */
const analysisTabs = ["coverage", "gaps", "siting"];
const signinTabs = analysisTabs.concat(["reports", "stations"]);

/* The sign-in box sits in the reports and stations tabs, and in the analysis tabs once the
   coverage asked for it (the analyses are for planners); signed in, they show their content. */
function showSignin(tab) {
  if (analysisTabs.includes(tab) && !state.needsSignin) return;
  placeSignin(document.querySelector("#pane-" + tab + " .signin-slot"));
  document.getElementById("report-list").hidden = !session.signedIn;
}

function setTab(tab) {
  state.tab = tab;
  TABS.forEach((name) => {
    document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === tab));
    document.getElementById("pane-" + name).hidden = name !== tab;
  });
  if (signinTabs.includes(tab)) showSignin(tab);
  if (tab === "reports" && session.signedIn) loadReports();
  document.body.dataset.tab = tab;
  syncUrl();
}

function initTabs() {
  TABS.forEach((name) => {
    document.getElementById("tab-" + name).addEventListener("click", () => setTab(name));
  });
  document.querySelector(".tabs").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const i = TABS.indexOf(state.tab) + (e.key === "ArrowRight" ? 1 : -1);
    const next = TABS[(i + TABS.length) % TABS.length];
    setTab(next);
    document.getElementById("tab-" + next).focus();
  });
}

/* --- sign-in and the station editor --- */
onSession(() => {
  if (signinTabs.includes(state.tab)) showSignin(state.tab);
  if (session.signedIn) loadReports(); else hideReportCount();
  if (!session.signedIn) askSignin();  // the analyses are for planners
  else if (state.needsSignin || !state.data) loadCoverage();
});
on("signin", () => { if (signinTabs.includes(state.tab)) showSignin(state.tab); });

initEditor({
  map,
  stations: () => state.stations,
  marker: (id) => state.markers[id],
  redraw: drawStations,
  icon: (kind) => stationIcon(kind, false, true),
  /* after a save or a close: the stations, the coverage (a new registry version), no old plan */
  changed: () => {
    clearPlan();
    return loadStations().then(() => { loadCoverage(); });
  }
});

/* --- start --- */
initImport({map, changed: () => { clearPlan(); return loadStations().then(() => { loadCoverage(); }); }});
initExport();
initControls();
initTabs();
initSiting();
initKinds();  // the station kinds panel, for administrators
addLegend();
fitRegion();
setTab(state.tab);
renderHourbar();
loadStations().catch(() => {});  // the coverage follows the sign-in state (onSession)
window.addEventListener("resize", () => map.invalidateSize());

window.yizhanPlan = {map, state, setHour, setGroup, toLatLng};
