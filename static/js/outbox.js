/* Observa outbox: what an observer saves waits in this browser (IndexedDB) until the server has it.

   Every filing page loads this script. It
   1. keeps entries {uuid, url, method, body, created, attempts, lastError, ...} in the store "outbox";
   2. sends them oldest first, one at a time: on every save, on load, when the network returns, and
      again after a growing pause (2 s up to 5 min) while the network or the server fails;
   3. reads the CSRF cookie afresh before each send, so that logging in again (a new token) just works;
   4. shows how many entries wait, and those the observer must look at (refused by the server);
   5. asks before logging out with unsent entries, and registers the service worker (/sw.js).
   Entries belong to the user who saved them: another user logging in on this phone does not send them.
   Every text shown comes from the page (#filing-messages), translated by the server. */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("filing-config").textContent);
  var MSG = JSON.parse(document.getElementById("filing-messages").textContent);
  var MAX_DELAY = 5 * 60 * 1000;
  var LOGIN_RETRY = 60 * 1000;

  var state = { count: 0, needLogin: false, flushing: false, again: false, timer: null, offlineReady: false };

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent("observa:" + name, { detail: detail }));
  }

  // --- IndexedDB -----------------------------------------------------------------------------

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var request = indexedDB.open("observa", 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("outbox", { keyPath: "uuid" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction("outbox", mode);
        var request = action(transaction.objectStore("outbox"));
        transaction.oncomplete = function () { resolve(request.result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function get(uuid) { return store("readonly", function (s) { return s.get(uuid); }); }
  function put(entry) { return store("readwrite", function (s) { return s.put(entry); }); }
  function remove(uuid) { return store("readwrite", function (s) { return s.delete(uuid); }); }

  function mine() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (entries) {
      return entries
        .filter(function (entry) { return entry.user === CONFIG.user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }

  // --- Sending -------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + CONFIG.csrfCookie + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function schedule(delay) {
    clearTimeout(state.timer);
    state.timer = setTimeout(flush, delay);
  }

  function backoff(attempts) {
    var delay = Math.min(MAX_DELAY, 2000 * Math.pow(2, Math.min(attempts - 1, 8)));
    return delay * (0.75 + Math.random() / 2);
  }

  function retryLater(entry, message) {
    entry.lastError = message;
    return put(entry).then(function () { schedule(backoff(entry.attempts)); return "stop"; });
  }

  function post(entry) {
    var headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() };
    if (entry.offline) headers["X-Observa-Channel"] = "offline";
    return fetch(entry.url, {
      method: entry.method,
      credentials: "same-origin",
      cache: "no-store",
      headers: headers,
      body: JSON.stringify(entry.body),
    });
  }

  // One entry: "sent", "blocked" (the observer must act; later entries still go) or "stop" (try later).
  function send(entry, retriedCsrf) {
    entry.attempts += 1;
    return post(entry).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return outcome(entry, response.status, data, retriedCsrf);
      });
    }, function () {
      entry.offline = true;  // it waited for the network: the server records it as filed offline
      return retryLater(entry, MSG.network_error);
    });
  }

  function outcome(entry, status, data, retriedCsrf) {
    if ((status === 200 || status === 201) && data) {
      state.needLogin = false;
      return remove(entry.uuid).then(function () { emit("sent", { entry: entry, data: data }); return "sent"; });
    }
    if (status === 401 || (status === 403 && !data && retriedCsrf)) {
      state.needLogin = true;
      entry.lastError = MSG.login_required;
      return put(entry).then(function () { schedule(LOGIN_RETRY); return "stop"; });
    }
    if (status === 403 && !data) {
      // Refused by the CSRF check (no JSON): fetch a page to get a fresh cookie, then try once more.
      return fetch(CONFIG.homeUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function () { return send(entry, true); }, function () { return retryLater(entry, MSG.network_error); });
    }
    if (data && (status === 400 || status === 403 || status === 404 || status === 409)) {
      entry.state = status === 400 ? "invalid" : status === 409 ? "conflict" : "refused";
      entry.errors = data.errors || null;
      entry.lastError = status === 400 ? MSG.invalid : data.message || String(status);
      return put(entry).then(function () { emit("refused", { entry: entry }); return "blocked"; });
    }
    return retryLater(entry, fmt(MSG.server_error, { status: status }));
  }

  function drain() {
    return mine().then(function (entries) {
      var blocked = {};
      var index = 0;
      function next() {
        if (index >= entries.length) return null;
        var uuid = entries[index++].uuid;
        return get(uuid).then(function (entry) {  // another tab may have sent or changed it meanwhile
          if (!entry) return next();
          if (entry.state !== "pending" || (entry.after && blocked[entry.after])) {
            blocked[entry.uuid] = true;  // an incident waits for its visit
            return next();
          }
          return send(entry, false).then(function (result) {
            if (result === "stop") return null;
            if (result === "blocked") blocked[entry.uuid] = true;
            return next();
          });
        });
      }
      return next();
    });
  }

  function flush() {
    if (state.flushing) {
      state.again = true;  // saved while sending: go round once more
      return Promise.resolve();
    }
    state.flushing = true;
    state.again = false;
    clearTimeout(state.timer);
    var run = navigator.locks
      ? navigator.locks.request("observa-outbox", drain)  // one tab sends at a time
      : drain();
    return run.catch(function () { return null; }).then(function () {
      state.flushing = false;
      return state.again ? flush() : render();
    });
  }

  function save(entry) {
    return get(entry.uuid).then(function (existing) {
      entry.user = CONFIG.user;
      entry.created = existing ? existing.created : Date.now();  // a corrected entry keeps its place
      entry.attempts = 0;
      entry.lastError = "";
      entry.errors = null;
      entry.state = "pending";
      entry.offline = !navigator.onLine;
      entry.after = (entry.body && entry.body.visit) || null;
      return put(entry);
    }).then(function () {
      render();
      flush();
    });
  }

  function discard(uuid) {
    return remove(uuid).then(render);
  }

  // --- What the observer sees ------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function item(entry) {
    var li = element("li", "outbox-item" + (entry.state === "pending" ? "" : " outbox-item-attention"));
    var title = element("div", "fw-semibold", (MSG[entry.kind] || entry.kind) + " · " + entry.label);
    li.appendChild(title);
    if (entry.lastError) li.appendChild(element("div", "small", entry.lastError));
    if (entry.state !== "pending") {
      var actions = element("div", "d-flex gap-2 mt-2");
      if (entry.state === "invalid" && entry.page) {
        var open = element("a", "btn btn-sm btn-primary", MSG.open_to_fix);
        open.href = entry.page + "?outbox=" + encodeURIComponent(entry.uuid);
        actions.appendChild(open);
      }
      var drop = element("button", "btn btn-sm btn-outline-danger", MSG.discard);
      drop.type = "button";
      drop.addEventListener("click", function () {
        if (window.confirm(MSG.discard_confirm)) discard(entry.uuid);
      });
      actions.appendChild(drop);
      li.appendChild(actions);
    }
    return li;
  }

  function render() {
    return mine().then(function (entries) {
      state.count = entries.length;
      var attention = entries.filter(function (e) { return e.state !== "pending"; }).length;
      var pending = entries.length - attention;
      document.querySelectorAll("[data-outbox-badge]").forEach(function (badge) {
        badge.textContent = String(entries.length);
        badge.title = fmt(MSG.waiting, { count: entries.length });
        badge.hidden = entries.length === 0;
      });
      var bar = document.querySelector("[data-outbox]");
      if (!bar) return;
      var loginNeeded = state.needLogin && pending > 0;
      var text = entries.length ? fmt(MSG.waiting, { count: entries.length }) : MSG.nothing_waiting;
      if (attention) text += " · " + fmt(MSG.attention, { count: attention });
      bar.querySelector("[data-outbox-count]").textContent = text;
      bar.querySelector("[data-outbox-offline]").hidden = navigator.onLine;
      bar.querySelector("[data-outbox-send]").hidden = pending === 0;
      bar.dataset.state = attention || loginNeeded ? "attention" : pending ? "waiting" : "ok";
      bar.dataset.offlineReady = state.offlineReady ? "1" : "";

      var details = document.querySelector("[data-outbox-details]");
      var note = details.querySelector("[data-outbox-note]");
      var noteText = loginNeeded ? MSG.login_required : !navigator.onLine && pending ? MSG.offline : "";
      note.querySelector("[data-outbox-note-text]").textContent = noteText;
      note.hidden = !noteText;
      var login = note.querySelector("[data-outbox-login]");
      login.href = CONFIG.loginUrl;
      login.hidden = !loginNeeded;
      var list = details.querySelector("[data-outbox-list]");
      list.textContent = "";
      entries.forEach(function (entry) { list.appendChild(item(entry)); });
      details.hidden = entries.length === 0;
      if (attention || loginNeeded) details.open = true;  // the observer has something to do
    }).catch(function () {
      var count = document.querySelector("[data-outbox-count]");
      if (count) count.textContent = MSG.unsupported;
    });
  }

  // --- The page around it: logout, menu, service worker -------------------------------------------

  function guardLogout() {
    var form = document.getElementById("logout-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (state.count > 0 && !window.confirm(fmt(MSG.logout_warning, { count: state.count }))) {
        event.preventDefault();
        return;
      }
      // The pages kept offline show this user's name and data: forget them (the outbox stays).
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
      }
    });
  }

  // Filing pages do without Bootstrap's 80 KB script: the menu, its dropdown and dismissible alerts.
  function menus() {
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest("[data-bs-toggle]");
      document.querySelectorAll(".dropdown-menu.show").forEach(function (menu) {
        if (!menu.contains(event.target) && (!toggle || toggle.nextElementSibling !== menu)) menu.classList.remove("show");
      });
      if (toggle) {
        event.preventDefault();
        var target = toggle.dataset.bsToggle === "collapse"
          ? document.querySelector(toggle.dataset.bsTarget)
          : toggle.nextElementSibling;
        if (!target) return;
        target.setAttribute("data-bs-popper", "static");
        toggle.setAttribute("aria-expanded", String(target.classList.toggle("show")));
        return;
      }
      var dismiss = event.target.closest("[data-bs-dismiss='alert']");
      if (dismiss) dismiss.closest(".alert").remove();
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(CONFIG.swUrl).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () {
        state.offlineReady = true;
        render();
        emit("offline-ready", {});
      };
      registration.active.postMessage({ type: "keep-pages", urls: CONFIG.cacheUrls }, [channel.port2]);
    }).catch(function () { return null; });
  }

  window.ObservaOutbox = {
    config: CONFIG,
    messages: MSG,
    fmt: fmt,
    save: save,
    get: get,
    flush: flush,
    discard: discard,
    get count() { return state.count; },
    get offlineReady() { return state.offlineReady; },
  };

  menus();
  guardLogout();
  document.querySelector("[data-outbox-send]").addEventListener("click", flush);
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush();
  });
  registerWorker();
  flush();
})();
