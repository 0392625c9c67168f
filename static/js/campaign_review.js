/* Review pages of an upload (new campaign, contact import): choosing another phone column
 * re-renders the preview at once; the confirm button sends once. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit]"), function (form) {
    var button = form.querySelector("[data-autosubmit-button]");
    if (button) button.hidden = true;
    form.addEventListener("change", function () { form.submit(); });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form.confirm-form"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) return;
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy") || "Working…";
      }, 0);
    });
  });

  // Coming back with the browser's Back button: show the page as it is now, not the busy button.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
