// The few things a page does in the browser; every page works without them.
// 1. A refused form: focus moves to its error summary, so that the summary is read first and
//    its links lead to the fields.
// 2. A page that reloads after a change (a lab moved in the ranking) says what changed through
//    its live region: the message is put in after the page has loaded, which is when a screen
//    reader notices it, and focus returns to the entry that moved.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    return;
  }
  var live = document.querySelector("[data-announce]");
  if (live) {
    var message = live.getAttribute("data-announce");
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 300);
  }
  if (location.hash.length > 1) {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.hasAttribute("data-focus-on-load")) {
      target.focus();
    }
  }
});
