/* The Send page's Viber tab (portal/send_viber.html): the live preview of the Viber bubble (the
 * text with its line breaks, the picture from the URL or the chosen file, the button), the
 * character counter (at most 1000, R-VIB-02), the recipients' count and limits (js/send_limits.js)
 * and the SMS fallback's fields. Needs js/sms_form.js (window.SmsForm). */
(function () {
  "use strict";

  // The Send page's Viber tab, or the New campaign page's Viber tab (no recipients field there: the
  // review step counts and prices the list).
  var form = document.getElementById("viber-form") || document.querySelector("#campaign-form[data-channel=viber]");
  if (!form) return;
  var configEl = document.getElementById("send-config");
  var config = configEl ? JSON.parse(configEl.textContent) : {};

  function field(name) { return form.querySelector("[name=" + name + "]"); }
  var text = field("text"), imageUrl = field("image_url"), imageFile = field("image_file");
  var caption = field("button_caption"), buttonUrl = field("button_url"), sender = field("sender");
  var recipients = field("recipients"), fallback = field("fallback");
  var counter = document.getElementById("viber-counter");
  var vbText = document.getElementById("vb-text"), vbImage = document.getElementById("vb-image");
  var vbImg = document.getElementById("vb-image-img"), vbButton = document.getElementById("vb-button");
  var vbSender = document.getElementById("vb-sender"), vbType = document.getElementById("vb-type-label");
  var vbRecipients = document.getElementById("vb-recipients");
  var fallbackFields = document.getElementById("fallback-fields");
  var fileUrl = null;

  function checkedType() {
    var checked = form.querySelector("input[name=viber_type]:checked");
    return checked || null;
  }

  function update() {
    var value = text.value.replace(/\r\n?/g, "\n");
    var n = Array.from(value).length, max = parseInt(counter.getAttribute("data-max"), 10);
    counter.textContent = counter.getAttribute("data-template").replace("{n}", window.SmsForm ?
      SmsForm.formatCount(n) : String(n)).replace("{max}", window.SmsForm ? SmsForm.formatCount(max) : String(max));
    counter.classList.toggle("is-long", n > max);
    // textContent and white-space: pre-wrap: the client's line breaks, never its markup.
    vbText.textContent = value;
    vbText.classList.toggle("is-empty", !value.trim());
    if (!value.trim()) vbText.textContent = vbText.getAttribute("data-empty");

    var src = fileUrl || (/^https:\/\/\S+$/i.test(imageUrl.value.trim()) ? imageUrl.value.trim() : "");
    if (src && vbImg.getAttribute("src") !== src) vbImg.setAttribute("src", src);
    vbImage.hidden = !src;

    var label = caption.value.trim();
    vbButton.textContent = label;
    vbButton.hidden = !label;
    if (buttonUrl.value.trim()) vbButton.setAttribute("title", buttonUrl.value.trim());

    if (sender) vbSender.textContent = sender.value;
    var type = checkedType();
    if (type && vbType) vbType.textContent = type.parentNode.textContent.trim();

    if (recipients && vbRecipients) {
      var count = window.SmsForm ? SmsForm.splitRecipients(recipients.value).length : 0;
      vbRecipients.textContent = window.SmsForm ? SmsForm.formatCount(count) : String(count);
      if (window.SendLimits) window.SendLimits.check(recipients);
    }
    if (fallbackFields && fallback) fallbackFields.classList.toggle("is-off", !fallback.checked);
  }

  // The server's estimate (messaging.views.viber_send_estimate), a moment after typing stops: the
  // price, the text as it goes (with the opt-out phone added, R-VIB-08) and why it would be refused.
  var vbUnit = document.getElementById("vb-unit"), vbCost = document.getElementById("vb-cost");
  var vbRate = document.getElementById("vb-rate"), vbRefusals = document.getElementById("vb-refusals");
  var vbAppended = document.getElementById("vb-appended");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null, asked = 0;

  function money(m) {
    return window.SmsForm ? SmsForm.formatUnits(SmsForm.toUnits(m.amount)) + " " + SmsForm.currency() : m.amount;
  }
  // A decimal string as the page's language writes it, without trailing zeros: 45,0 → 45; 0.0200 → 0,02.
  function decimal(value) {
    var mark = window.SmsPortal ? window.SmsPortal.separators().decimal : ".";
    return String(value).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "").replace(".", mark);
  }
  function hint(kind, textValue, code) {
    var p = document.createElement("p");
    p.className = "hint " + kind;
    if (code) p.setAttribute("data-code", code);
    p.textContent = textValue;
    vbRefusals.appendChild(p);
  }
  function showEstimate(body, failed) {
    vbRefusals.textContent = "";
    vbAppended.hidden = true;
    if (failed) {
      vbUnit.textContent = "—";
      vbCost.textContent = "—";
      vbRate.hidden = true;
      if (body && body.detail && body.code !== "too_many_recipients") hint("hint-danger", body.detail, body.code);
    } else {
      vbUnit.textContent = money(body.unit_price);
      vbCost.textContent = money(body.total_price);
      vbRate.hidden = !(body.eur_price && body.rate);
      if (body.eur_price && body.rate) {
        vbRate.textContent = vbRate.getAttribute("data-template").replace("{eur}", decimal(body.eur_price))
          .replace("{rate}", decimal(body.rate));
      }
      var typed = text.value.replace(/\r\n?/g, "\n");
      if (body.text && typed && body.text.indexOf(typed) === 0 && body.text.length > typed.length) {
        vbAppended.textContent = body.text.slice(typed.length).replace(/^\n/, "");
        vbAppended.hidden = false;
      }
      (body.refusals || []).forEach(function (r) { hint("hint-danger", r.detail, r.code); });
      (body.refused || []).slice(0, 3).forEach(function (r) { hint("hint-warning", r.recipient + ": " + r.reason, r.code); });
    }
    vbRefusals.hidden = !vbRefusals.childNodes.length;
  }
  function askServer() {
    if (!config.estimateUrl || !window.fetch || !recipients) return;
    var mine = ++asked;
    if (!recipients.value.trim() || (window.SendLimits && window.SendLimits.check(recipients))) {
      showEstimate(null, true);
      return;
    }
    var data = new FormData();
    ["sender", "text", "image_url", "button_caption", "button_url", "ttl", "recipients"].forEach(function (name) {
      var el = field(name);
      if (el) data.append(name, el.value);
    });
    var type = checkedType();
    data.append("viber_type", type ? type.value : "advertising");
    data.append("has_image_file", fileUrl ? "1" : "0");
    fetch(config.estimateUrl, {method: "POST", body: data, credentials: "same-origin",
                               headers: {"X-CSRFToken": csrf ? csrf.value : ""}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) { if (mine === asked) showEstimate(res.body, !res.ok); })
      .catch(function () { /* the preview stays */ });
  }
  function changed() {
    update();
    window.clearTimeout(timer);
    timer = window.setTimeout(askServer, 400);
  }

  if (imageFile) {
    imageFile.addEventListener("change", function () {
      if (fileUrl) URL.revokeObjectURL(fileUrl);
      var file = imageFile.files && imageFile.files[0];
      fileUrl = file && /^image\/(png|jpe?g)$/i.test(file.type) ? URL.createObjectURL(file) : null;
      changed();
    });
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  update();
  if (recipients && recipients.value.trim()) askServer();

  window.addEventListener("pageshow", function (e) {
    if (e.persisted && window.SendLimits) window.SendLimits.refreshBalance(config.balanceUrl);
  });
  form.addEventListener("submit", function () {
    var button = document.getElementById("send-button");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });
})();
