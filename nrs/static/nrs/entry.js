/* NRS data entry (issue 20): per-row autosave state, the unsaved-changes warning, keyboard
   entry down the grid, and refusals brought into view. The autosave itself is htmx (each row
   posts its value, flag and comment on change; see collection/_form.html); this file only
   follows it. No inline script: the Content-Security-Policy forbids it. The messages come
   from the page (data-msg-* on the form), translated by Django. */
(function () {
  "use strict";

  function form() { return document.getElementById("entry-form"); }

  function rowOf(el) {
    return el && el.closest ? el.closest("#entry-form tr[data-code]") : null;
  }

  function message(name) {
    var f = form();
    return (f && f.getAttribute("data-msg-" + name)) || "";
  }

  // What the row's message area says while a save is pending or has failed (a plain status;
  // the server's answer replaces the whole area).
  function status(row, kind, text) {
    var box = document.getElementById("msg-" + row.getAttribute("data-code"));
    if (!box) { return; }
    box.setAttribute("data-status", kind);
    var line = box.querySelector(".pending-state");
    if (!line) {
      line = document.createElement("span");
      line.className = "pending-state";
      box.insertBefore(line, box.firstChild);
    }
    var old = box.querySelector(".saved");
    if (old) { old.remove(); }
    line.textContent = text;
    line.classList.toggle("error", kind === "failed");
  }

  // Typing marks the row as changed: leaving the page now warns.
  document.addEventListener("input", function (event) {
    var row = rowOf(event.target);
    if (!row) { return; }
    row.setAttribute("data-dirty", "true");
    row.setAttribute("data-edits", String(Number(row.getAttribute("data-edits") || "0") + 1));
  });

  document.addEventListener("change", function (event) {
    var row = rowOf(event.target);
    if (row) { row.setAttribute("data-dirty", "true"); }
  }, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail && event.detail.elt;
    if (!row || !row.matches || !row.matches("#entry-form tr[data-code]")) { return; }
    row.setAttribute("data-sent", row.getAttribute("data-edits") || "0");
    row.setAttribute("aria-busy", "true");
    status(row, "saving", message("saving"));
  });

  // The server answered with the row's state: saved (and maybe a warning), or an error. The
  // event fires on the new message area (htmx sets detail.elt to it, not to the row).
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.target;
    if (!box || !box.classList || !box.classList.contains("cell-msg")) { return; }
    var row = rowOf(box);
    if (!row) { return; }
    row.removeAttribute("aria-busy");
    var code = row.getAttribute("data-code");
    var saved = box && box.getAttribute("data-status") === "saved";
    var error = box && box.hasAttribute("data-error");
    var warning = box && box.querySelector(".warning");
    if (saved && row.getAttribute("data-sent") === (row.getAttribute("data-edits") || "0")) {
      row.removeAttribute("data-dirty");  // nothing typed since the request left
    }
    row.classList.toggle("has-error", !!error);
    row.classList.toggle("has-warning", !error && !!warning);
    row.classList.toggle("is-saved", !!saved);
    var input = document.getElementById("v-" + code);
    if (input) {
      if (error || warning) { input.setAttribute("aria-invalid", "true"); }
      else { input.removeAttribute("aria-invalid"); }
    }
  });

  // No answer, or an error page (403, 500): the row stays unsaved and says so.
  document.addEventListener("htmx:afterRequest", function (event) {
    var row = event.detail && event.detail.elt;
    if (!row || !row.matches || !row.matches("#entry-form tr[data-code]")) { return; }
    row.removeAttribute("aria-busy");
    if (!event.detail.successful) {
      row.setAttribute("data-dirty", "true");
      row.classList.add("has-error");
      status(row, "failed", message("failed"));
    }
  });

  // Leaving with changes not stored: the browser asks first.
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("#entry-form tr[data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Enter moves down the column (value to value, comment to comment), Shift+Enter up; leaving
  // the cell saves it (the change event). It never submits the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) { return; }
    var input = event.target;
    if (!input || input.tagName !== "INPUT" || !rowOf(input)) { return; }
    var cell = input.closest("td");
    var column = cell && (cell.classList.contains("value") ? "value" : cell.classList.contains("comment") ? "comment" : "");
    if (!column) { return; }
    event.preventDefault();
    var all = Array.prototype.slice.call(
      document.querySelectorAll("#entry-form td." + column + " input:not([disabled])"));
    var next = all[all.indexOf(input) + (event.shiftKey ? -1 : 1)];
    if (next) {
      next.focus();
      next.select();
    } else {
      input.blur();  // the last row: saved all the same
      input.focus();
    }
  });

  // A summary's link puts the cursor in the row's input.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest(".summary a[href^='#']") : null;
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    target.scrollIntoView({block: "center"});
    target.focus({preventScroll: true});
  });

  // After the whole form was posted (save, submit, approve, return): bring the refusal, or
  // the confirmation, into view; the buttons are at the bottom, the answer at the top.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "report-form") { return; }
    var shown = document.getElementById("refusal") || document.getElementById("to-check") ||
      document.getElementById("message");
    if (shown) {
      target.scrollIntoView({block: "start"});  // the state line, then the answer
      shown.focus({preventScroll: true});
    }
  });
})();
