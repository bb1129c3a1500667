// Talkspace service worker (served at /sw.js with this build's app shell prepended as
// self.TALKSPACE_BUILD, lib/web/pwa.ts): keeps the offline page and the shell's hashed files, answers
// navigations from the network with the offline page as fallback, serves hashed files from its
// cache, shows the meeting reminders the server pushes ({title, body, url}) and opens or focuses the
// meeting when one is clicked. Nothing else is cached: pages, the API and the meeting socket always
// go to the server, so no cache ever holds one person's page.

/// <reference lib="webworker" />

const BUILD = self.TALKSPACE_BUILD ?? { version: "unbuilt", shell: ["/offline"], offline: "/offline" };
const SHELL_CACHE = `talkspace-shell-${BUILD.version}`;
/** Hashed files met while browsing (island chunks): shared by versions, their names never change content. */
const ASSET_CACHE = "talkspace-assets";
const ASSET_CACHE_MAX = 120;
const HASHED_STATIC = /^\/static\/[A-Za-z0-9_-]+-[0-9a-f]{12}(\.[A-Za-z0-9_-]+)+$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // `reload`: straight from the server, not from an HTTP cache that may hold an older offline page.
    await cache.addAll(BUILD.shell.map((url) => new Request(url, { cache: "reload" })));
    // Take over open pages at once; they say a new version is there and never reload by themselves.
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("talkspace-") && name !== SHELL_CACHE && name !== ASSET_CACHE) await caches.delete(name);
    }
    const assets = await caches.open(ASSET_CACHE);
    const keys = await assets.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - ASSET_CACHE_MAX))) await assets.delete(old);
    // Navigations start their network request while the worker boots.
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

/** Files whose URL names their content: /_islands/* and hashed /static/ names. */
function isImmutable(url) {
  return url.pathname.startsWith("/_islands/") || HASHED_STATIC.test(url.pathname);
}

async function navigate(event) {
  try {
    const preloaded = await event.preloadResponse;
    if (preloaded) return preloaded;
    return await fetch(event.request);
  } catch {
    // The network failed (offline, server unreachable): an HTTP error page from the server is passed on above.
    return (await caches.match(BUILD.offline, { cacheName: SHELL_CACHE })) ??
      new Response("You are offline.", { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
}

async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.status === 200 && response.type === "basic") {
    const copy = response.clone();
    caches.open(ASSET_CACHE).then((cache) => cache.put(request, copy)).catch(() => {});
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(event));
  else if (isImmutable(url)) event.respondWith(cacheFirst(request));
  // Everything else (the API, the meeting socket, /sw.js, unhashed files) is left to the browser.
});

/**
 * Only our own pages are opened from a notification, whatever a payload says: a link to another
 * origin (a PUBLIC_URL that differs from the address this worker runs at) keeps its path here.
 */
function sameOriginUrl(value) {
  try {
    const url = new URL(String(value ?? "/"), self.location.origin);
    if (url.protocol !== "https:" && url.protocol !== "http:") return `${self.location.origin}/`;
    return url.origin === self.location.origin ? url.href : `${self.location.origin}${url.pathname}${url.search}`;
  } catch {
    return `${self.location.origin}/`;
  }
}

/**
 * The open window already showing the page `url` names: same path, whatever the query. A meeting
 * link's `?pwd=` token is moved into a cookie and cleaned from the address bar on arrival, so the
 * tab of a meeting from a reminder's link shows /m/<id> without it.
 */
function windowFor(windows, url) {
  const path = new URL(url).pathname;
  return windows.find((w) => {
    try {
      const u = new URL(w.url);
      return u.origin === self.location.origin && u.pathname === path;
    } catch {
      return false;
    }
  });
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Talkspace";
  const url = sameOriginUrl(data.url);
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === "string" ? data.body : "",
      icon: BUILD.icon ?? "/static/favicon.svg",
      // One notification per meeting link: a later reminder replaces an earlier one.
      tag: url,
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windowFor(windows, url);
    if (open) return await open.focus();
    return await self.clients.openWindow(url);
  })());
});

// The push service rotated the subscription: subscribe again with the same key and tell the server.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const key = event.oldSubscription && event.oldSubscription.options.applicationServerKey;
    const next = event.newSubscription ||
      (key
        ? await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
        : null);
    if (!next) return;
    await fetch("/api/v1/push/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(next.toJSON()),
    });
  })());
});
