// Name filter: <input data-name-filter="list-id">; the list's [data-filter-item] elements carry
// data-name (张三) and data-pinyin ("zhangsan zs"). Typing 张, zs or zhangs keeps the matches;
// a [data-filter-count] element in the same form or section says how many are shown.
(function () {
  "use strict";
  function normal(text) {
    return (text || "").toLowerCase().replace(/\s+/g, "");
  }
  document.querySelectorAll("[data-name-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-name-filter"));
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-filter-item]"));
    var count = document.querySelector("[data-filter-count='" + list.id + "']");
    var template = count ? count.getAttribute("data-template") || "" : "";
    function apply() {
      var query = normal(input.value);
      var shown = 0;
      items.forEach(function (item) {
        var keys = (item.getAttribute("data-pinyin") || "").split(" ");
        var match = !query || normal(item.getAttribute("data-name")).indexOf(query) !== -1 ||
          keys.some(function (key) { return key && key.indexOf(query) !== -1; });
        item.hidden = !match;
        if (match) shown += 1;
      });
      if (count) {
        count.textContent = query ? template.replace("{shown}", shown).replace("{total}", items.length) : "";
      }
    }
    input.addEventListener("input", apply);
    // Enter in the filter must not submit the attendance form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    apply();
  });
})();
