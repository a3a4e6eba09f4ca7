// Conditional questions, fields and materials of the one form (services.web.catalogue.show_when):
// an element whose data-show-when holds no satisfied alternative is hidden (with its paragraph) and
// disabled, so nothing hidden is sent; the server ignores it anyway (bundles.required_form).
(function () {
  "use strict";

  function answer(form, name) {
    var prefix = form.getAttribute("data-prefix") || "";
    var el = form.elements[prefix + name];
    if (!el) { return undefined; }
    if (el.type === "checkbox") { return el.checked; }
    return el.value;
  }

  function holds(form, condition) {
    var value = answer(form, condition.field);
    var same = function (expected) {
      if (typeof expected === "boolean") { return Boolean(value) === expected; }
      return value !== undefined && String(value) === String(expected);
    };
    if (Object.prototype.hasOwnProperty.call(condition, "equals")) { return same(condition.equals); }
    if (Object.prototype.hasOwnProperty.call(condition, "in")) { return condition["in"].some(same); }
    return true;
  }

  function refresh(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var alternatives = JSON.parse(el.getAttribute("data-show-when"));
      var shown = alternatives.some(function (all) {
        return all.every(function (c) { return holds(form, c); });
      });
      var block = el.closest("p") || el;
      block.hidden = !shown;
      el.disabled = !shown;
      form.querySelectorAll("[data-show-group='" + el.name + "']").forEach(function (other) {
        (other.closest("p") || other).hidden = !shown;
        other.disabled = !shown;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-conditional]").forEach(function (form) {
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
      refresh(form);
    });
  });
}());
