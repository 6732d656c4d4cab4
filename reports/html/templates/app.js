(function () {
  "use strict";
  // The report works without this script; it only adds filtering, copying
  // and print support. It never writes markup: data is read from attributes
  // and text, and written back with textContent and the hidden property.
  var doc = document;
  var form = doc.getElementById("filters");
  var rows = doc.querySelectorAll("tbody.check");
  var n = rows.length;
  var verdicts = new Array(n);
  var labels = new Array(n);
  var texts = null;
  var i;
  for (i = 0; i < n; i++) {
    verdicts[i] = rows[i].getAttribute("data-verdict");
    labels[i] = "," + rows[i].getAttribute("data-labels") + ",";
  }
  var meta = {};
  try {
    meta = JSON.parse(doc.getElementById("mm-meta").textContent);
  } catch (e) {
    meta = {};
  }
  var boxes = form.querySelectorAll("input[name=verdict]");
  var labelSelect = doc.getElementById("f-label");
  var search = doc.getElementById("f-q");
  var shown = doc.getElementById("shown");
  var none = doc.getElementById("none");
  var section = doc.getElementById("checks");
  var total = typeof meta.total === "number" ? meta.total : n;

  function apply() {
    var want = {};
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].checked) {
        want[boxes[j].value] = true;
      }
    }
    var label = labelSelect.value ? "," + labelSelect.value + "," : "";
    var q = search.value.trim().toLowerCase();
    if (q && texts === null) {
      // The text of the summary row only: built once, on the first search.
      texts = new Array(n);
      for (var k = 0; k < n; k++) {
        texts[k] = rows[k].rows[0].textContent.toLowerCase();
      }
    }
    var count = 0;
    for (var r = 0; r < n; r++) {
      var ok = want[verdicts[r]] === true &&
        (label === "" || labels[r].indexOf(label) !== -1) &&
        (q === "" || texts[r].indexOf(q) !== -1);
      if (rows[r].hidden === ok) {
        rows[r].hidden = !ok;
      }
      if (ok) {
        count++;
      }
    }
    section.classList.toggle("filtered", count !== n);
    shown.textContent = count + " of " + total + " checks shown";
    none.hidden = count !== 0;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.hidden = false;

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
  openHash();

  window.mmReadyAt = performance.now();
  doc.documentElement.setAttribute("data-ready", "1");
})();
