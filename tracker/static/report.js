// 月报表单: lamps follow what is typed. The rule lives on the server (one place); this only asks it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var url = form.getAttribute("data-lamp-url");
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var token = tokenTag ? tokenTag.getAttribute("content") : "";
  var LIVE = ["actual", "forecast", "likelihood", "grade_percent"];
  var timers = {};
  var sequence = {};

  function field(id, name) { return form.querySelector('[name="i' + id + "." + name + '"]'); }

  function showErrors(row, id, errors) {
    row.querySelectorAll(".field-error.live").forEach(function (el) { el.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var input = field(id, name);
      if (!input) { return; }
      input.classList.add("invalid");
      var span = document.createElement("span");
      span.className = "field-error live";
      span.textContent = errors[name].join("；");
      input.insertAdjacentElement("afterend", span);
    });
    LIVE.forEach(function (name) {
      var input = field(id, name);
      if (input && !(errors && errors[name])) {
        input.classList.remove("invalid");
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
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ indicator_id: Number(id), values: values })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (result) {
      if (!result || sequence[id] !== mine) { return; }  // a newer request is on its way
      showErrors(row, id, result.errors);
      if (!result.status) { return; }
      var lamp = row.querySelector("[data-lamp]");
      lamp.className = "lamp " + result.status.replace("/", "");
      lamp.textContent = result.label;
      lamp.title = result.explain || "";
      var cause = form.querySelector('[data-cause-for="' + id + '"]');
      if (cause && result.needs_cause) { cause.classList.remove("hidden"); }
    }).catch(function () { /* the server checks again on save */ });
  }

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
})();
