// Suggestions for the search boxes and for the name fields of saved-query forms, from
// /api/search. A search box's suggestion opens the entity's page; a form field's
// (data-fill="id") puts the entity's record id in the field. Without JavaScript the search
// form still submits to /search and a form field takes a name as typed. Labels are inserted
// as text nodes, never as HTML.
(function () {
  "use strict";
  function attach(input) {
    var holder = input.parentElement, list = holder && holder.querySelector("ul.suggestions");
    if (!list && input.form) list = input.form.querySelector("ul.suggestions");
    if (!list) return;
    var timer = null, last = "", fill = input.dataset.fill;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input.value.trim()); }, 150);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") list.hidden = true; });
    // Hide a little after blur so a click on a suggestion lands first; a blur that a new
    // focus follows (WebDriver's clear() does this) must not hide the list typed since.
    var hideTimer = null;
    input.addEventListener("focus", function () { clearTimeout(hideTimer); });
    input.addEventListener("blur", function () {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { if (document.activeElement !== input) list.hidden = true; }, 200);
    });
    function suggest(q) {
      if (q === last) return;
      last = q;
      if (!q) { list.hidden = true; return; }
      fetch(input.dataset.suggest + "?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (q === last) show(data.results || []); })
        .catch(function () { list.hidden = true; });
    }
    function show(results) {
      list.textContent = "";
      results.forEach(function (hit) {
        var li = document.createElement("li"), a = document.createElement("a"), small = document.createElement("small");
        a.href = hit.href;
        a.textContent = hit.label + " ";
        small.textContent = hit.kind + (hit.matched !== hit.label ? " · " + hit.matched : "") + (fill && hit.id ? " · " + hit.id : "");
        a.appendChild(small);
        if (fill) {
          a.addEventListener("mousedown", function (e) {
            e.preventDefault();  // keep the form: fill the field instead of opening the page
            input.value = hit.id || hit.iri;
            last = input.value;
            list.hidden = true;
          });
          a.addEventListener("click", function (e) { e.preventDefault(); });
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
    }
  }
  document.querySelectorAll("input[data-suggest]").forEach(attach);
})();
