// Copy buttons: <button data-copy-target="input-id" data-copied-text="…">; a status line
// [data-copy-status] (aria-live) says it worked. Inputs with data-select-on-focus select all.
(function () {
  "use strict";
  function status(text) {
    var line = document.querySelector("[data-copy-status]");
    if (line) line.textContent = text;
  }
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy-target"));
      if (!input) return;
      var done = function () { status(button.getAttribute("data-copied-text") || ""); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          input.select();
          if (document.execCommand("copy")) done();
        });
      } else {
        input.focus();
        input.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
})();
