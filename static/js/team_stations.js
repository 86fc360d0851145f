/* A team's stations: select all on the page, count the selection, enable the buttons that need one. */
"use strict";
(function () {
  var form = document.getElementById("stations-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=stations]"));
  var all = document.getElementById("select-page");
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    form.querySelectorAll("[data-selection-count]").forEach(function (el) { el.textContent = n; });
    form.querySelectorAll("[data-needs-selection]").forEach(function (el) { el.disabled = n === 0; });
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }
  if (all) all.addEventListener("change", function () { boxes.forEach(function (b) { b.checked = all.checked; }); update(); });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
})();
