/* The worker finder's state: where the worker is, how they travel, what they filter for, the
   nearest stations found and the one selected. */
import {config} from "../common.js";

export const K = 5;  // how many stations the list shows

export const state = {
  origin: null,           // [lon, lat] WGS-84
  mode: config.modes.indexOf("walk") >= 0 ? "walk" : config.modes[0],
  kinds: Object.keys(config.kinds),
  services: [],
  openNow: false,
  results: [],            // the /api/nearest answer's results
  selected: null,         // a station id
  seq: 0,
  features: {},           // station id -> GeoJSON feature (those loaded so far)
  markers: {},            // station id -> Leaflet marker
  box: null,              // [west, south, east, north] WGS-84: the stations loaded last, on the map
  loadedAt: 0,
  sheetOpen: false
};

export function resultById(id) {
  return state.results.find((r) => r.id === id) || null;
}
