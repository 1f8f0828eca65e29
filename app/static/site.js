// Progressive enhancement only: every page works without this file. The server decides what is
// shown and checked (app/catalog/conditions.py); this mirrors its conditions while one types.
(function () {
  "use strict";
  function valuesOf(form, name) {
    var picked = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.closest("[hidden]")) { return; }  // a hidden question has no answer
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : true) { picked.push(el.value); }
    });
    return picked;
  }
  // A number as the page's language writes it: 1.234,5 in Vietnamese, 1,234.5 in English.
  function numberOf(text) {
    var cleaned = (text || "").replace(/\s/g, "").replace("\u2212", "-");
    if (document.documentElement.lang === "vi") {
      cleaned = cleaned.replace(/\./g, "").replace(",", ".");
    } else {
      cleaned = cleaned.replace(/,/g, "");
    }
    return cleaned === "" || isNaN(Number(cleaned)) ? null : Number(cleaned);
  }
  function holds(form, prefix, cond) {
    if (cond.all) { return cond.all.every(function (c) { return holds(form, prefix, c); }); }
    if (cond.any) { return cond.any.some(function (c) { return holds(form, prefix, c); }); }
    if (cond.not) { return !holds(form, prefix, cond.not); }
    var picked = valuesOf(form, prefix + cond.field);
    if (cond.equals !== undefined) { return picked.indexOf(cond.equals) !== -1; }
    if (cond.any_of) { return picked.some(function (v) { return cond.any_of.indexOf(v) !== -1; }); }
    if (cond.checked !== undefined) { return picked.indexOf(cond.checked) !== -1; }
    var value = picked.length ? numberOf(picked[0]) : null;
    if (value === null) { return false; }
    if (cond.gt !== undefined) { return value > Number(cond.gt); }
    if (cond.gte !== undefined) { return value >= Number(cond.gte); }
    if (cond.lt !== undefined) { return value < Number(cond.lt); }
    if (cond.lte !== undefined) { return value <= Number(cond.lte); }
    return false;
  }
  function refresh(form) {
    // In document order: a question hidden above hides what depends on it below.
    form.querySelectorAll("[data-condition]").forEach(function (box) {
      var entry = box.parentElement.closest("[data-entry]");
      var prefix = entry ? entry.getAttribute("data-entry") : "";
      var cond = JSON.parse(box.getAttribute("data-condition"));
      var hiddenAbove = box.parentElement.closest("[hidden]") !== null;
      box.hidden = hiddenAbove || !holds(form, prefix, cond);
      var note = box.querySelector(".condition");
      if (note) { note.hidden = true; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-condition]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
