// Fast attendance logging: P/L/E/A (or 1-4) mark the focused row and move to the next shown one.
(function () {
  "use strict";
  var form = document.getElementById("session-log");
  if (!form) return;
  var keys = { p: "present", l: "late", e: "excused", a: "absent", "1": "present", "2": "late", "3": "excused", "4": "absent" };
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-log-row]"));
  var summary = document.getElementById("log-summary");

  function checked(row) {
    return row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
  }
  function updateSummary() {
    var counts = {};
    rows.forEach(function (row) {
      var input = row.querySelector("input[type=radio]:checked");
      if (input && input.value) {
        var label = row.querySelector("label[for='" + input.id + "']").textContent;
        counts[label] = (counts[label] || 0) + 1;
      }
    });
    if (summary) {
      summary.textContent = Object.keys(counts).map(function (k) { return k + " " + counts[k]; }).join(" · ");
    }
  }
  form.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.type !== "radio") return;
    var status = keys[event.key.toLowerCase()];
    if (!status) return;
    var row = target.closest("[data-log-row]");
    var input = row && row.querySelector("input[type=radio][value='" + status + "']");
    if (!input) return;
    event.preventDefault();
    input.checked = true;
    updateSummary();
    var next = rows.slice(rows.indexOf(row) + 1).filter(function (r) { return !r.hidden; })[0];
    if (next) checked(next).focus();
    else form.querySelector("button[type=submit]").focus();
  });
  form.addEventListener("change", updateSummary);
  form.querySelectorAll("[data-mark-all]").forEach(function (button) {
    button.addEventListener("click", function () {
      var status = button.getAttribute("data-mark-all");
      rows.forEach(function (row) {
        var input = row.querySelector("input[type=radio][value='" + status + "']");
        var none = row.querySelector("input[type=radio][value='']");
        if (input && !(none && none.checked)) input.checked = true;
      });
      updateSummary();
    });
  });
  updateSummary();
})();

// The hours placeholder follows the session's credited hours as they are typed.
(function () {
  "use strict";
  var hours = document.getElementById("id_hours");
  if (!hours) return;
  hours.addEventListener("input", function () {
    document.querySelectorAll("#session-log input[name^='hours_']").forEach(function (input) {
      input.placeholder = hours.value;
    });
  });
})();
