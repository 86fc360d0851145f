/* Observa filing form: a visit (new or corrected) or an incident, on a page rendered by the server.

   Shows and hides questions by their show-if rule (the server's rule: shown when the earlier question
   is shown and its answer is, or for multiple choice includes, the value), checks the answers, gives
   the visit its UUID when the form is opened, and hands the result to the outbox (outbox.js), which
   sends it. The rules and texts come from the page: #checklist-definition, #filing-form-config and
   #filing-messages. */
(function () {
  "use strict";

  var OUTBOX = window.ObservaOutbox;
  var CONFIG = OUTBOX.config;
  var MSG = OUTBOX.messages;
  var fmt = OUTBOX.fmt;
  var form = document.getElementById("filing-form");
  var FORM = JSON.parse(document.getElementById("filing-form-config").textContent);
  var definitionNode = document.getElementById("checklist-definition");
  var DEFINITION = definitionNode ? JSON.parse(definitionNode.textContent) : { questions: [] };
  var QUESTIONS = DEFINITION.questions;
  var BY_CODE = {};
  QUESTIONS.forEach(function (q) { BY_CODE[q.code] = q; });
  var KIND = form.dataset.filingForm;  // "visit" or "incident"
  var CHOICE = { yes_no: true, single: true, rating: true };
  var done = document.querySelector("[data-form-done]");
  var uuid = FORM.uuid || newUuid();
  var dirty = false;

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs HTTPS; this does not
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- Times: the inputs hold local wall-clock time, the API wants ISO 8601 with the offset ----------

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function toLocal(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d)) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function toIso(local) {
    var d = new Date(local);
    if (!local || isNaN(d)) return null;
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return local.slice(0, 16) + ":00" + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function momentValue(name) {
    var input = form.elements[name];
    if (!input || !input.value) return null;
    // Untouched: send the stored moment as it was (an imported one may carry seconds).
    if (input.dataset.iso && toLocal(input.dataset.iso) === input.value) return input.dataset.iso;
    return toIso(input.value);
  }

  // --- Answers and the show-if rule ------------------------------------------------------------------

  function inputs(code) { return form.querySelectorAll("[name='q-" + code + "']"); }

  function rawValue(q) {
    var nodes = inputs(q.code);
    if (q.type === "multiple") {
      return Array.prototype.filter.call(nodes, function (n) { return n.checked; }).map(function (n) { return n.value; });
    }
    if (CHOICE[q.type]) {
      var checked = Array.prototype.find.call(nodes, function (n) { return n.checked; });
      return checked ? checked.value : null;
    }
    var value = nodes[0] ? nodes[0].value.trim() : "";
    return value === "" ? null : value;
  }

  function blank(value) {
    return value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);
  }

  function normTime(value) {
    var m = /^(\d{1,2}):(\d{2})$/.exec(String(value).trim());
    return m ? pad(+m[1]) + ":" + m[2] : null;
  }

  function matches(parent, value, expected) {
    expected = String(expected).trim();
    if (blank(value)) return false;
    if (Array.isArray(value)) return value.indexOf(expected) !== -1;
    if (parent.type === "number") return expected !== "" && !isNaN(+expected) && +value === +expected;
    if (parent.type === "time") return normTime(value) !== null && normTime(value) === normTime(expected);
    return String(value).trim() === expected;
  }

  function shownMap(values) {
    var shown = {};
    function visit(q, path) {
      if (q.code in shown) return shown[q.code];
      var result = true;
      if (q.show_if) {
        var parent = BY_CODE[q.show_if.question];
        if (!parent) result = true;
        else if (path.indexOf(parent.code) !== -1) result = false;
        else result = visit(parent, path.concat(q.code)) && matches(parent, values[parent.code], q.show_if.equals);
      }
      shown[q.code] = result;
      return result;
    }
    QUESTIONS.forEach(function (q) { visit(q, []); });
    return shown;
  }

  function values() {
    var result = {};
    QUESTIONS.forEach(function (q) { result[q.code] = rawValue(q); });
    return result;
  }

  function applyRules() {
    var shown = shownMap(values());
    QUESTIONS.forEach(function (q) {
      var node = document.getElementById("q-" + q.code);
      if (node) node.hidden = !shown[q.code];
    });
    return shown;
  }

  // --- Checking, as the server will ------------------------------------------------------------------

  function decimals(text) {
    var m = /\.(\d+)$/.exec(text);
    return m ? m[1].replace(/0+$/, "").length : 0;
  }

  function checkNumber(q, text, node) {
    if ((node && node.validity && node.validity.badInput) || (text !== null && !isFinite(+text))) return MSG.not_a_number;
    if (text === null) return null;
    if (decimals(text) > 2) return MSG.two_decimals;
    if (q.min !== null && +text < q.min) return fmt(MSG.min, { min: q.min });
    if (q.max !== null && +text > q.max) return fmt(MSG.max, { max: q.max });
    return null;
  }

  function collectVisit(errors) {
    var raw = values();
    var shown = shownMap(raw);
    var answers = {};
    QUESTIONS.forEach(function (q) {
      if (!shown[q.code]) return;  // a hidden question is not sent
      var value = raw[q.code];
      var error = q.type === "number" ? checkNumber(q, value, inputs(q.code)[0]) : null;
      if (!error && blank(value) && q.required) error = MSG.required;
      if (error) errors[q.code] = [error];
      else if (!blank(value)) answers[q.code] = q.type === "number" ? +value : value;
    });
    var arrived = momentValue("arrived_at");
    var departed = momentValue("departed_at");
    if (!arrived) errors.arrived_at = [MSG.required_field];
    if (arrived && departed && new Date(departed) < new Date(arrived)) errors.departed_at = [MSG.departure_before_arrival];
    var assessment = form.querySelector("[name='assessment']:checked");
    var body = {
      uuid: uuid,
      checklist: FORM.checklist,
      version: FORM.version,
      station: form.elements.station.value,
      arrived_at: arrived,
      departed_at: departed,
      answers: answers,
      notes: form.elements.notes.value.trim(),
      assessment: assessment ? assessment.value : "",
    };
    if (FORM.method === "PUT") body.revision = FORM.revision;
    return body;
  }

  function collectIncident(errors) {
    var category = form.querySelector("[name='category']:checked");
    var body = {
      uuid: uuid,
      station: form.elements.station.value,
      visit: form.elements.visit.value || null,
      occurred_at: momentValue("occurred_at"),
      category: category ? category.value : "",
      description: form.elements.description.value.trim(),
    };
    if (!body.occurred_at) errors.occurred_at = [MSG.required_field];
    if (!body.category) errors.category = [MSG.required_field];
    if (!body.description) errors.description = [MSG.required_field];
    return body;
  }

  function collect() {
    var errors = {};
    var body = KIND === "incident" ? collectIncident(errors) : collectVisit(errors);
    if (!body.station) errors.station = [MSG.choose_station];
    return { body: body, errors: errors };
  }

  // --- Errors ------------------------------------------------------------------------------------------

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach(function (node) { node.hidden = true; node.textContent = ""; });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    form.querySelector("[data-form-errors]").hidden = true;
  }

  function showErrors(errors) {
    clearErrors();
    var places = {};
    form.querySelectorAll("[data-error-for]").forEach(function (node) { places[node.dataset.errorFor] = node; });
    var general = [];
    var first = null;
    Object.keys(errors).forEach(function (key) {
      var text = [].concat(errors[key]).join(" ");
      var place = places[key];
      if (place && !place.parentElement.closest("[hidden]")) {
        place.textContent = text;
        place.hidden = false;
        (place.closest(".q, .filing-block") || place).classList.add("has-error");
        first = first || place;
      } else {
        general.push(BY_CODE[key] ? key + ": " + text : text);  // a question the form does not show
      }
    });
    var box = form.querySelector("[data-form-errors]");
    box.textContent = [MSG.fix_errors].concat(general).join(" ");
    box.hidden = false;
    (general.length || !first ? box : first.closest(".q, .filing-block") || first).scrollIntoView({ block: "center" });
  }

  // --- The station picker -------------------------------------------------------------------------------

  var picker = form.querySelector("[data-station-picker]");
  var results = picker.querySelector("[data-station-results]");
  var query = picker.querySelector("[data-station-query]");
  var hint = picker.querySelector("[data-station-hint]");
  var hintText = hint.textContent;
  var knownKey = "observa:stations:" + CONFIG.mission;
  var known = {};
  var planned = [];

  function remember(list) {
    list.forEach(function (s) { known[s.code] = s; });
    try {
      var codes = Object.keys(known).slice(-2000);
      localStorage.setItem(knownKey, JSON.stringify(codes.map(function (c) { return known[c]; })));
    } catch (error) { /* full or disabled: the page's own list still works */ }
  }

  try { JSON.parse(localStorage.getItem(knownKey) || "[]").forEach(function (s) { known[s.code] = s; }); } catch (error) { /* ignore */ }
  results.querySelectorAll("[data-code]").forEach(function (button) {
    var s = { code: button.dataset.code, name: button.dataset.name, area: button.dataset.area, planned: true };
    known[s.code] = s;
    planned.push(s);
  });

  function option(s) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "station-option";
    button.dataset.code = s.code;
    button.dataset.name = s.name;
    var code = document.createElement("span");
    code.className = "fw-semibold";
    code.textContent = s.code;
    button.appendChild(code);
    if (s.planned) {
      var badge = document.createElement("span");
      badge.className = "badge text-bg-info-subtle text-info-emphasis border ms-1";
      badge.textContent = MSG.planned;
      button.appendChild(badge);
    }
    [[s.name, "d-block small"], [s.area, "d-block small text-body-secondary"]].forEach(function (pair) {
      if (!pair[0]) return;
      var span = document.createElement("span");
      span.className = pair[1];
      span.textContent = pair[0];
      button.appendChild(span);
    });
    li.appendChild(button);
    return li;
  }

  function showStations(list, note) {
    results.textContent = "";
    list.forEach(function (s) { results.appendChild(option(s)); });
    if (!list.length) {
      var empty = document.createElement("li");
      empty.className = "text-body-secondary py-2";
      empty.textContent = MSG.no_station_found;
      results.appendChild(empty);
    }
    hint.textContent = note || hintText;
  }

  function searchHere(text) {
    var needle = text.toLowerCase();
    var found = Object.keys(known).map(function (c) { return known[c]; }).filter(function (s) {
      return s.code.toLowerCase().indexOf(needle) === 0 || (s.name || "").toLowerCase().indexOf(needle) !== -1;
    });
    found.sort(function (a, b) { return (b.planned ? 1 : 0) - (a.planned ? 1 : 0) || (a.code < b.code ? -1 : 1); });
    return found.slice(0, 30);
  }

  var searchTimer = null;
  query.addEventListener("input", function () {
    clearTimeout(searchTimer);
    var text = query.value.trim();
    if (!text) { showStations(planned); return; }
    searchTimer = setTimeout(function () {
      if (!navigator.onLine) { showStations(searchHere(text), MSG.offline_search); return; }
      fetch(CONFIG.stationsUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (list) { remember(list); if (query.value.trim() === text) showStations(list); })
        .catch(function () { if (query.value.trim() === text) showStations(searchHere(text), MSG.offline_search); });
    }, 250);
  });

  function chooseStation(code, name) {
    form.elements.station.value = code;
    picker.querySelector("[data-station-chosen-code]").textContent = code;
    picker.querySelector("[data-station-chosen-name]").textContent = name || (known[code] && known[code].name) || "";
    picker.querySelector("[data-station-chosen]").hidden = !code;
    picker.querySelector("[data-station-search]").hidden = !!code;
    var error = picker.querySelector("[data-error-for='station']");
    error.hidden = true;
    picker.classList.remove("has-error");
  }

  results.addEventListener("click", function (event) {
    var button = event.target.closest("[data-code]");
    if (button) { chooseStation(button.dataset.code, button.dataset.name); dirty = true; }
  });
  picker.querySelector("[data-station-change]").addEventListener("click", function () {
    picker.querySelector("[data-station-chosen]").hidden = true;
    picker.querySelector("[data-station-search]").hidden = false;
    query.focus();
  });

  // --- Filling the form (a correction waiting in the outbox, or one to fix) -------------------------------

  function setMoment(name, iso) {
    var input = form.elements[name];
    if (!input) return;
    input.dataset.iso = iso || "";
    input.value = toLocal(iso);
  }

  function fill(body) {
    uuid = body.uuid;
    chooseStation(body.station || "", "");
    if (KIND === "incident") {
      setMoment("occurred_at", body.occurred_at);
      form.elements.description.value = body.description || "";
      form.querySelectorAll("[name='category']").forEach(function (n) { n.checked = n.value === body.category; });
      setVisit(body.visit);
      return;
    }
    setMoment("arrived_at", body.arrived_at);
    setMoment("departed_at", body.departed_at);
    form.elements.notes.value = body.notes || "";
    form.querySelectorAll("[name='assessment']").forEach(function (n) { n.checked = n.value === body.assessment; });
    var answers = body.answers || {};
    QUESTIONS.forEach(function (q) {
      var value = answers[q.code];
      inputs(q.code).forEach(function (node) {
        if (node.type === "radio" || node.type === "checkbox") {
          node.checked = Array.isArray(value) ? value.indexOf(node.value) !== -1 : String(value) === node.value;
        } else {
          node.value = blank(value) ? "" : String(value);
        }
      });
    });
    applyRules();
  }

  function setVisit(visit) {
    if (!form.elements.visit) return;
    form.elements.visit.value = visit || "";
    document.querySelector("[data-visit-note]").hidden = !visit;
  }

  // --- Saving ---------------------------------------------------------------------------------------------

  function label(body) {
    var when = body.arrived_at || body.occurred_at;
    var parts = [body.station];
    if (KIND === "incident") {
      var category = form.querySelector("[name='category']:checked");
      if (category) parts.push(category.parentNode.textContent.trim());
    } else {
      parts.push(FORM.label);
    }
    if (when) parts.push(toLocal(when).slice(11));
    return parts.join(" · ");
  }

  function showDone(text) {
    form.hidden = true;
    done.hidden = false;
    done.querySelector("[data-form-done-status]").textContent = text;
    var incident = done.querySelector("[data-incident-link]");
    if (incident) {
      incident.href = incident.href.split("?")[0] + "?visit=" + encodeURIComponent(uuid) + "&station=" + encodeURIComponent(form.elements.station.value);
    }
    done.focus();
    window.scrollTo(0, 0);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var result = collect();
    if (Object.keys(result.errors).length) { showErrors(result.errors); return; }
    clearErrors();
    var entry = {
      uuid: uuid,
      url: FORM.url,
      method: FORM.method,
      body: result.body,
      kind: KIND === "incident" ? "incident" : FORM.method === "PUT" ? "correction" : "visit",
      label: label(result.body),
      page: location.pathname,
    };
    OUTBOX.save(entry).then(function () {
      dirty = false;
      showDone(navigator.onLine ? MSG.saved_sending : MSG.saved_offline);
    }, function () {
      showErrors({ __all__: [MSG.unsupported] });
    });
  });

  document.addEventListener("observa:sent", function (event) {
    if (event.detail.entry.uuid !== uuid || done.hidden) return;
    var status = done.querySelector("[data-form-done-status]");
    status.textContent = MSG.sent + " ";
    if (event.detail.data.url) {
      var link = document.createElement("a");
      link.href = event.detail.data.url;
      link.textContent = MSG.view_sent;
      status.appendChild(link);
    }
  });

  document.addEventListener("observa:refused", function (event) {
    var entry = event.detail.entry;
    if (entry.uuid !== uuid || done.hidden) return;
    done.hidden = true;
    form.hidden = false;
    showErrors(entry.errors || { __all__: [entry.lastError] });
  });

  form.addEventListener("change", function () { dirty = true; applyRules(); });
  form.addEventListener("input", function () { dirty = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  form.querySelectorAll("[data-now]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.now);
      input.value = toLocal(new Date().toISOString());
      dirty = true;
    });
  });

  // --- Opening the page ---------------------------------------------------------------------------------

  form.querySelectorAll("input[data-iso]").forEach(function (input) { input.value = toLocal(input.dataset.iso); });
  var params = new URLSearchParams(location.search);
  var reopen = params.get("outbox") || (FORM.method === "PUT" ? uuid : null);
  var opening = reopen ? OUTBOX.get(reopen).catch(function () { return null; }) : Promise.resolve(null);
  opening.then(function (entry) {
    if (entry && entry.user === CONFIG.user && entry.page === location.pathname) {
      fill(entry.body);
      var note = document.querySelector("[data-form-note]");
      note.textContent = MSG.reopened;
      note.hidden = false;
      if (entry.errors || entry.state !== "pending") showErrors(entry.errors || { __all__: [entry.lastError] });
      return;
    }
    if (KIND === "incident") {
      var station = params.get("station");
      if (station) chooseStation(station, "");
      setVisit(params.get("visit"));
      form.elements.occurred_at.value = toLocal(new Date().toISOString());
    } else if (FORM.method === "POST") {
      form.elements.arrived_at.value = toLocal(new Date().toISOString());  // usually opened on arrival
    }
    applyRules();
  });
})();
