/* NRS dashboards: draw the server-built Plotly figures, follow the live stream
   (Server-Sent Events, with polling as the fallback) and rotate the big screen.
   No inline script: figures arrive as JSON in <script type="application/json">. */
(function () {
  "use strict";

  function config() {
    var el = document.getElementById("plot-config");
    return el ? JSON.parse(el.textContent) : {};
  }

  function draw(root) {
    if (!window.Plotly) { return; }
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      var src = document.getElementById(el.dataset.figure);
      if (!src) { return; }
      var fig = JSON.parse(src.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, config()).then(function () {
        el.dataset.drawn = "1";
      });
    });
  }

  function currentId() {
    var live = document.getElementById("live");
    return live ? parseInt(live.dataset.refreshId || "0", 10) : 0;
  }

  var pending = null;
  function reload() {
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      if (!window.htmx) { window.location.reload(); return; }
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
        {target: "#live", select: "#live", swap: "outerHTML"});
    }, 150);
  }

  function poll(url) {
    setInterval(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        if (d.id !== currentId()) { reload(); }
      }).catch(function () {});
    }, 10000);
  }

  function listen() {
    var live = document.getElementById("live");
    if (!live) { return; }
    if (!window.EventSource) { poll(live.dataset.freshness); return; }
    var failures = 0;
    var source = new EventSource(live.dataset.events + "?since=" + currentId());
    source.addEventListener("refresh", function (e) {
      failures = 0;
      var data = JSON.parse(e.data);
      if (data.id !== currentId()) { reload(); }
    });
    source.onerror = function () {
      failures += 1;
      if (failures > 5) { source.close(); poll(live.dataset.freshness); }
    };
  }

  var rotation = null;
  function rotate() {
    var live = document.getElementById("live");
    if (!live || !live.dataset.rotate || rotation) { return; }
    rotation = setInterval(function () {
      var slides = document.querySelectorAll("#live .slide");
      if (slides.length < 2) { return; }
      var at = Array.prototype.findIndex.call(slides, function (s) { return s.classList.contains("shown"); });
      slides[at < 0 ? 0 : at].classList.remove("shown");
      slides[(at + 1) % slides.length].classList.add("shown");
    }, parseInt(live.dataset.rotate, 10));
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-png]");
    if (button && window.Plotly) {
      window.Plotly.downloadImage(document.getElementById(button.dataset.png),
        {format: "png", filename: button.dataset.filename || "nrs", scale: 2, width: 1200, height: 700});
    }
  });

  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });

  document.addEventListener("DOMContentLoaded", function () { draw(); listen(); rotate(); });
}());
