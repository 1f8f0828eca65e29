/* Kiosk mode (loaded only on a kiosk): the idle countdown that forgets the person, one question
   per screen, the PIN keypad, printing, and only the portal's own addresses. No inline script:
   settings come from data attributes on #kiosk-bar. */
(function () {
  "use strict";
  var bar = document.getElementById("kiosk-bar");
  if (!bar) { return; }
  var idleSeconds = parseInt(bar.getAttribute("data-idle-seconds"), 10);  // 0: nothing to forget
  var warningSeconds = parseInt(bar.getAttribute("data-warning-seconds"), 10) || 30;
  var origin = bar.getAttribute("data-origin") || window.location.origin;
  var dialog = document.getElementById("kiosk-idle");
  var countdown = document.getElementById("kiosk-countdown");
  var form = document.getElementById("kiosk-start-again");
  var uploading = 0;   // uploads in flight: the timeout never fires during one
  var last = Date.now();
  var leaving = false;

  function wipe(reason) {
    if (leaving) { return; }
    leaving = true;
    try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) { /* storage off */ }
    document.cookie.split(";").forEach(function (c) {
      var name = c.split("=")[0].trim();
      if (name) { document.cookie = name + "=; Max-Age=0; path=/"; }
    });
    if (window.history.replaceState) { window.history.replaceState(null, "", window.location.pathname); }
    document.getElementById("kiosk-reason").value = reason;
    form.submit();   // the server forgets; its answer replaces this page (303)
  }
  form.addEventListener("submit", function () {
    try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) { /* storage off */ }
  });

  function touched() {
    last = Date.now();
    if (!dialog.hidden) { dialog.hidden = true; }
  }
  ["pointerdown", "keydown", "touchstart", "wheel"].forEach(function (type) {
    document.addEventListener(type, touched, { passive: true, capture: true });
  });
  document.getElementById("kiosk-still-here").addEventListener("click", touched);

  // A form with a chosen file counts as an upload from its submission until the next page;
  // scripts that upload in the background (the progress bar) announce it with these events.
  document.addEventListener("submit", function (event) {
    var files = event.target.querySelectorAll && event.target.querySelectorAll("input[type=file]");
    for (var i = 0; files && i < files.length; i++) {
      if (files[i].files && files[i].files.length) { uploading += 1; return; }
    }
  }, true);
  document.addEventListener("opendvc:upload-start", function () { uploading += 1; });
  document.addEventListener("opendvc:upload-end", function () { uploading = Math.max(0, uploading - 1); last = Date.now(); });

  function tick() {
    if (uploading > 0 || document.querySelector("[data-uploading]")) { last = Date.now(); return; }
    var left = idleSeconds - Math.floor((Date.now() - last) / 1000);
    if (left <= 0) { wipe("idle"); return; }
    if (left <= warningSeconds) {
      dialog.hidden = false;
      countdown.textContent = String(left);
    }
  }
  if (idleSeconds > 0) { window.setInterval(tick, 1000); }

  // Only the portal's own addresses: links elsewhere do nothing (Chromium's URL allowlist is
  // the fence; this is the courtesy that says why).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link) { return; }
    var url;
    try { url = new URL(link.href, window.location.href); } catch (e) { event.preventDefault(); return; }
    if (url.origin !== origin || link.target === "_blank") {
      event.preventDefault();
      link.classList.add("kiosk-blocked");
    }
  }, true);
  window.open = function () { return null; };

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // One question per screen on a step's form: Next and Back between the questions, the
  // form's own buttons on the last one. Without this script the whole step shows.
  var stepForm = document.querySelector("main form[method=post] > .field") &&
    document.querySelector("main form[method=post] > .field").parentNode;
  if (stepForm && stepForm.querySelectorAll(":scope > .field").length > 1) {
    var questions = Array.prototype.slice.call(stepForm.querySelectorAll(":scope > .field"));
    var actions = stepForm.querySelector(".actions");
    var nav = document.createElement("div");
    nav.className = "kiosk-question-nav";
    var back = document.createElement("button");
    back.type = "button"; back.className = "secondary"; back.textContent = bar.getAttribute("data-back") || "‹";
    var next = document.createElement("button");
    next.type = "button"; next.textContent = bar.getAttribute("data-next") || "›";
    nav.appendChild(back); nav.appendChild(next);
    stepForm.insertBefore(nav, actions);
    var shown = function () { return questions.filter(function (q) { return !q.hidden; }); };
    var at = Math.max(0, shown().findIndex(function (q) { return q.classList.contains("has-error"); }));
    var show = function () {
      var visible = shown();
      at = Math.min(at, visible.length - 1);
      questions.forEach(function (q) { q.classList.add("kiosk-question-hidden"); });
      visible[at].classList.remove("kiosk-question-hidden");
      back.hidden = at === 0;
      next.hidden = at === visible.length - 1;
      if (actions) { actions.hidden = at !== visible.length - 1; }
      var input = visible[at].querySelector("input, select, textarea");
      if (input) { input.focus(); }
    };
    back.addEventListener("click", function () { at -= 1; show(); });
    next.addEventListener("click", function () { at += 1; show(); });
    show();
  }

  // The card's PIN on an on-screen keypad: typed into the password field (autocomplete off),
  // posted with the form, never put in the address or kept by the page.
  var pin = document.querySelector("input[name=pin]");
  if (pin) {
    var keypad = document.createElement("div");
    keypad.className = "kiosk-keypad";
    keypad.setAttribute("role", "group");
    keypad.setAttribute("aria-label", bar.getAttribute("data-keypad") || "PIN");
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "✓"].forEach(function (key) {
      var b = document.createElement("button");
      b.type = key === "✓" ? "submit" : "button";
      b.textContent = key;
      b.setAttribute("data-key", key);
      keypad.appendChild(b);
    });
    keypad.addEventListener("click", function (event) {
      var key = event.target.getAttribute && event.target.getAttribute("data-key");
      if (key === "⌫") { pin.value = pin.value.slice(0, -1); }
      else if (key && key !== "✓") { pin.value += key; }
    });
    pin.setAttribute("autocomplete", "off");
    pin.setAttribute("inputmode", "none");  // the keypad, not the system keyboard
    pin.parentNode.insertBefore(keypad, pin.nextSibling);
    pin.form.addEventListener("submit", function () {
      window.setTimeout(function () { pin.value = ""; }, 0);
    });
  }
}());
