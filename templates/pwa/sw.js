// iSmartPay's service worker, served at /sw.js (scope "/") by ismartpay.core.pwa.
// It caches ONLY the static assets listed below and the offline page, which holds no account
// data. Pages (HTML) always come from the network and are never stored: when the network is
// gone, a navigation shows the offline page instead of any cached copy of a signed-in page.
const CACHE = "ismartpay-{{ version }}";
const OFFLINE_URL = "{{ offline_url }}";
const ASSETS = {{ assets_json|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS);
    // Fetched without cookies, so it is the signed-out page whoever installs the worker.
    const offline = await fetch(OFFLINE_URL, { credentials: "omit", cache: "no-store" });
    await cache.put(OFFLINE_URL, offline);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // Network only; the offline page when there is no network. Nothing is written to a cache.
    event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE_URL))
      || new Response("You are offline.", { status: 503, headers: { "Content-Type": "text/plain" } })));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
  // Anything else (account data, CSV, PDF, JSON): the browser's own network fetch.
});
