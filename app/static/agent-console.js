// Agents' console: select-all, the bulk bar and the folded filters (phones) in the queue, macros, insert an article link, resolve with an article.
// Everything here is a convenience on top of plain forms (they all work without JavaScript).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="tickets"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  // Bulk actions: only the value list of the chosen action (assign → person, status, group).
  var bulkAction = document.querySelector('#bulk-form select[name="action"]');
  if (bulkAction) {
    var showValue = function () {
      ["assign", "status", "group"].forEach(function (name) {
        var list = document.querySelector('#bulk-form select[name="value_' + name + '"]');
        if (list) list.hidden = bulkAction.value !== name;
      });
    };
    bulkAction.addEventListener("change", showValue);
    showValue();
  }
  // On a phone the queue's filters beyond the search box and the status fold behind one button
  // (seven selects took a screen before the first ticket); without script they all show.
  var filters = document.querySelector("form.agent-filters");
  var search = filters && filters.querySelector("label.q");
  if (search && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 700px)");
    var chosen = Array.prototype.filter.call(filters.querySelectorAll("label:not(.q):not(.status) select"),
      function (list) { return list.value; }).length;
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "secondary filters-toggle";
    toggle.textContent = chosen ? "更多筛选（已选 " + chosen + " 项）" : "更多筛选";
    toggle.setAttribute("aria-expanded", "false");
    var before = filters.querySelector("label.status") || search;
    before.parentNode.insertBefore(toggle, before.nextSibling);
    var fold = function () {
      filters.classList.toggle("folded", narrow.matches && toggle.getAttribute("aria-expanded") !== "true");
      toggle.hidden = !narrow.matches;
    };
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
      fold();
    });
    if (narrow.addEventListener) narrow.addEventListener("change", fold);
    fold();
  }
  var body = document.getElementById("reply-body");
  function appendText(text) {
    if (!body) return;
    var current = body.value.replace(/\s+$/, "");
    body.value = current ? current + "\n\n" + text : text;
    body.focus();
  }
  var macro = document.getElementById("macro-select");
  if (macro) {
    macro.addEventListener("change", function () {
      var option = macro.options[macro.selectedIndex];
      if (!option || !option.value) return;
      appendText(option.getAttribute("data-text") || "");
      var internal = option.getAttribute("data-internal") === "1";
      var radio = document.querySelector('input[name="internal"][value="' + (internal ? "1" : "0") + '"]');
      if (radio) radio.checked = true;
      var status = option.getAttribute("data-status");
      var select = document.getElementById("reply-status");
      if (status && select && select.querySelector('option[value="' + status + '"]')) select.value = status;
      var id = document.getElementById("macro-id");
      if (id) id.value = option.value;
    });
  }
  document.querySelectorAll(".solution").forEach(function (item) {
    var insert = item.querySelector(".insert-link");
    if (insert) {
      insert.addEventListener("click", function () {
        appendText(item.getAttribute("data-title") + "\n" + item.getAttribute("data-url"));
        var pub = document.querySelector('input[name="internal"][value="0"]');
        if (pub) pub.checked = true;
      });
    }
    var form = item.querySelector(".resolve-with");
    if (form) {
      form.addEventListener("submit", function () {
        // The resolution text (if any) goes out with the article; a draft note never does.
        var text = document.getElementById("resolve-body");
        var hidden = form.querySelector(".resolve-body");
        if (text && hidden) hidden.value = text.value;
      });
    }
  });
})();
