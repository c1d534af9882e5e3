/* branchsite appraisal pages: small enhancements; every page works without them.
   - [data-confirm] on a submit button: ask before submitting.
   - [data-autosubmit] on a select: submit its form when the choice changes.
   - [data-ballot]: keep "graded n/total" and the jump to the first member not yet graded
     up to date as the voter chooses. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  document.querySelectorAll("form[data-ballot]").forEach(function (form) {
    var members = Array.prototype.slice.call(form.querySelectorAll("[data-ballot-member]"));
    var count = form.querySelector("[data-ballot-count]");
    var jump = form.querySelector("[data-ballot-jump]");
    var template = count ? count.getAttribute("data-template") : "";

    function update() {
      var open = members.filter(function (m) { return !m.querySelector("input:checked"); });
      if (count) {
        count.textContent = template
          .replace("{n}", String(members.length - open.length))
          .replace("{total}", String(members.length));
      }
      if (jump) {
        jump.hidden = open.length === 0;
        if (open.length) { jump.setAttribute("href", "#" + open[0].id); }
      }
    }

    form.addEventListener("change", update);
    if (jump) {
      jump.addEventListener("click", function () {
        var target = document.querySelector(jump.getAttribute("href"));
        var first = target && target.querySelector("input");
        if (first) { window.setTimeout(function () { first.focus(); }, 0); }
      });
    }
    update();
  });
})();
