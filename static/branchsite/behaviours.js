// Small page behaviours declared with data- attributes, instead of inline event handlers
// (the Content-Security-Policy allows scripts from files only: script-src 'self').
//   data-print               a button that prints the page
//   data-autosubmit          a select that submits its form when changed
//   data-confirm="question"  a submit button that asks first
//   data-select-on-focus     an input whose text is selected when clicked (copy a URL)
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print],[data-confirm],[data-select-on-focus]");
    if (!target) return;
    if (target.hasAttribute("data-print")) {
      window.print();
    } else if (target.hasAttribute("data-confirm")) {
      if (!window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
    } else {
      target.select();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

})();
