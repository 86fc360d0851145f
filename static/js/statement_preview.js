/* The statement editor's live preview follows text typed before htmx was ready, too.
   htmx hears only the input events fired after it has processed the page, so text pasted while a
   slow page was still loading kept a stale preview until the next key. Once htmx is ready, each
   text area whose text differs from the page's asks for its preview once. */
"use strict";
htmx.onLoad(function (element) {
  element.querySelectorAll("textarea.statement-text").forEach(function (textarea) {
    if (textarea.value !== textarea.defaultValue) {
      htmx.trigger(textarea, "input");
    }
  });
});
