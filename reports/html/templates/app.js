(function () {
  "use strict";
  // The report works without this script; it only adds filtering, copying
  // and print support. It never writes markup: data is read from attributes
  // and text, and written back with textContent and the hidden property.
  var doc = document;
  // This script runs right after the filter form, before the checks table
  // is parsed: a 5,000-check page takes most of a second to parse, and the
  // filters should answer from first paint. Every lookup of the rows is
  // therefore live, and the filters are applied once more when parsing
  // ends, so rows parsed after a click are filtered too.
  var form = doc.getElementById("filters");
  var section = doc.getElementById("checks");
  var boxes = form.querySelectorAll("input[name=verdict]");
  var labelSelect = doc.getElementById("f-label");
  var search = doc.getElementById("f-q");
  var shown = doc.getElementById("shown");
  var total = parseInt(section.getAttribute("data-total"), 10);
  var parsed = false;
  var texts = null; // summary-row texts, built on the first search once parsed

  function apply() {
    var rows = section.querySelectorAll("tbody.check");
    var n = rows.length;
    var want = {};
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].checked) {
        want[boxes[j].value] = true;
      }
    }
    var label = labelSelect.value ? "," + labelSelect.value + "," : "";
    var q = search.value.trim().toLowerCase();
    if (q && parsed && texts === null) {
      // Once parsing has ended the rows no longer change: read their text once.
      texts = new Array(n);
      for (var k = 0; k < n; k++) {
        texts[k] = rows[k].rows[0].textContent.toLowerCase();
      }
    }
    var count = 0;
    for (var r = 0; r < n; r++) {
      var row = rows[r];
      var ok = want[row.getAttribute("data-verdict")] === true &&
        (label === "" || ("," + row.getAttribute("data-labels") + ",").indexOf(label) !== -1);
      if (ok && q) {
        ok = (texts !== null ? texts[r] : row.rows[0].textContent.toLowerCase()).indexOf(q) !== -1;
      }
      if (row.hidden === ok) {
        row.hidden = !ok;
      }
      if (ok) {
        count++;
      }
    }
    section.classList.toggle("filtered", count !== total);
    shown.textContent = count + " of " + total + " checks shown";
    var none = doc.getElementById("none");
    if (none) {
      none.hidden = count !== 0;
    }
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.hidden = false;
  window.mmInteractiveAt = performance.now();

  function selectText(el) {
    var range = doc.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try {
      return doc.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  doc.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("button.copy") : null;
    if (!button) {
      return;
    }
    var source = doc.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var label = button.textContent;
    var done = function (ok) {
      button.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.textContent).then(
        function () { done(true); },
        function () { done(selectText(source)); });
    } else {
      done(selectText(source));
    }
  });

  // Printing shows every detail of the visible checks, then restores.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var closed = doc.querySelectorAll("details:not([open])");
    for (var j = 0; j < closed.length; j++) {
      closed[j].open = true;
      opened.push(closed[j]);
    }
  });
  window.addEventListener("afterprint", function () {
    for (var j = 0; j < opened.length; j++) {
      opened[j].open = false;
    }
    opened = [];
  });

  // A link to report.html#c-<id> (from an alert) opens that check.
  function openHash() {
    var id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (e) {
      return;
    }
    var el = id ? doc.getElementById(id) : null;
    if (!el || !el.classList.contains("check")) {
      return;
    }
    el.hidden = false;
    var details = el.querySelector("details");
    if (details) {
      details.open = true;
    }
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", openHash);

  function parsedAll() {
    parsed = true;
    apply();
    openHash();
    window.mmReadyAt = performance.now();
    doc.documentElement.setAttribute("data-ready", "1");
  }
  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", parsedAll);
  } else {
    parsedAll();
  }
})();
