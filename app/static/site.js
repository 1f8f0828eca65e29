// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function valuesOf(form, name) {
    var picked = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : true) { picked.push(el.value); }
    });
    return picked;
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var wanted = box.getAttribute("data-show-values").split(" ");
      var picked = valuesOf(form, box.getAttribute("data-show-if"));
      var show = picked.some(function (v) { return wanted.indexOf(v) !== -1; });
      box.hidden = !show;
      var note = box.querySelector(".condition");
      if (note) { note.hidden = true; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-show-if]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
