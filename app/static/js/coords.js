/* yizhan: WGS-84 <-> GCJ-02, the same published formula as geo.coords. The API speaks WGS-84;
   Amap tiles need GCJ-02 on screen, so markers are shifted only when those tiles are shown. */
import {config} from "./config.js";

const A = 6378245.0, EE = 0.00669342162296594323;

function inChina(lon, lat) { return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271; }

function gcjDelta(lon, lat) {
  if (!inChina(lon, lat)) return [0, 0];
  const x = lon - 105.0, y = lat - 35.0, sx = Math.sqrt(Math.abs(x)), PI = Math.PI;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx;
  const common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
  dLat += common; dLon += common;
  dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
  dLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
  dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y / 30.0 * PI)) * 2 / 3;
  dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2 / 3;
  const radLat = lat / 180.0 * PI, magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
  dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
  return [dLon, dLat];
}

export function wgs2gcj(lon, lat) { const d = gcjDelta(lon, lat); return [lon + d[0], lat + d[1]]; }

export function gcj2wgs(lon, lat) {
  const d = gcjDelta(lon, lat);
  let x = lon - d[0], y = lat - d[1];
  for (let i = 0; i < 30; i++) {
    const f = wgs2gcj(x, y), dx = f[0] - lon, dy = f[1] - lat;
    x -= dx; y -= dy;
    if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
  }
  return [x, y];
}

const gcjScreen = !!(config.tiles && config.tiles.gcj02);

/* A WGS-84 point as a Leaflet LatLng on this page's map. */
export function toLatLng(lon, lat) {
  if (gcjScreen) { const g = wgs2gcj(lon, lat); return window.L.latLng(g[1], g[0]); }
  return window.L.latLng(lat, lon);
}

/* A Leaflet LatLng on this page's map as WGS-84 [lon, lat]. */
export function fromLatLng(latlng) {
  const lon = window.L.Util.wrapNum(latlng.lng, [-180, 180], true), lat = latlng.lat;
  return gcjScreen ? gcj2wgs(lon, lat) : [lon, lat];
}
