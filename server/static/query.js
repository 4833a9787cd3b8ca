// YASGUI (vendored) on this server's SPARQL endpoint, with the project's prefixes and the
// saved queries as examples. The configuration comes from a JSON script block.
(function () {
  "use strict";
  var holder = document.getElementById("editor-config"), box = document.getElementById("yasgui");
  if (!holder || !box || typeof Yasgui !== "function") return;
  var config = JSON.parse(holder.textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var prefixLines = Object.keys(config.prefixes).map(function (p) { return "PREFIX " + p + ": <" + config.prefixes[p] + ">"; });
  var first = config.examples.length ? config.examples[0].query : prefixLines.join("\n") + "\n\nSELECT * WHERE { ?s ?p ?o } LIMIT 10";
  // Autocompleters that call remote services (LOV) are left out: the editor works offline.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(box, {
    requestConfig: { endpoint: endpoint, method: "POST", acceptHeaderSelect: "application/sparql-results+json" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistencyExpire: 0,
    yasqe: { value: first }
  });
  function useExample(name) {
    var example = config.examples.filter(function (e) { return e.name === name; })[0];
    if (!example) return;
    var tab = yasgui.getTab();
    tab.setQuery(example.query);
    tab.getYasqe().setValue(example.query);
  }
  document.querySelectorAll("button.example").forEach(function (b) {
    b.addEventListener("click", function () { useExample(b.dataset.name); });
  });
  var wanted = new URLSearchParams(window.location.search).get("example");
  if (wanted) useExample(wanted);
  window.justicegraphYasgui = yasgui;
})();
