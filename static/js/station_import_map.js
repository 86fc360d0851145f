/* Matching the columns of a station list: under each choice, show that column's value in the first row.
   The row comes in <script type="application/json" id="station-sample">, the translated "e.g." in
   the form's data-sample-prefix attribute. */
"use strict";
(function () {
  var source = document.getElementById("station-sample");
  var holder = document.querySelector("[data-sample-prefix]");
  if (!source || !holder) return;
  var sample = JSON.parse(source.textContent);
  var prefix = holder.dataset.samplePrefix + " ";
  function show(select) {
    var hint = document.querySelector('[data-sample-for="' + select.id + '"]');
    if (!hint) return;
    var value = select.value === "" ? "" : sample[Number(select.value)];
    hint.textContent = value ? prefix + value : "";
  }
  holder.querySelectorAll(".mapping-field select").forEach(function (select) {
    show(select);
    select.addEventListener("change", function () { show(select); });
  });
})();
