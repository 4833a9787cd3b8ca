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
        "text-wrap": "wrap", "text-max-width": 120, width: 18, height: 18 } },
      { selector: "node[center = 1]", style: { width: 30, height: 30, "font-weight": "bold", "font-size": 12 } },
      { selector: "edge", style: { width: 1.2, "line-color": "#bbb", "target-arrow-color": "#bbb",
        "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8,
        color: "#666", "text-rotation": "autorotate" } }
    ],
    layout: { name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 110 }
  });
  cy.on("tap", "node", function (evt) {
    var href = evt.target.data("href");
    if (href && href.charAt(0) === "/") window.location.assign(href);
  });
  window.justicegraphNetwork = cy;
})();
