// The entity's neighbourhood drawn with cytoscape.js (vendored). The data comes from a
// JSON script block (not executable; escaped by the server); labels are canvas text.
(function () {
  "use strict";
  var holder = document.getElementById("network-data"), box = document.getElementById("cy");
  if (!holder || !box || typeof cytoscape !== "function") return;
  var data = JSON.parse(holder.textContent);
  var colours = { person: "#2f6db5", place: "#7a4b1e", event: "#a33a3a", organization: "#2e7d5b", source: "#6b4fa0", other: "#777" };
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.label, href: n.href, colour: colours[n.kind] || colours.other, center: n.center ? 1 : 0 } };
  }).concat(data.edges.map(function (e, i) {
    return { data: { id: "e" + i, source: e.source, target: e.target, label: e.label } };
  }));
  var cy = cytoscape({
    container: box,
    elements: elements,
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 10,
        "text-wrap": "wrap", "text-max-width": 110, width: 16, height: 16, "text-valign": "bottom",
        "text-margin-y": 3, "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: "node[center = 1]", style: { width: 30, height: 30, "font-weight": "bold", "font-size": 12 } },
      { selector: "edge", style: { width: 1.2, "line-color": "#bbb", "target-arrow-color": "#bbb",
        "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 7,
        color: "#777", "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.7 } }
    ],
    // The entity in the middle, its neighbours on rings around it (most connected inside).
    layout: { name: "concentric", animate: false, minNodeSpacing: 46, padding: 24,
      concentric: function (node) { return node.data("center") ? 1000 : node.degree(); },
      levelWidth: function () { return 2; } }
  });
  cy.on("tap", "node", function (evt) {
    var href = evt.target.data("href");
    if (href && href.charAt(0) === "/") window.location.assign(href);
  });
  window.justicegraphNetwork = cy;
})();
