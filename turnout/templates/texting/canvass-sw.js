// The canvass app's service worker, scoped to one canvasser's link: pages and files are fetched
// from the network when there is one and kept; with no signal, what was kept is served. Results
// are not its business: the page keeps them and syncs them.
const CACHE = "turnout-canvass-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// The page lists what it was built from once the worker controls it: kept for the next visit.
self.addEventListener("message", function (event) {
  const urls = (event.data && event.data.keep) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (response.ok) { return cache.put(url, response); }
      }).catch(function () { /* offline already: keep what is there */ });
    }));
  }));
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && new URL(request.url).origin === self.location.origin) {
      const copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreSearch: true}).then(function (kept) {
      return kept || new Response("", {status: 503, statusText: "offline"});
    });
  }));
});
