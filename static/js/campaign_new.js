/* New campaign, step 1: live segment counter (as on the Send page), {variables} hint, the
 * recipients source switch and a first cost estimate. Needs messaging/segments.js
 * (window.SmsSegments) and #campaign-config ({segmentPrice, longParts, groups: {id: size}}). */
(function () {
  "use strict";

  var form = document.getElementById("campaign-form");
  var configEl = document.getElementById("campaign-config");
  if (!form || !configEl || !window.SmsSegments) return;
  var config = JSON.parse(configEl.textContent);

  var text = form.querySelector("textarea[name=text]");
  var numbers = form.querySelector("textarea[name=numbers]");
  var group = form.querySelector("select[name=group]");
  var radios = form.querySelectorAll("input[name=source]");
  var panels = form.querySelectorAll("[data-source-panel]");
  var counter = document.getElementById("counter-text");
  var counterBox = document.getElementById("sms-counter");
  var varsHint = document.getElementById("vars-hint");
  var varsList = document.getElementById("vars-list");
  var longWarning = document.getElementById("long-warning");
  var ucs2Hint = document.getElementById("ucs2-hint");
  var junkWarning = document.getElementById("junk-warning");
  var junkList = document.getElementById("junk-list");
  var estRecipients = document.getElementById("est-recipients");
  var estParts = document.getElementById("est-parts");
  var estCost = document.getElementById("est-cost");
  var estNote = document.getElementById("est-note");
  var fundsWarning = document.getElementById("funds-warning");
  var balanceEl = document.querySelector("[data-balance]");
  var VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

  // Money as whole ten-thousandths of a hryvnia (as on the Send page): no float drift.
  function toUnits(decimal) {
    if (decimal == null) return null;
    var m = /^(-?)(\d+)(?:\.(\d{0,4}))?/.exec(String(decimal));
    if (!m) return null;
    var units = parseInt(m[2], 10) * 10000 + parseInt(((m[3] || "") + "0000").slice(0, 4), 10);
    return m[1] ? -units : units;
  }
  function formatUnits(units) {
    var kop = Math.round(units / 100);
    var whole = Math.floor(kop / 100), frac = kop % 100;
    return String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + (frac < 10 ? "0" : "") + frac;
  }
  function formatCount(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  var priceUnits = toUnits(config.segmentPrice);
  var balanceUnits = balanceEl ? toUnits(balanceEl.getAttribute("data-balance")) : null;

  // Mirrors messaging.forms.split_recipients (and static/js/send.js).
  function splitRecipients(raw) {
    var out = [];
    raw.split(/[\r\n,;]+/).forEach(function (chunk) {
      var words = chunk.split(/\s+/).filter(Boolean);
      if (!words.length) return;
      var allLong = words.length > 1 && words.every(function (w) { return (w.match(/\d/g) || []).length >= 9; });
      if (allLong) out.push.apply(out, words);
      else out.push(words.join(" "));
    });
    return out;
  }
  function dedupKey(number) {
    var digits = number.replace(/\D/g, "");
    if (/^0\d{9}$/.test(digits)) digits = "38" + digits;
    return digits;
  }
  function plural(n, one, many) { return formatCount(n) + " " + (n === 1 ? one : many); }

  function source() {
    for (var i = 0; i < radios.length; i++) if (radios[i].checked) return radios[i].value;
    return "file";
  }

  function showSource() {
    var current = source();
    Array.prototype.forEach.call(panels, function (panel) {
      panel.hidden = panel.getAttribute("data-source-panel") !== current;
    });
    Array.prototype.forEach.call(radios, function (radio) {
      radio.closest(".source-tab").classList.toggle("is-active", radio.checked);
    });
  }

  function recipients() {
    var current = source();
    if (current === "paste" && numbers) {
      var seen = Object.create(null), count = 0, junk = [];
      splitRecipients(numbers.value).forEach(function (n) {
        var key = dedupKey(n);
        if (!seen[key]) { seen[key] = true; count += 1; }
        if (key.length < 9) junk.push(n);
      });
      junkWarning.hidden = !junk.length;
      junkList.textContent = junk.slice(0, 5).join(", ") + (junk.length > 5 ? " …" : "");
      return count;
    }
    if (current === "group" && group && group.value) return config.groups[group.value] || 0;
    return null;
  }

  function update() {
    showSource();
    var info = window.SmsSegments.count(text.value);
    var chars = Array.from(text.value).length;
    var names = [], match;
    VARIABLE.lastIndex = 0;
    while ((match = VARIABLE.exec(text.value))) if (names.indexOf(match[1]) < 0) names.push(match[1]);
    var personalized = names.length > 0;
    counter.textContent = [
      plural(chars, "character", "characters") + (personalized ? " in the template" : ""),
      info.encoding === "gsm7" ? "GSM-7" : "UCS-2",
      info.segments + " SMS" + (personalized ? " before filling in" : ""),
      info.remaining + " left"
    ].join(" · ");
    varsHint.hidden = !personalized;
    varsList.textContent = names.map(function (n) { return "{" + n + "}"; }).join(", ");
    var tooLong = info.segments > config.longParts;
    counterBox.classList.toggle("is-long", tooLong);
    longWarning.hidden = !tooLong;
    ucs2Hint.hidden = !(info.encoding === "ucs2" && text.value.length > 0);

    var count = recipients();
    var current = source();
    estParts.textContent = (personalized ? "about " : "") + info.segments;
    if (count == null) {
      estRecipients.textContent = current === "file" ? "after upload" : "—";
      estCost.textContent = "—";
      if (fundsWarning) fundsWarning.hidden = true;
    } else {
      estRecipients.textContent = formatCount(count);
      if (priceUnits != null) {
        var cost = priceUnits * info.segments * count;
        estCost.textContent = (personalized ? "about " : "") + formatUnits(cost) + " UAH";
        if (fundsWarning) fundsWarning.hidden = !(balanceUnits != null && cost > balanceUnits);
      }
    }
    estNote.textContent = current === "file"
      ? "The file is counted after the upload. Invalid and duplicate numbers are dropped and not charged; the cost is shown before you confirm."
      : "Invalid and duplicate numbers are dropped and not charged; the exact cost is shown before you confirm.";
  }

  text.addEventListener("input", update);
  if (numbers) numbers.addEventListener("input", update);
  if (group) group.addEventListener("change", update);
  Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", update); });
  update();

  var button = document.getElementById("continue-button");
  var label = button.textContent, initiallyDisabled = button.disabled;
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = source() === "file" ? "Uploading…" : "Checking…";
    }, 0);
  });
  // Back from the review page (the browser may restore this page as it was left): usable again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { button.disabled = initiallyDisabled; button.textContent = label; update(); }
  });
})();
