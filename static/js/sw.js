/* Observa service worker: the filing pages and their assets without a network.

   Served by polling.filing_views.service_worker at /sw.js, which puts `CONFIG` in front of this file:
   {version, staticUrl, hashedStatic, precache: [asset URLs]}. The cache names carry the version, a hash
   of this file and of the precached assets, so any change installs a new worker that drops old caches.

   - Filing pages (/m/<mission>/file/..., /m/<mission>/visits/<uuid>/edit/): network first, the kept
     copy when the network fails or is too slow; a page asks us to keep the pages it links to.
   - Static assets: cache first (every /static/ file when their names carry a hash, otherwise only the
     precached ones, whose changes the version tracks).
   - Everything else, and every POST/PUT (the API), goes to the network untouched and is never kept. */
"use strict";

var STATIC_CACHE = "observa-static-" + CONFIG.version;
var PAGES_CACHE = "observa-pages-" + CONFIG.version;
var FILING_PAGE = /^\/m\/[^/]+\/(file\/|visits\/[0-9a-f-]{36}\/edit\/)/;
var NETWORK_TIMEOUT = 8000;
var REFRESH_AFTER = 30 * 60 * 1000;

function pageKey(url) {
  var parsed = new URL(url, self.location.origin);
  return parsed.origin + parsed.pathname;
}

function fetchPage(url) {
  return fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" });
}

function keepable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    var cache = await caches.open(STATIC_CACHE);
    await cache.addAll(CONFIG.precache);
    // Carry over the pages the previous version kept: fresh when online, as they were otherwise.
    var pages = await caches.open(PAGES_CACHE);
    var names = await caches.keys();
    for (var name of names) {
      if (!name.startsWith("observa-pages-") || name === PAGES_CACHE) continue;
      var old = await caches.open(name);
      for (var request of await old.keys()) {
        var response = null;
        try { response = await fetchPage(request.url); } catch (error) { response = null; }
        if (!keepable(response)) response = await old.match(request);
        if (response) await pages.put(request.url, response);
      }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    for (var name of await caches.keys()) {
      if (name.startsWith("observa-") && name !== STATIC_CACHE && name !== PAGES_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function cacheFirst(request) {
  var cache = await caches.open(STATIC_CACHE);
  var hit = await cache.match(request);
  if (hit) return hit;
  var response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

function delay(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

async function networkFirst(request) {
  var cache = await caches.open(PAGES_CACHE);
  var key = pageKey(request.url);
  var cached = cache.match(key, { ignoreSearch: true });
  var network = fetch(request).then(async function (response) {
    if (keepable(response)) cache.put(key, response.clone());
    if (response.status >= 500) return (await cached) || response;  // the server is down: the kept page
    return response;
  });
  network.catch(function () { return null; });
  try {
    // On a link that barely moves, the kept page after a while; the network still refreshes it.
    return await Promise.race([
      network,
      delay(NETWORK_TIMEOUT).then(async function () { return (await cached) || network; }),
    ]);
  } catch (error) {
    var hit = await cached;
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(CONFIG.staticUrl)) {
    if (CONFIG.hashedStatic || CONFIG.precache.indexOf(url.pathname) !== -1) event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate" && FILING_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

// Keep the filing pages a page names (itself, the checklists it links to), unless a recent copy is kept.
async function keepPages(urls) {
  var cache = await caches.open(PAGES_CACHE);
  await Promise.all(urls.map(async function (url) {
    var key = pageKey(url);
    if (!FILING_PAGE.test(new URL(key).pathname)) return;
    var kept = await cache.match(key);
    var age = kept ? Date.now() - Date.parse(kept.headers.get("Date") || 0) : Infinity;
    if (age < REFRESH_AFTER) return;
    try {
      var response = await fetchPage(key);
      if (keepable(response)) await cache.put(key, response);
    } catch (error) {
      // offline: keep what we have
    }
  }));
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  if (data.type === "keep-pages") {
    event.waitUntil(keepPages(data.urls || []).then(function () { if (port) port.postMessage({ kept: true }); }));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});
