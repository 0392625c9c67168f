/* New campaign, step 1: live segment counter (as on the Send page), {variables} hint, the
 * recipients source switch and a first cost estimate. Needs messaging/segments.js
 * (window.SmsSegments), js/sms_form.js (window.SmsForm) and #campaign-config
 * ({segmentPrice, longParts, groups: {id: size}, typePrices: {service, advertising}}): the flat
 * price follows the chosen message type. */
(function () {
  "use strict";

  var form = document.getElementById("campaign-form");
  var configEl = document.getElementById("campaign-config");
  if (!form || !configEl || !window.SmsSegments || !window.SmsForm) return;
  var config = JSON.parse(configEl.textContent);

  var text = form.querySelector("textarea[name=text]");
  var numbers = form.querySelector("textarea[name=numbers]");
  var group = form.querySelector("select[name=group]");
  var radios = form.querySelectorAll("input[name=source]");
  var panels = form.querySelectorAll("[data-source-panel]");
  var counter = document.getElementById("counter-text");
  var varsHint = document.getElementById("vars-hint");
  var varsList = document.getElementById("vars-list");
  var junkWarning = document.getElementById("junk-warning");
  var junkList = document.getElementById("junk-list");
  var estRecipients = document.getElementById("est-recipients");
  var estParts = document.getElementById("est-parts");
  var estCost = document.getElementById("est-cost");
  var estNote = document.getElementById("est-note");
  var fundsWarning = document.getElementById("funds-warning");
  var balanceEl = document.querySelector("[data-balance]");
  var VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

  var toUnits = SmsForm.toUnits, formatUnits = SmsForm.formatUnits, formatCount = SmsForm.formatCount;
  var priceUnits = SmsForm.typePrice(form, config);
  var typeRadios = form.querySelectorAll("input[name=message_type]");
  var balanceUnits = balanceEl ? toUnits(balanceEl.getAttribute("data-balance")) : null;


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
      SmsForm.splitRecipients(numbers.value).forEach(function (n) {
        var key = SmsForm.dedupKey(n);
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
    if (!counter) { recipients(); return; }  // the Viber tab: its preview is messaging/viber_send.js
    priceUnits = SmsForm.typePrice(form, config);
    var info = window.SmsSegments.count(text.value);
    var chars = Array.from(text.value).length;
    var names = [], match;
    VARIABLE.lastIndex = 0;
    while ((match = VARIABLE.exec(text.value))) if (names.indexOf(match[1]) < 0) names.push(match[1]);
    var personalized = names.length > 0;
    counter.textContent = [
      SmsForm.t("characters", chars, formatCount(chars)) + (personalized ? SmsForm.t("inTemplate") : ""),
      info.encoding === "gsm7" ? "GSM-7" : "UCS-2",
      info.segments + " SMS" + (personalized ? SmsForm.t("beforeFilling") : ""),
      SmsForm.t("left", info.remaining)
    ].join(" · ");
    varsHint.hidden = !personalized;
    varsList.textContent = names.map(function (n) { return "{" + n + "}"; }).join(", ");
    SmsForm.lengthHints(info, text.value, config.longParts);

    var count = recipients();
    var current = source();
    estParts.textContent = (personalized ? SmsForm.t("about") : "") + info.segments;
    if (count == null) {
      estRecipients.textContent = current === "file" ? SmsForm.t("afterUpload") : "—";
      estCost.textContent = "—";
      if (fundsWarning) fundsWarning.hidden = true;
    } else {
      estRecipients.textContent = formatCount(count);
      if (priceUnits != null) {
        var cost = priceUnits * info.segments * count;
        estCost.textContent = (personalized ? SmsForm.t("about") : "") + formatUnits(cost) + " " + SmsForm.currency();
        if (fundsWarning) fundsWarning.hidden = !(balanceUnits != null && cost > balanceUnits);
      }
    }
    estNote.textContent = SmsForm.t(current === "file" ? "noteFile" : "notePaste");
  }

  text.addEventListener("input", update);
  if (numbers) numbers.addEventListener("input", update);
  if (group) group.addEventListener("change", update);
  Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", update); });
  Array.prototype.forEach.call(typeRadios, function (radio) { radio.addEventListener("change", update); });
  update();

  var button = document.getElementById("continue-button");
  var label = button.textContent, initiallyDisabled = button.disabled;
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = SmsForm.t(source() === "file" ? "uploading" : "checking");
    }, 0);
  });
  // Back from the review page (the browser may restore this page as it was left): usable again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { button.disabled = initiallyDisabled; button.textContent = label; update(); }
  });
})();
