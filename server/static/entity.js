// The entity's connections drawn with cytoscape.js (vendored). The data comes from a JSON
// script block (not executable; escaped by the server); labels are canvas text, never HTML.
(function () {
  "use strict";
  var holder = document.getElementById("network-data"), box = document.getElementById("cy");
  if (!holder || !box || typeof cytoscape !== "function") return;
  var data = JSON.parse(holder.textContent);
  var colours = { person: "#2f6db5", place: "#7a4b1e", event: "#a33a3a", organization: "#2e7d5b", source: "#6b4fa0", document: "#8a6d1f", other: "#777" };
  var ids = {};
  data.nodes.forEach(function (n) { ids[n.id] = true; });
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.label, href: n.href, colour: colours[n.kind] || colours.other, center: n.center ? 1 : 0, hop: n.hop || 0 } };
  }).concat(data.edges.filter(function (e) {
    return ids[e.source] && ids[e.target];  // the server sends none other; never draw a dangling edge
  }).map(function (e, i) {
    return { data: { id: "e" + i, source: e.source, target: e.target, label: e.label } };
  }));
  // With many lines, their labels show for the node under the pointer (and the centre's own
  // lines when few): a readable drawing rather than a tangle of words.
  var crowded = data.edges.length > 24;
  // Rings around the entity: its direct neighbours first (grouped by kind), then those one step
  // further; each ring holds a few more than the one inside it, and labels count as part of
  // a node's size so that they do not overlap.
  var ringOf = {}, ring = 0, room = 0, capacity = 8, hop = 1;
  data.nodes.filter(function (n) { return !n.center; }).sort(function (a, b) {
    return (a.hop - b.hop) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.label < b.label ? -1 : 1);
  }).forEach(function (n) {
    if (room === 0 || n.hop !== hop) { ring += 1; capacity = 8 + 6 * (ring - 1); room = capacity; hop = n.hop; }
    ringOf[n.id] = ring;
    room -= 1;
  });
  var cy = cytoscape({
    container: box,
    elements: elements,
    minZoom: 0.3,
    maxZoom: 3,
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 11,
        "text-wrap": "wrap", "text-max-width": 120, width: 14, height: 14, "text-valign": "bottom",
        "text-margin-y": 3, color: "#1d2330", "text-background-color": "#fff", "text-background-opacity": 0.85,
        "text-background-padding": 1 } },
      { selector: "node[center = 1]", style: { width: 28, height: 28, "font-weight": "bold", "font-size": 13,
        "border-width": 3, "border-color": "#1d2330" } },
      { selector: "edge", style: { width: 1.2, "line-color": "#c3c8d0", "target-arrow-color": "#c3c8d0",
        "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "bezier",
        label: crowded ? "" : "data(label)", "font-size": 9, color: "#555", "text-rotation": "autorotate",
        "text-background-color": "#fff", "text-background-opacity": 0.85 } },
      { selector: "edge.shown", style: { label: "data(label)", "line-color": "#7a2e2e", "target-arrow-color": "#7a2e2e", width: 2 } },
      { selector: "node.faded", style: { opacity: 0.25 } },
      { selector: "edge.faded", style: { opacity: 0.15 } }
    ],
    layout: { name: "concentric", animate: false, padding: 16, avoidOverlap: true, nodeDimensionsIncludeLabels: true,
      minNodeSpacing: 12, startAngle: 3 / 2 * Math.PI,
      concentric: function (node) { return node.data("center") ? 1000 : 1000 - ringOf[node.id()]; },
      levelWidth: function () { return 1; } }
  });
  // The rings as ellipses the shape of the box: wider than high, so labels are drawn larger.
  var middle = cy.nodes("[center = 1]").position(), wide = Math.max(1, box.clientWidth / Math.max(1, box.clientHeight));
  cy.nodes().positions(function (node) {
    var p = node.position();
    return { x: middle.x + (p.x - middle.x) * Math.min(wide, 2) * 0.85, y: middle.y + (p.y - middle.y) * 0.72 };
  });
  cy.fit(undefined, 16);
  // Labels stay readable: never shrink below 70 %; the rest of the drawing is a drag away.
  if (cy.zoom() < 0.7) {
    cy.zoom(0.7);
    cy.center(cy.nodes("[center = 1]"));
  }
  function focus(node) {
    var near = node.closedNeighborhood();
    cy.elements().addClass("faded");
    near.removeClass("faded");
    near.edges().addClass("shown");
  }
  function unfocus() { cy.elements().removeClass("faded shown"); }
  cy.on("mouseover", "node", function (evt) { focus(evt.target); });
  cy.on("mouseout", "node", unfocus);
  cy.on("tap", "node", function (evt) {
    var href = evt.target.data("href");
    if (href && href.charAt(0) === "/" && !evt.target.data("center")) window.location.assign(href);
  });
  window.justicegraphNetwork = cy;
})();
