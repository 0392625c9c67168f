/* Send SMS page: live segment counter, cost estimate and warnings.
 * Needs messaging/segments.js (window.SmsSegments), js/sms_form.js (window.SmsForm) and the
 * #send-config JSON ({segmentPrice: "0.8500" | null, longParts: 3, estimateUrl, typePrices:
 * {service: "0.8500", advertising: "1.1000"} | null}). The server's estimate prices the chosen
 * message type and sender. */
(function () {
  "use strict";

  var form = document.getElementById("send-form");
  var configEl = document.getElementById("send-config");
  if (!form || !configEl || !window.SmsSegments || !window.SmsForm) return;
  var config = JSON.parse(configEl.textContent);

  var text = form.querySelector("textarea[name=text]");
  var recipients = form.querySelector("textarea[name=recipients]");
  var counter = document.getElementById("counter-text");
  var foreignWarning = document.getElementById("foreign-warning");
  var junkWarning = document.getElementById("junk-warning");
  var junkList = document.getElementById("junk-list");
  var estRecipients = document.getElementById("est-recipients");
  var estParts = document.getElementById("est-parts");
  var estCost = document.getElementById("est-cost");
  var fundsWarning = document.getElementById("funds-warning");
  var balanceEl = document.querySelector("[data-balance]");

  var toUnits = SmsForm.toUnits, formatUnits = SmsForm.formatUnits;
  var priceUnits = SmsForm.typePrice(form, config);
  var sender = form.querySelector("[name=sender]");
  var typeRadios = form.querySelectorAll("input[name=message_type]");
  var balanceUnits = balanceEl ? toUnits(balanceEl.getAttribute("data-balance")) : null;

  // Ukrainian numbers start with +380, 380 or 0 (the local form); anything else is abroad.
  function isUkrainian(number) {
    var compact = number.replace(/[\s().-]/g, "");
    return /^(\+380|380|0)/.test(compact);
  }


  function update() {
    priceUnits = SmsForm.typePrice(form, config);
    var info = window.SmsSegments.count(text.value);
    var chars = Array.from(text.value).length;
    counter.textContent = [
      SmsForm.t("characters", chars),
      info.encoding === "gsm7" ? "GSM-7" : "UCS-2",
      info.segments + " SMS",
      SmsForm.t("left", info.remaining)
    ].join(" · ");
    SmsForm.lengthHints(info, text.value, config.longParts);
    // {name}-style variables have no values here (pasted numbers only): said before the send.
    var emptyVar = document.getElementById("empty-var-warning");
    if (emptyVar) {
      var vars = [], re = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g, m;
      while ((m = re.exec(text.value))) {
        if (m[1] !== "phone" && vars.indexOf("{" + m[1] + "}") < 0) vars.push("{" + m[1] + "}");
      }
      emptyVar.hidden = !vars.length;
      if (vars.length) emptyVar.textContent = emptyVar.getAttribute("data-template").replace("{variables}", vars.join(", "));
    }

    var seen = Object.create(null), count = 0, foreign = false, junk = [];
    SmsForm.splitRecipients(recipients.value).forEach(function (number) {
      var key = SmsForm.dedupKey(number);
      if (!seen[key]) { seen[key] = true; count += 1; }
      if (key.length < 9) junk.push(number);
      else if (!isUkrainian(number)) foreign = true;
    });
    overLimit = window.SendLimits ? window.SendLimits.check(recipients) : false;
    foreignWarning.hidden = !foreign;
    junkWarning.hidden = !junk.length;
    junkList.textContent = junk.slice(0, 5).join(", ") + (junk.length > 5 ? " …" : "");
    estRecipients.textContent = String(count);
    estParts.textContent = String(info.segments);
    if (priceUnits != null) {
      var cost = priceUnits * info.segments * count;
      estCost.textContent = formatUnits(cost) + " " + SmsForm.currency();
      if (fundsWarning) fundsWarning.hidden = !(balanceUnits != null && cost > balanceUnits);
    }
  }

  // The server's estimate (per-operator prices, the numbers as it reads them), asked for a
  // moment after typing stops; it replaces the flat-price estimate above when it comes.
  var detail = document.getElementById("est-detail");
  var rowsBody = detail ? detail.querySelector("tbody") : null;
  var estMore = document.getElementById("est-more");
  var estInvalid = document.getElementById("est-invalid");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null, asked = 0, overLimit = false;

  function cell(row, value) {
    var td = document.createElement("td");
    td.textContent = value;
    row.appendChild(td);
  }
  function showEstimate(body) {
    var total = toUnits(body.total_price.amount);
    estCost.textContent = formatUnits(total) + " " + SmsForm.currency();
    estRecipients.textContent = String(body.count);
    if (fundsWarning) fundsWarning.hidden = !(balanceUnits != null && total > balanceUnits);
    rowsBody.textContent = "";
    body.recipients.forEach(function (r) {
      var tr = document.createElement("tr");
      cell(tr, r.recipient);
      cell(tr, r.operator || r.country);
      cell(tr, String(r.segments));
      cell(tr, formatUnits(toUnits(r.price.amount)));
      rowsBody.appendChild(tr);
    });
    detail.hidden = !body.recipients.length && !body.invalid.length;
    estMore.hidden = body.count <= body.recipients.length;
    estMore.textContent = SmsForm.t("more", body.count - body.recipients.length);
    var bad = body.invalid.length + body.refused.length;
    estInvalid.hidden = !bad;
    estInvalid.textContent = bad ? SmsForm.t("cannotSend", bad) +
      body.invalid.concat(body.refused).slice(0, 3).map(function (e) { return e.value + " (" + e.reason + ")"; })
        .join(", ") : "";
    showCompliance(body);
  }
  // What compliance would do with the send: the text refused or held for review, recipients
  // skipped (opted out, over the daily cap) and the sending hours' notice.
  var estCompliance = document.getElementById("est-compliance");
  var COMPLIANCE_CODES = {content_refused: "hint-danger", pending_review: "hint-warning",
                          outside_sending_hours: "hint-info", frequency_cap: "hint-warning"};
  function showCompliance(body) {
    if (!estCompliance) return;
    estCompliance.textContent = "";
    (body.warnings || []).forEach(function (w) {
      if (!COMPLIANCE_CODES[w.code]) return;
      var p = document.createElement("p");
      p.className = "hint " + COMPLIANCE_CODES[w.code];
      p.setAttribute("data-code", w.code);
      p.textContent = w.detail;
      estCompliance.appendChild(p);
    });
    if (body.opted_out) {
      var note = document.createElement("p");
      note.className = "hint hint-warning";
      note.setAttribute("data-code", "opted_out");
      note.textContent = SmsForm.t("optedOut", body.opted_out);
      estCompliance.appendChild(note);
    }
    estCompliance.hidden = !estCompliance.childNodes.length;
  }
  function askServer() {
    if (!config.estimateUrl || !detail || !window.fetch) return;
    var mine = ++asked;
    if (overLimit) { detail.hidden = true; return; }  // said above the box; the server would refuse it
    var data = new FormData();
    data.append("text", text.value);
    data.append("recipients", recipients.value);
    data.append("message_type", SmsForm.messageType(form));
    if (sender) data.append("sender", sender.value);
    fetch(config.estimateUrl, {method: "POST", body: data, credentials: "same-origin",
                               headers: {"X-CSRFToken": csrf ? csrf.value : ""}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && mine === asked) showEstimate(body); })
      .catch(function () { /* the flat estimate stays */ });
  }
  function changed() {
    update();
    window.clearTimeout(timer);
    timer = window.setTimeout(askServer, 400);
  }

  text.addEventListener("input", changed);
  recipients.addEventListener("input", changed);
  if (sender) sender.addEventListener("change", changed);
  Array.prototype.forEach.call(typeRadios, function (radio) { radio.addEventListener("change", changed); });
  update();
  if (recipients.value && text.value) askServer();

  // The wallet after a send: the page after it shows it fresh; a page shown again from the
  // browser's cache (Back) asks for it (the header's badge and "Available").
  document.addEventListener("smsportal:balance", function (e) {
    balanceUnits = toUnits(e.detail.available.amount);
    update();
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && window.SendLimits) window.SendLimits.refreshBalance(config.balanceUrl);
  });

  // One click sends once (the server's idempotency token covers the rest).
  form.addEventListener("submit", function () {
    var button = document.getElementById("send-button");
    window.setTimeout(function () { button.disabled = true; button.textContent = SmsForm.t("sending"); }, 0);
  });
})();
