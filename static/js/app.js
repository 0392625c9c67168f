/* smsportal: small behaviours shared by every page. Vanilla JS, no build step. */
(function () {
  "use strict";

  // Numbers and money as the server writes them in the page's language (<html lang>):
  // 1,234.56 in English, 1 234,56 in Ukrainian (a no-break space), like smsportal.money.
  var lang = (document.documentElement.lang || "uk").slice(0, 2);
  var SEPARATORS = { uk: { group: "\u00a0", decimal: "," }, en: { group: ",", decimal: "." } };
  function separators() { return SEPARATORS[lang] || SEPARATORS.uk; }
  // `digits`: a string of digits (whole part); `fraction`: its decimals ("" for none).
  function groupDigits(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separators().group); }
  function formatNumber(value, places) {
    var n = Number(value);
    if (!isFinite(n)) return "";
    var text = places == null ? String(Math.abs(n)) : Math.abs(n).toFixed(places);
    var parts = text.split(".");
    return (n < 0 ? "-" : "") + groupDigits(parts[0]) + (parts[1] ? separators().decimal + parts[1] : "");
  }
  var TEXTS = {
    uk: { copied: "Скопійовано", pressCtrlC: "Натисніть Ctrl+C", currency: "грн" },
    en: { copied: "Copied", pressCtrlC: "Press Ctrl+C", currency: "UAH" },
  };
  function text(key) { return (TEXTS[lang] || TEXTS.uk)[key]; }
  // For the page scripts (send, campaigns): SmsPortal.formatNumber(1234.5, 2) → "1 234,50" in uk.
  window.SmsPortal = { lang: lang, separators: separators, groupDigits: groupDigits, formatNumber: formatNumber, text: text };

  // Dismissable flash banners.
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      var flash = close.closest(".flash");
      if (flash) flash.remove();
    }
  });

  // <button data-confirm="Question?"> asks before it submits its form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });

  // <form data-confirm="Question?"> asks before it submits (revoke a key, …).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <button data-copy-target="input-id"> copies that input's value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) return;
    var label = button.textContent;
    function done(ok) {
      button.textContent = ok ? text("copied") : text("pressCtrlC");
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
    } else {
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });
})();
