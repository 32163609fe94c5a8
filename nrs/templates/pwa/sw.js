/* NRS service worker (issue 20; nrs/web/pwa.py serves it at /sw.js, scope "/").
   - The app shell (styles, scripts, icons): kept on install, then from the cache; other static
     files with hashed names (collected: never changed) are kept the first time they are fetched.
   - The overview: network first; each one seen is kept, and the last one stands in for any
     overview or the home page when the network fails, marked offline: the page then shows its
     stamp "Số liệu lúc HH:MM dd/mm/yyyy — đang ngoại tuyến" (its refresh time).
   - Signing out forgets the kept pages. */
"use strict";
var VERSION = "{{ version }}";
var SHELL_CACHE = "nrs-shell-" + VERSION;
var PAGES = "nrs-pages";
var SHELL = {{ shell|safe }};
var OVERVIEW = {{ overview|safe }};
var LOGOUT = {{ logout|safe }};
var STATIC = {{ static|safe }};
var LAST = OVERVIEW + "?nrs-last-seen";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("nrs-shell-") === 0 && key !== SHELL_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function offline(kept) {
  return kept.text().then(function (text) {
    var headers = new Headers(kept.headers);
    headers.delete("Content-Length");
    headers.delete("Content-Encoding");
    return new Response(text.replace("<html", "<html data-offline=\"1\""),
                        {status: 200, statusText: "OK", headers: headers});
  });
}

function page(event, keep) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (keep && response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES).then(function (cache) {
        return Promise.all([cache.put(request, copy.clone()), cache.put(LAST, copy)]);
      }));
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(request, {ignoreVary: true}).then(function (found) {
        return found || cache.match(LAST, {ignoreVary: true});
      });
    }).then(function (found) { return found ? offline(found) : Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === LOGOUT) {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    if (url.pathname === OVERVIEW) { event.respondWith(page(event, true)); }
    else if (url.pathname === "/") { event.respondWith(page(event, false)); }
    return;
  }
  var hashed = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/.test(url.pathname);  // collected: never changes
  if (url.pathname.indexOf(STATIC) === 0 && (hashed || SHELL.indexOf(url.pathname) >= 0)) {
    event.respondWith(caches.open(SHELL_CACHE).then(function (cache) {
      return cache.match(request).then(function (found) {
        return found || fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        });
      });
    }));
  }
});
