/* Campaign page: polls progress.json every 2 s until the campaign is finished — over, and every
 * message final (a done campaign's submitted messages still wait for their delivery receipts,
 * so the counts keep moving after "Done") — and repaints the two progress bars and the counts
 * without a reload. When the state changes (accepted, scheduled → sending, done, cancelled,
 * failed) the page reloads once to show what the new state brings (the rows not accepted, the
 * latest messages, the cancel button). */
(function () {
  "use strict";

  var box = document.getElementById("campaign-progress");
  if (!box || !box.hasAttribute("data-live")) return;
  var url = box.getAttribute("data-url");
  var state = box.getAttribute("data-state");
  var INTERVAL = 2000;
  var failures = 0;

  // Counts as the page's language groups them (1,234 or 1 234): SmsPortal comes from app.js.
  function formatCount(n) {
    if (window.SmsPortal) return window.SmsPortal.formatNumber(n);
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function setText(selector, value) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      if (el.textContent !== value) el.textContent = value;
    });
  }

  function setBar(name, percent) {
    var bar = box.querySelector('[data-progress="' + name + '"]');
    if (!bar) return;
    bar.setAttribute("aria-valuenow", String(percent));
    var fill = bar.querySelector(".progress-bar");
    fill.style.width = percent + "%";
    fill.classList.toggle("is-done", percent >= 100);
  }

  function paint(data) {
    setBar("accepting", data.accepting.percent);
    setBar("sending", data.sending.percent);
    setText('[data-progress-text="accepting"]',
      formatCount(data.accepting.processed) + " / " + formatCount(data.accepting.total));
    setText('[data-progress-text="sending"]',
      formatCount(data.sending.done) + " / " + formatCount(data.sending.accepted));
    setText('[data-progress-percent="sending"]', String(data.sending.percent));
    Object.keys(data.counts).forEach(function (key) {
      setText('[data-count="' + key + '"]', formatCount(data.counts[key]));
    });
    setText('[data-count="rows"]', formatCount(data.accepting.processed));
    setText("[data-delivered-percent]", String(data.delivered_percent));
    setText("[data-total-price]", data.total_price);
    if (typeof data.open === "number") setText("[data-open]", formatCount(data.open));
    // Nothing left that a cancel would stop (all handed to the operators): the button goes.
    var cancel = document.querySelector("[data-cancel-campaign]");
    if (cancel && data.cancellable === false) cancel.hidden = true;
  }

  function schedule() {
    window.setTimeout(poll, INTERVAL * Math.min(1 + failures, 10));
  }

  function poll() {
    if (document.hidden) { schedule(); return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        paint(data);
        if (data.state !== state) { window.location.reload(); return; }
        if (data.finished) {
          // Every message is final: the live mark goes, nothing more to poll.
          var dot = box.querySelector(".live-dot");
          if (dot) dot.hidden = true;
          var waiting = document.getElementById("awaiting-receipts");
          if (waiting) waiting.hidden = true;
          return;
        }
        schedule();
      })
      .catch(function () {
        failures += 1;
        schedule();
      });
  }

  schedule();
})();
