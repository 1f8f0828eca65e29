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
  // Inline validation: a required question left empty says so when one leaves it, with the
  // server's own words (carried by <body data-*>); the server still checks everything.
  function inlineCheck(el) {
    var box = el.parentElement;
    if (!box || !box.classList.contains("field") || box.closest("[hidden]")) { return; }
    if (box.querySelector(":scope > .optional")) { return; }  // an optional question
    var id = el.id + "-inline";
    var shown = document.getElementById(id);
    var empty = el.value.trim() === "";
    if (!empty) {
      if (shown) {
        shown.remove();
        el.removeAttribute("aria-invalid");
        el.setAttribute("aria-describedby", (el.getAttribute("aria-describedby") || "").replace(id, "").trim());
        box.classList.remove("has-error");
      }
      return;
    }
    if (shown) { return; }
    var message = document.createElement("p");
    message.className = "error";
    message.id = id;
    message.textContent = document.body.getAttribute(el.tagName === "SELECT" ? "data-choose-message" : "data-required-message");
    box.insertBefore(message, el);
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + id).trim());
    box.classList.add("has-error");
  }
  var TYPED = "input[type=text], input[type=email], input[type=tel], input:not([type]), textarea, select";
  function watchRequired(form) {
    var edited = new WeakSet();  // only a question one has answered, or tried to, is checked
    form.addEventListener("input", function (event) {
      if (!event.target.matches(TYPED)) { return; }
      edited.add(event.target);
      if (document.getElementById(event.target.id + "-inline")) { inlineCheck(event.target); }
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches(TYPED)) { edited.add(event.target); inlineCheck(event.target); }
    });
    form.addEventListener("focusout", function (event) {
      if (edited.has(event.target)) { inlineCheck(event.target); }
    });
  }
  // An upload shows its progress; without XMLHttpRequest, or when the server answers with
  // the page itself (a refusal), the form is sent again the ordinary way.
  function withProgress(form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (!window.FormData || !input || !input.files.length) { return; }
      event.preventDefault();
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.className = "upload-progress";
      bar.setAttribute("aria-label", document.body.getAttribute("data-upload-label") + " " + input.files[0].name);
      var said = document.createElement("span");
      said.className = "upload-percent";
      said.setAttribute("role", "status");
      form.appendChild(bar);
      form.appendChild(said);
      form.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); b.disabled = true; });
      document.documentElement.setAttribute("data-uploading", "true");  // the kiosk's idle timer waits
      var request = new XMLHttpRequest();
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        bar.value = Math.round(e.loaded / e.total * 100);
        said.textContent = bar.value + " %";
      });
      request.addEventListener("load", function () {
        if (request.responseURL && request.responseURL !== form.action) {
          window.location.assign(request.responseURL);
        } else {
          form.submit();
        }
      });
      request.addEventListener("error", function () { form.submit(); });
      request.open("POST", form.action);
      request.send(new FormData(form));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[method=post]").forEach(watchRequired);
    document.querySelectorAll("[data-component] form[enctype='multipart/form-data']").forEach(withProgress);
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-condition]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
    });
    // The page that hands the applicant over to a payment service posts its form at once.
    var handOver = document.querySelector("form[data-autosubmit]");
    if (handOver) { handOver.submit(); }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
