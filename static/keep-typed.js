// Switching the language reloads the page. What the person had typed into the page's forms is kept
// for that one reload: saved in this tab's sessionStorage as the switch is sent, put back into the
// same fields when the page comes back, then forgotten. Passwords, files and the CSRF token are
// never saved. Without JavaScript the switch works the same, only the typing is not kept.
(function () {
  "use strict";
  var KEY = "ish-typed";
  var MAX_AGE_MS = 5 * 60 * 1000;
  var SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "reset", "image"];

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }  // storage may be disabled
  }

  function pageForms(switchForm) {
    return Array.prototype.filter.call(document.forms, function (form) {
      return form !== switchForm && !form.hasAttribute("data-language-switch");
    });
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      var type = (field.type || "").toLowerCase();
      return field.name && field.name !== "csrf_token" && !field.disabled &&
        SKIPPED_TYPES.indexOf(type) === -1 && field.tagName !== "BUTTON" && field.tagName !== "FIELDSET" &&
        field.tagName !== "OUTPUT" && field.autocomplete !== "new-password";
    });
  }

  function changed(field) {
    var type = (field.type || "").toLowerCase();
    if (type === "checkbox" || type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  // everything: the page answers a form that was sent (its fields show what was typed before), so
  // all of it is kept; otherwise only what the person changed, and the new page's own defaults stay.
  function snapshot(form, everything) {
    var seen = {};
    var entries = [];
    keptFields(form).forEach(function (field) {
      var type = (field.type || "").toLowerCase();
      var position = seen[field.name] = (seen[field.name] || 0) + 1;
      if (!everything && !changed(field)) { return; }
      if (type === "checkbox" || type === "radio") {
        entries.push({ name: field.name, value: field.value, checked: field.checked });
      } else if (field.tagName === "SELECT" && field.multiple) {
        var chosen = Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
        entries.push({ name: field.name, position: position, values: chosen });
      } else {
        entries.push({ name: field.name, position: position, text: field.value });
      }
    });
    return entries;
  }

  function save(switchForm) {
    var store = storage();
    if (!store) { return; }
    var next = switchForm.elements.namedItem("next");
    var elsewhere = !next || next.value !== window.location.pathname + window.location.search;
    var forms = pageForms(switchForm).map(function (form) {
      return { action: form.getAttribute("action") || "", fields: snapshot(form, elsewhere) };
    });
    try {
      store.setItem(KEY, JSON.stringify({ page: next ? next.value : "", at: Date.now(), forms: forms }));
    } catch (e) { /* full or refused: the switch goes ahead without keeping the typing */ }
  }

  function restore() {
    var store = storage();
    if (!store) { return; }
    var raw = store.getItem(KEY);
    if (!raw) { return; }
    store.removeItem(KEY);  // kept for one reload only
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { return; }
    if (!saved || saved.page !== window.location.pathname + window.location.search ||
        Date.now() - saved.at > MAX_AGE_MS) { return; }
    var forms = pageForms(null);
    (saved.forms || []).forEach(function (savedForm, index) {
      var form = forms[index];
      if (!form || (form.getAttribute("action") || "") !== savedForm.action) { return; }
      var fields = keptFields(form);
      savedForm.fields.forEach(function (entry) {
        var same = fields.filter(function (field) { return field.name === entry.name; });
        if ("checked" in entry) {
          same.forEach(function (field) {
            if (field.value === entry.value) { field.checked = entry.checked; }
          });
          return;
        }
        var field = same[entry.position - 1];
        if (!field) { return; }
        if ("values" in entry) {
          Array.prototype.forEach.call(field.options, function (o) { o.selected = entry.values.indexOf(o.value) !== -1; });
        } else {
          field.value = entry.text;
        }
      });
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-language-switch")) { save(event.target); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
}());
