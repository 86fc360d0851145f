/* Show-if, as the filing page applies it: a question is shown when the earlier question it depends on
   is shown and its answer is (or, for multiple choice, includes) the given value. The preview form is
   never sent. */
"use strict";
(function () {
  var form = document.getElementById("preview-form");
  if (!form) return;
  var questions = Array.prototype.slice.call(form.querySelectorAll(".preview-q"));
  function chosen(code) {
    return Array.prototype.map.call(form.querySelectorAll("[name='q-" + code + "']:checked"), function (i) { return i.value; });
  }
  function apply() {
    var shown = {};
    questions.forEach(function (q) {
      var target = q.dataset.showIfQuestion;
      var visible = !target || (shown[target] && chosen(target).indexOf(q.dataset.showIfValue) !== -1);
      q.hidden = !visible;
      shown[q.dataset.code] = visible;
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("change", apply);
  apply();
})();
