/* NRS: small behaviours for every page, kept out of the HTML so the Content-Security-Policy
   can forbid inline script (docs/security.md). */
(function () {
  "use strict";
  // A tree toggle that loads its children once: after the request it shows as open and
  // is disabled (was hx-on::after-request, which needs eval).
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.hasAttribute && el.hasAttribute("data-expand-once")) {
      el.setAttribute("aria-expanded", "true");
      el.disabled = true;
    }
  });

  // Phones: the menu folds behind its button (issue 20); the CSS shows it open on wider screens.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (!toggle) { return; }
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (menu) { menu.classList.toggle("open", open); }
  });

  // Installable, and the last overview readable offline: the service worker (served at /sw.js,
  // nrs/web/pwa.py). Signing out forgets the pages it kept.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
    });
  }
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-sign-out") && window.caches) {
      window.caches.delete("nrs-pages");
    }
  });
  if (!navigator.onLine) { document.documentElement.setAttribute("data-offline", "1"); }
})();
