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
})();
