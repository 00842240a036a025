// 月报表单: lamps follow what is typed (the rule lives on the server, in one place; this only asks it),
// drafts are saved as the clerk types through the same service and version check as 保存草稿, and
// what is typed but not yet saved is kept in this browser until a save succeeds, so a lost session or
// a page left by mistake loses nothing. Without this script the form posts as a plain form.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var url = form.getAttribute("data-lamp-url");
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var LIVE = ["actual", "forecast", "likelihood", "grade_percent"];
  var timers = {};
  var sequence = {};

  function csrfToken() { return tokenTag ? tokenTag.getAttribute("content") : ""; }

  function field(id, name) { return form.querySelector('[name="i' + id + "." + name + '"]'); }

  function showErrors(row, id, errors) {
    row.querySelectorAll(".field-error.live").forEach(function (el) { el.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var input = field(id, name);
      if (!input) { return; }
      input.classList.add("invalid");
      input.setAttribute("aria-invalid", "true");
      var span = document.createElement("span");
      span.className = "field-error live";
      span.setAttribute("role", "alert");  // said as it appears, not only seen
      span.textContent = errors[name].join("；");
      input.insertAdjacentElement("afterend", span);
    });
    LIVE.forEach(function (name) {
      var input = field(id, name);
      if (input && !(errors && errors[name])) {
        input.classList.remove("invalid");
        input.removeAttribute("aria-invalid");
        // The server's message about the value before this one no longer applies.
        row.querySelectorAll('[data-error-for="i' + id + "." + name + '"]').forEach(function (el) { el.remove(); });
      }
    });
  }

  function update(row) {
    var id = row.getAttribute("data-indicator-id");
    var values = {};
    LIVE.forEach(function (name) {
      var input = field(id, name);
      if (input) { values[name] = input.value; }
    });
    var mine = (sequence[id] || 0) + 1;
    sequence[id] = mine;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",  // a session that timed out: leave its word for the login page, unread
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ indicator_id: Number(id), values: values })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (result) {
      if (!result || sequence[id] !== mine) { return; }  // a newer request is on its way
      showErrors(row, id, result.errors);
      var notes = form.querySelector('[data-warnings-for="' + id + '"]');
      if (notes) {
        notes.textContent = "";
        (result.warnings || []).forEach(function (text) {
          var span = document.createElement("span");
          span.className = "warning";
          span.textContent = "⚠ " + text;
          notes.appendChild(span);
        });
      }
      if (!result.status) { return; }  // an older server's answer: nothing to show
      var lamp = row.querySelector("[data-lamp]");
      lamp.className = "lamp " + result.status.replace("/", "");
      lamp.textContent = result.label;
      lamp.title = result.explain || "";
      var cause = form.querySelector('[data-cause-for="' + id + '"]');
      if (cause && result.needs_cause) { cause.classList.remove("hidden"); }
    }).catch(function () { /* the server checks again on save */ });
  }

  // After a conflict: 采用此值 puts the other person's saved value into the field.
  form.querySelectorAll("[data-take-theirs]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = form.elements.namedItem(button.getAttribute("data-take-theirs"));
      if (!input) { return; }
      input.value = button.getAttribute("data-value");
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // 12/19 已填 per project and for the form: what still needs a value, as the clerk types.
  var completenessText = form.getAttribute("data-text-completeness") || "{filled}/{total}";
  function counted(scope) {
    var filled = 0, total = 0;
    scope.querySelectorAll("tr.indicator-row").forEach(function (row) {
      var input = field(row.getAttribute("data-indicator-id"), "actual");
      if (!input) { return; }  // a computed metric needs nothing typed
      total += 1;
      if (String(input.value).trim()) { filled += 1; }
    });
    return completenessText.replace("{filled}", filled).replace("{total}", total);
  }
  function updateCompleteness() {
    form.querySelectorAll("[data-completeness-scope]").forEach(function (scope) {
      var label = scope.querySelector("[data-completeness]");
      if (label) { label.textContent = counted(scope); }
    });
    var whole = document.getElementById("completeness-total");
    if (whole) { whole.textContent = counted(form); }
  }
  form.addEventListener("input", updateCompleteness);
  form.addEventListener("change", updateCompleteness);

  form.querySelectorAll("tr.indicator-row").forEach(function (row) {
    var id = row.getAttribute("data-indicator-id");
    LIVE.forEach(function (name) {
      var input = field(id, name);
      if (!input || input.disabled) { return; }
      var handler = function () {
        clearTimeout(timers[id]);
        timers[id] = setTimeout(function () { update(row); }, 300);
      };
      input.addEventListener("input", handler);
      input.addEventListener("change", handler);
    });
  });

  // ------------------------------------------------------------------ drafts (SPEC §4: nothing lost)
  var autosaveUrl = form.getAttribute("data-autosave-url");
  if (!autosaveUrl) { return; }  // not a draft this user may write: nothing to keep
  var DELAY = 3000;  // autosave 3 s after the last keystroke
  var LEAVE_WAIT = 5000;  // a link waits at most this long for the save before it goes
  var versionInput = form.querySelector('input[name="base_version"]');
  var stateEl = document.getElementById("autosave-state");
  var notice = document.getElementById("draft-notice");
  var timeZone = form.getAttribute("data-timezone") || undefined;
  // One copy per user and report; the key also names the version the values were typed over.
  var PREFIX = "tracker.draft|" + form.getAttribute("data-draft-user") + "|" +
    form.getAttribute("data-draft-path") + "|";
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  function text(name) { return form.getAttribute("data-text-" + name) || ""; }
  function norm(value) { return String(value == null ? "" : value).replace(/\r\n?/g, "\n"); }

  function inputs() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && /^i\d+\./.test(el.name) && !el.disabled;
    });
  }
  function byName(name) {
    var el = form.elements.namedItem(name);
    return el && !el.disabled && /^i\d+\./.test(name) ? el : null;
  }

  // What the server holds: the values the page was drawn with, or, when it shows again what was
  // typed (an error, a conflict), the stored values it names; then what each save wrote.
  var saved = {};
  inputs().forEach(function (el) {
    var stored = el.getAttribute("data-stored");
    saved[el.name] = stored !== null ? stored : el.value;
  });

  function changes() {
    var out = {};
    inputs().forEach(function (el) {
      if (norm(el.value) !== norm(saved[el.name])) { out[el.name] = el.value; }
    });
    return out;
  }
  function isDirty() { return Object.keys(changes()).length > 0; }

  // ---- the copy in this browser
  function copyKeys() {
    var keys = [];
    if (!store) { return keys; }
    for (var i = 0; i < store.length; i += 1) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }
  function dropCopies() { copyKeys().forEach(function (key) { store.removeItem(key); }); }
  function latestCopy() {
    var best = null;
    copyKeys().forEach(function (key) {
      try {
        var record = JSON.parse(store.getItem(key));
        if (record && record.values && (!best || record.at > best.at)) { best = record; }
      } catch (e) { store.removeItem(key); }
    });
    return best;
  }
  // ``sent``: these very values went out in a save whose answer this page may not see (a post).
  function keepCopy(sent) {
    if (!store) { return; }
    var values = changes();
    dropCopies();
    if (!Object.keys(values).length) { return; }
    var base = Number(versionInput.value) || 0;
    var record = { base: base, at: Date.now(), sent: !!sent, values: values };
    try { store.setItem(PREFIX + base, JSON.stringify(record)); } catch (e) { /* full: the server has the rest */ }
  }

  function clock(at) {
    var options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: timeZone };
    var day = { year: "numeric", month: "2-digit", day: "2-digit", timeZone: timeZone };
    try {
      var then = new Date(at);
      var sameDay = then.toLocaleDateString("zh-CN", day) === new Date().toLocaleDateString("zh-CN", day);
      if (!sameDay) { options.month = "2-digit"; options.day = "2-digit"; }
      return then.toLocaleString("zh-CN", options);
    } catch (e) {
      return new Date(at).toTimeString().slice(0, 5);
    }
  }

  // ---- the state line beside the buttons
  function setState(state, message) {
    if (!stateEl) { return; }
    stateEl.setAttribute("data-state", state);
    stateEl.className = "autosave-state " + state;
    stateEl.textContent = state === "unsaved" ? text("unsaved").replace("{reason}", message) : (message || "");
  }

  function refreshToken(token) {
    if (!token) { return; }
    if (tokenTag) { tokenTag.setAttribute("content", token); }
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (el) { el.value = token; });
  }

  function rowErrors(ids, errors) {
    ids.forEach(function (id) {
      var row = form.querySelector('tr.indicator-row[data-indicator-id="' + id + '"]');
      if (!row) { return; }
      var mine = {};
      Object.keys(errors || {}).forEach(function (key) {
        var dot = key.indexOf(".");
        if (key.slice(0, dot) === id) { mine[key.slice(dot + 1)] = errors[key]; }
      });
      var cause = form.querySelector('[data-cause-for="' + id + '"]');
      [row, cause].forEach(function (part) {
        if (part) { part.querySelectorAll(".field-error.draft").forEach(function (el) { el.remove(); }); }
      });
      Object.keys(mine).forEach(function (name) {
        var input = field(id, name);
        if (!input) { return; }
        input.classList.add("invalid");
        var message = mine[name].join("；");
        var shown = Array.prototype.some.call(
          input.parentNode.querySelectorAll(".field-error"),
          function (el) { return el.textContent === message; }
        );
        if (shown) { return; }  // the live lamp said it already
        var span = document.createElement("span");
        span.className = "field-error draft";
        span.setAttribute("role", "alert");
        span.setAttribute("data-draft-error", input.name);
        span.textContent = message;
        input.insertAdjacentElement("afterend", span);
      });
    });
  }

  // ---- autosave
  var timer = null;
  var inflight = null;
  var again = false;
  var stopped = false;  // a conflict or a report no longer a draft: saving again cannot help
  var submitting = false;
  var leaving = false;
  var pendingSubmit = null;

  function schedule() {
    clearTimeout(timer);
    if (!stopped) { timer = setTimeout(function () { autosave(); }, DELAY); }
  }

  function answer(response) {
    if (response.type === "opaqueredirect" || response.status === 0) {
      return { status: 401, body: { login: true } };  // the session ended: the server sends to login
    }
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) { return { status: response.status, body: null }; }
    return response.json().then(function (body) { return { status: response.status, body: body }; });
  }

  function autosave() {
    clearTimeout(timer);
    if (stopped || submitting) { return Promise.resolve(false); }
    if (inflight) { again = true; return inflight; }
    var changed = changes();
    var names = Object.keys(changed);
    if (!names.length) { return Promise.resolve(true); }
    // Whole rows, as the form posts them: a percent is checked against its grade.
    var rows = {};
    var sent = {};
    names.forEach(function (name) {
      var id = name.slice(1, name.indexOf("."));
      if (rows[id]) { return; }
      rows[id] = {};
      inputs().forEach(function (el) {
        if (el.name.indexOf("i" + id + ".") === 0) {
          rows[id][el.name.slice(el.name.indexOf(".") + 1)] = el.value;
          sent[el.name] = el.value;
        }
      });
    });
    setState("saving", text("saving"));
    inflight = fetch(autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ base_version: Number(versionInput.value) || 0, values: rows })
    }).then(answer).then(function (result) {
      var body = result.body || {};
      if (result.status === 200 && body.ok) {
        versionInput.value = String(body.version);
        Object.keys(sent).forEach(function (name) { saved[name] = sent[name]; });
        refreshToken(body.csrf_token);
        rowErrors(Object.keys(rows), {});
        keepCopy(false);  // nothing left: the copy goes; typed meanwhile: kept over the new version
        if (isDirty()) { setState("dirty", text("dirty")); } else { setState("saved", body.message); }
        return true;
      }
      keepCopy(false);
      if (result.status === 422 && body.errors) {
        rowErrors(Object.keys(rows), body.errors);
      } else if (result.status === 409) {
        stopped = true;
      }
      var reason = body.login ? text("expired") : (body.message || text("failed"));
      setState("unsaved", reason);
      return false;
    }, function () {
      keepCopy(false);
      setState("unsaved", text("offline"));
      return false;
    }).then(function (ok) {
      inflight = null;
      if (pendingSubmit) {
        var button = pendingSubmit === true ? undefined : pendingSubmit;
        pendingSubmit = null;
        if (typeof form.requestSubmit === "function") { form.requestSubmit(button); } else { form.submit(); }
      } else if (again) {
        again = false;
        if (isDirty()) { schedule(); }
      }
      return ok;
    });
    return inflight;
  }

  var restoring = false;
  function edited(event) {
    if (restoring) { return; }
    form.querySelectorAll('[data-draft-error="' + event.target.name + '"]').forEach(function (el) { el.remove(); });
    keepCopy(false);
    if (stopped) { return; }
    setState("dirty", text("dirty"));
    schedule();
  }
  inputs().forEach(function (el) {
    el.addEventListener("input", edited);
    el.addEventListener("change", edited);
  });

  // 保存草稿 / 提交审核 post the form themselves: never asked, never raced by an autosave (whose new
  // version would make this post a conflict with oneself).
  form.addEventListener("submit", function (event) {
    if (inflight) {
      event.preventDefault();
      pendingSubmit = event.submitter || true;
      return;
    }
    submitting = true;
    clearTimeout(timer);
    keepCopy(true);
  });

  // Leaving with changes asks first. Links inside the app ask here, then save before they go.
  window.addEventListener("beforeunload", function (event) {
    if (submitting || leaving || !isDirty()) { return; }
    keepCopy(false);
    event.preventDefault();
    event.returnValue = "";
  });
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey || link.hasAttribute("download") ||
        (link.target && link.target !== "_self")) { return; }
    var target = new URL(link.href, window.location.href);
    if (target.origin !== window.location.origin || target.pathname.indexOf("/evidence/") === 0) { return; }
    if (target.pathname === window.location.pathname && target.search === window.location.search && target.hash) {
      return;  // a place on this page
    }
    if (!isDirty()) { return; }
    event.preventDefault();
    if (!window.confirm(text("leave"))) { return; }
    leaving = true;
    var gone = false;
    var go = function () {
      if (!gone) { gone = true; window.location.assign(link.href); }
    };
    setTimeout(go, LEAVE_WAIT);
    // A save already on its way carries what was typed before it: then save the rest.
    autosave().then(function () { return isDirty() ? autosave() : true; }).then(go, go);
  });
  // Evidence forms reload this page: save the draft first rather than ask.
  document.querySelectorAll("#evidence form").forEach(function (other) {
    other.addEventListener("submit", function (event) {
      if (!isDirty() || leaving) { return; }
      event.preventDefault();
      leaving = true;
      var send = function () { HTMLFormElement.prototype.submit.call(other); };
      autosave().then(send, send);
    });
  });
  // Switching to another tab or window: save now rather than in 3 s.
  var unloading = false;
  window.addEventListener("pagehide", function () { unloading = true; });
  window.addEventListener("pageshow", function () { unloading = false; leaving = false; submitting = false; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !unloading && !submitting && isDirty()) { autosave(); }
  });

  // ---- coming back: restore what was typed and not saved
  function loose(value) {
    var t = norm(value);
    if (t.normalize) { t = t.normalize("NFKC"); }
    t = t.trim();
    var n = t.replace(/,/g, "");
    return n !== "" && isFinite(Number(n)) ? String(Number(n)) : t;
  }
  function put(el, value) {
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));  // lamps follow
    var match = /^i(\d+)\.(deviation_category|deviation_cause|corrective_measure)$/.exec(el.name);
    if (match && value) {
      var cause = form.querySelector('[data-cause-for="' + match[1] + '"]');
      if (cause) { cause.classList.remove("hidden"); }
    }
  }
  var restored = [];
  function restore() {
    var copy = latestCopy();
    if (!copy) { return; }
    var version = Number(versionInput.value) || 0;
    var own = form.getAttribute("data-own-version");
    if (copy.sent && own !== null && Number(own) === version && version > copy.base) {
      dropCopies();  // this browser's own save of these values went through
      return;
    }
    var differ = Object.keys(copy.values).filter(function (name) {
      var el = byName(name);
      return el && loose(el.value) !== loose(copy.values[name]);
    });
    if (!differ.length) {
      keepCopy(false);  // already on the page (shown again after an error) or saved meanwhile
      return;
    }
    restoring = true;
    differ.forEach(function (name) { put(byName(name), copy.values[name]); });
    restoring = false;
    restored = differ;  // the copy stays as it was (its time, its version) until a save or an edit
    if (notice) {
      var message = text("restored").replace("{time}", clock(copy.at));
      if (copy.base !== version) { message += " " + text("changed"); notice.classList.add("changed"); }
      notice.querySelector(".draft-notice-text").textContent = message;
      notice.hidden = false;
    }
    setState("unsaved", text("check"));
  }
  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      restoring = true;
      restored.forEach(function (name) {
        var el = byName(name);
        if (el) { put(el, saved[name]); }
      });
      restoring = false;
      restored = [];
      dropCopies();
      keepCopy(false);
      if (notice) { notice.hidden = true; }
      setState(isDirty() ? "dirty" : "", isDirty() ? text("dirty") : "");
    });
  }
  restore();
  if (!restored.length && isDirty()) { setState("dirty", text("dirty")); }  // shown again after an error
})();
