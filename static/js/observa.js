/* Behaviour shared by every page (not the filing pages, which load only outbox.js and filing.js).
   Templates declare it with data- attributes, so no page needs an inline script or an on* attribute
   (the Content Security Policy forbids both):
   - <input data-filter-list="ID">: typing hides the rows [data-filter-text] of list ID that do not match.
   - <select data-autosubmit> / <input type=checkbox data-autosubmit>: a change submits the form.
   - <button data-confirm="Question?">: the click goes ahead only when the person confirms. */
"use strict";
(function () {
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) return;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      list.querySelectorAll("[data-filter-text]").forEach(function (row) {
        row.hidden = needle !== "" && row.dataset.filterText.indexOf(needle) === -1;
      });
    });
  });

  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (!field || !field.form) return;
    // requestSubmit fires the submit event, so htmx-enhanced forms update in place.
    if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
