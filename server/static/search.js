// Suggestions for the search boxes, from /api/search. Without JavaScript the form still
// submits to /search. Labels are inserted as text nodes, never as HTML.
(function () {
  "use strict";
  function attach(input) {
    var form = input.form, list = form.querySelector("ul.suggestions"), timer = null, last = "";
    if (!list) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input.value.trim()); }, 150);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") list.hidden = true; });
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
        small.textContent = hit.kind + (hit.matched !== hit.label ? " · " + hit.matched : "");
        a.appendChild(small);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
    }
  }
  document.querySelectorAll("input[data-suggest]").forEach(attach);
})();
