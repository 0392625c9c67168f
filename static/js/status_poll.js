/* Live message statuses: polls /messages/status.json?ids=… every 3 s while any badge on the page
 * shows a non-final status, and repaints the badges. Badges carry data-status-for="<public id>";
 * #status-meta holds {labels: {status: label}, final: [status, …]}. With data-reload-on-change on
 * the script tag (message detail) the page reloads when the status changes, to show its parts. */
(function () {
  "use strict";

  var script = document.getElementById("status-poll-script");
  var metaEl = document.getElementById("status-meta");
  if (!script || !metaEl) return;
  var url = script.getAttribute("data-url");
  var reloadOnChange = script.hasAttribute("data-reload-on-change");
  var meta = JSON.parse(metaEl.textContent);
  var FINAL = Object.create(null);
  meta.final.forEach(function (s) { FINAL[s] = true; });
  var INTERVAL = 3000;
  var failures = 0;

  function pending() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-status-for]"), function (badge) {
      return !FINAL[badge.getAttribute("data-status")];
    });
  }

  // The server renders the status as a class; remember it as data for the comparisons.
  Array.prototype.forEach.call(document.querySelectorAll("[data-status-for]"), function (badge) {
    var m = /(?:^|\s)status-(\S+)/.exec(badge.className);
    badge.setAttribute("data-status", m ? m[1] : "");
  });

  function paint(badge, status) {
    var old = badge.getAttribute("data-status");
    if (old === status) return false;
    badge.classList.remove("status-" + old);
    badge.classList.add("status-" + status, "just-changed");
    badge.setAttribute("data-status", status);
    badge.textContent = meta.labels[status] || status;
    window.setTimeout(function () { badge.classList.remove("just-changed"); }, 1500);
    return true;
  }

  function schedule() {
    if (pending().length) window.setTimeout(poll, INTERVAL * Math.min(1 + failures, 10));
  }

  function poll() {
    var badges = pending();
    if (!badges.length) return;
    if (document.hidden) { schedule(); return; }
    var ids = badges.map(function (b) { return b.getAttribute("data-status-for"); });
    var unique = ids.filter(function (id, i) { return ids.indexOf(id) === i; });
    fetch(url + "?ids=" + encodeURIComponent(unique.join(",")), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (statuses) {
      failures = 0;
      var changed = false;
      badges.forEach(function (badge) {
        var status = statuses[badge.getAttribute("data-status-for")];
        if (status && paint(badge, status)) changed = true;
      });
      if (changed && reloadOnChange) { window.location.reload(); return; }
      schedule();
    }).catch(function () {
      failures += 1;
      schedule();
    });
  }

  schedule();
})();
