// The propose form shows the member or the organization field, by the recipient kind.
(function () {
  var form = document.getElementById("propose-form");
  function sync() {
    var kind = (form.querySelector("input[name=recipient_kind]:checked") || {}).value || "member";
    document.getElementById("div_id_member").hidden = kind !== "member";
    document.getElementById("div_id_organization").hidden = kind !== "organization";
  }
  form.addEventListener("change", sync);
  sync();
})();
