// "添加一行" for the catalogue administrator's formsets (templates/services/admin/_formset.html).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".formset").forEach(function (formset) {
    var prefix = formset.dataset.prefix;
    var total = formset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var rows = formset.querySelector(".formset-rows");
    var empty = formset.querySelector("template.formset-empty");
    var button = formset.querySelector(".formset-add");
    if (!total || !rows || !empty || !button) { return; }
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = empty.innerHTML.split("__prefix__").join(String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
    });
  });
});
