/* The question form: show the fields of the chosen type; add, remove and reorder answers. */
"use strict";
(function () {
  var form = document.getElementById("question-form");
  if (!form) return;
  var type = form.querySelector("[name=type]");
  var rows = document.getElementById("option-rows");
  var total = form.querySelector("[name=options-TOTAL_FORMS]");
  function showForType() {
    form.querySelectorAll("[data-for-types]").forEach(function (block) {
      block.hidden = block.dataset.forTypes.split(" ").indexOf(type.value) === -1;
    });
    rows.querySelectorAll("[data-rating-only]").forEach(function (el) { el.hidden = type.value !== "rating"; });
  }
  type.addEventListener("change", showForType);
  showForType();
  document.getElementById("option-add").addEventListener("click", function () {
    var html = document.getElementById("option-template").innerHTML.replace(/__prefix__/g, total.value);
    rows.insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
    showForType();
    rows.lastElementChild.querySelector("input[type=text]").focus();
  });
  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) return;
    var row = button.closest(".option-row");
    if (button.dataset.move === "up" && row.previousElementSibling) rows.insertBefore(row, row.previousElementSibling);
    if (button.dataset.move === "down" && row.nextElementSibling) rows.insertBefore(row.nextElementSibling, row);
  });
  rows.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.slice(-7) === "-DELETE") {
      event.target.closest(".option-row").classList.toggle("is-deleted", event.target.checked);
    }
  });
  form.addEventListener("submit", function () {
    /* Number the answers in the order shown; an empty row stays untouched, so it is not saved. */
    var number = 0;
    rows.querySelectorAll(".option-row").forEach(function (row) {
      var label = row.querySelector("input[name$='-label']");
      if (label.value.trim() !== "") row.querySelector("input[name$='-ORDER']").value = ++number;
    });
  });
})();
