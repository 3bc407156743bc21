/* yizhan's service worker (served at /sw.js, which writes VERSION and SHELL above this line).

   Network first, the stored copy when there is no connection: the finder page, its scripts,
   styles and icons (stored at install: SHELL), the basemap, and the stations of the last area
   looked at. With no connection:
   - the page opens from its stored copy (the last language it was shown in);
   - /api/stations?bbox=… answers with the last area's stations, whatever box is asked for, with
     the header X-Yizhan-Saved (when they were fetched, ISO 8601); the page says how old they are;
   - /api/stations/<id> (a shared link, a poster's QR code) answers from the last area too.
   Nothing a planner signs in for is stored: only the GET requests listed in storable(). */

const SHELL_CACHE = "yizhan-shell-" + VERSION;
const DATA_CACHE = "yizhan-data-v1";
const LAST_AREA = "/api/stations?last-area";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE)
    .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, {cache: "reload"}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys
    .filter((k) => k.startsWith("yizhan-shell-") && k !== SHELL_CACHE)
    .map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

/* What may be stored: the finder page and its files, and the public station and map data. */
function storable(url, request) {
  if (request.method !== "GET" || url.origin !== self.location.origin) return null;
  const p = url.pathname;
  if (request.mode === "navigate") return p === "/" ? "page" : null;
  if (p.startsWith("/static/") || p === "/theme.css" || p === "/manifest.webmanifest") return "shell";
  if (p === "/api/stations" && url.searchParams.has("bbox")) return "area";
  if (/^\/api\/stations\/[^/]+$/.test(p)) return "station";
  if (p === "/api/basemap" || /^\/api\/networks\/[^/]+\/lines$/.test(p)) return "data";
  if (/^\/qr\/[^/]+\.svg$/.test(p)) return "data";
  return null;
}

/* The page is kept once per language asked for (?lang=), whatever else its address holds
   (?station= opens a card on the same page). */
function pageKey(url) {
  const lang = url.searchParams.get("lang");
  return lang ? "/?lang=" + encodeURIComponent(lang) : "/";
}

/* A copy of response with the time it was fetched (so the page can say how old it is). */
function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Yizhan-Saved", new Date().toISOString());
  return response.clone().blob().then((body) => new Response(body, {
    status: response.status, statusText: response.statusText, headers}));
}

function remember(cacheName, key, response) {
  if (!response.ok) return Promise.resolve();
  return stamped(response).then((copy) => caches.open(cacheName).then((c) => c.put(key, copy)));
}

function offlineAnswer(kind, request, url) {
  if (kind === "page") {
    // the page as last shown in that language; else the one stored at install
    return caches.open(DATA_CACHE)
      .then((c) => c.match(pageKey(url)).then((hit) => hit || c.match("/")))
      .then((hit) => hit || caches.match("/"));
  }
  if (kind === "area") return caches.match(LAST_AREA);
  if (kind === "station") {
    return caches.match(request).then((hit) => hit || caches.match(LAST_AREA).then((area) => {
      if (!area) return undefined;
      const id = decodeURIComponent(url.pathname.split("/").pop());
      return area.clone().json().then((fc) => {
        const f = fc.features.find((x) => x.id === id);
        if (!f) return undefined;
        return new Response(JSON.stringify(f), {headers: {
          "Content-Type": "application/json",
          "X-Yizhan-Saved": area.headers.get("X-Yizhan-Saved") || ""}});
      });
    }));
  }
  return caches.match(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request, url = new URL(request.url);
  const kind = storable(url, request);
  if (!kind) return;  // the browser fetches it as usual
  event.respondWith(fetch(request).then((response) => {
    if (kind === "page") {
      event.waitUntil(remember(DATA_CACHE, pageKey(url), response.clone()));
    } else if (kind === "area") {
      event.waitUntil(remember(DATA_CACHE, LAST_AREA, response.clone()));
    } else if (kind === "shell") {
      event.waitUntil(remember(SHELL_CACHE, request, response.clone()));
    } else {
      event.waitUntil(remember(DATA_CACHE, request, response.clone()));
    }
    return response;
  }).catch((err) => offlineAnswer(kind, request, url).then((hit) => {
    if (hit) return hit;
    throw err;
  })));
});
