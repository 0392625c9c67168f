/* The Send page's recipients limits (both tabs): more numbers than one send takes, or more
 * characters than the box takes, are said at once (portal/_recipients_limits.html), counted as the
 * server counts them: the numbers as split_recipients splits them (SmsForm.splitRecipients) and
 * a line break as one character (the browser's textarea value already has LF only, and the
 * server folds a posted CRLF into one). Defines window.SendLimits.check(textarea) → true when over. */
(function (root) {
  "use strict";

  function fill(el, given, max) {
    var fmt = root.SmsForm ? root.SmsForm.formatCount : String;
    el.querySelector(".limit-text").textContent = el.getAttribute("data-template")
      .replace("{given}", fmt(given)).replace("{max}", fmt(max));
  }

  function check(textarea) {
    var tooMany = document.getElementById("too-many-warning");
    var tooLong = document.getElementById("too-long-warning");
    if (!textarea || !tooMany || !tooLong || !root.SmsForm) return false;
    var value = textarea.value.replace(/\r\n?/g, "\n");
    var maxChars = parseInt(textarea.getAttribute("data-max-chars") || "0", 10);
    var maxNumbers = parseInt(textarea.getAttribute("data-max-recipients") || "0", 10);
    var count = root.SmsForm.splitRecipients(value).length;
    var long = maxChars > 0 && value.length > maxChars;
    var many = maxNumbers > 0 && count > maxNumbers;
    tooLong.hidden = !long;
    if (long) fill(tooLong, value.length, maxChars);
    tooMany.hidden = !many;
    if (many) fill(tooMany, count, maxNumbers);
    textarea.setAttribute("aria-invalid", long || many ? "true" : "false");
    return long || many;
  }

  // The header's balance badge (and the Send page's "Available") from send/balance.json: a page
  // shown again from the browser's cache (Back after a send) shows the wallet as it is now.
  function refreshBalance(url) {
    if (!url || !window.fetch) return;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !root.SmsForm) return;
        var f = root.SmsForm, badge = document.querySelector(".balance-badge");
        if (badge) badge.textContent = f.formatUnits(f.toUnits(body.balance.amount)) + " " + f.currency();
        var available = document.querySelector("[data-balance]");
        if (available) {
          available.setAttribute("data-balance", body.available.amount);
          available.textContent = f.formatUnits(f.toUnits(body.available.amount)) + " " + f.currency();
        }
        document.dispatchEvent(new CustomEvent("smsportal:balance", {detail: body}));
      })
      .catch(function () { /* the page's figures stay */ });
  }

  root.SendLimits = {check: check, refreshBalance: refreshBalance};
})(window);
