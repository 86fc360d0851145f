/* The statement editor: the token buttons insert their token where the cursor was in the last text area. */
"use strict";
(function () {
  var last = null;
  document.querySelectorAll("textarea.statement-text").forEach(function (t) {
    t.addEventListener("focus", function () { last = t; });
  });
  document.querySelectorAll(".insert-token").forEach(function (button) {
    button.addEventListener("click", function () {
      var t = last || document.querySelector("textarea.statement-text");
      if (!t) return;
      var start = t.selectionStart, end = t.selectionEnd, token = button.dataset.token;
      t.value = t.value.slice(0, start) + token + t.value.slice(end);
      t.focus();
      t.selectionStart = t.selectionEnd = start + token.length;
      t.dispatchEvent(new Event("input", {bubbles: true}));
    });
  });
})();
