// The graph page's sidebar pieces (kg viz): the legend's swatches, the details panel (every
// fact, each quote in its sentence, with its source) and the search by any name. Text reaches
// the DOM only through textContent; a link is made only from an http(s) URL.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value; }
  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { node.textContent = value; }
    return node;
  }

  function swatch(style, isEdge) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "16");
    var shape;
    if (isEdge) {
      shape = document.createElementNS(SVG, "line");
      shape.setAttribute("x1", "1"); shape.setAttribute("y1", "8");
      shape.setAttribute("x2", "21"); shape.setAttribute("y2", "8");
      shape.setAttribute("stroke", style.color);
      shape.setAttribute("stroke-width", String(style.width + 0.6));
      if (style.opacity) { shape.setAttribute("stroke-opacity", String(style.opacity)); }
      if (style.dashes) { shape.setAttribute("stroke-dasharray", style.dashes.join(" ")); }
    } else {
      var points = {square: "5,2 17,2 17,14 5,14", diamond: "11,1 18,8 11,15 4,8",
                    triangle: "11,1 19,15 3,15"}[style.shape];
      if (points) {
        shape = document.createElementNS(SVG, "polygon");
        shape.setAttribute("points", points);
      } else {
        shape = document.createElementNS(SVG, "circle");
        shape.setAttribute("cx", "11");
        shape.setAttribute("cy", "8");
        shape.setAttribute("r", "6.5");
      }
      shape.setAttribute("fill", style.fill);
      shape.setAttribute("stroke", style.border);
      shape.setAttribute("stroke-width", "1.5");
    }
    svg.appendChild(shape);
    return svg;
  }

  // The details of a node or of the facts between two nodes, opened in the side panel.
  function details(D, U, touching, groups) {
    function cite(index) {
      var s = D.sources[index];
      var line = el("div", "kg-cite");
      var parts = [s[0] ? U.work.replace("{t}", function () { return s[0]; }) : "", s[1],
                   s[2] || U.no_date].filter(Boolean);
      line.appendChild(document.createTextNode(parts.join(" · ")));
      line.appendChild(document.createTextNode(" · "));
      if (/^https?:\/\//i.test(s[3])) {
        var link = el("a", "", U.original);
        link.href = s[3];
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.appendChild(link);
      } else {
        line.appendChild(document.createTextNode(U.no_url));
      }
      return line;
    }
    function fact(i) {
      var e = D.edges[i];
      var box = el("div", "kg-fact");
      var head = el("div", "kg-fact-line",
                    D.nodes[e[0]][1] + " —" + e[3] + "→ " + D.nodes[e[1]][1]);
      if (e[6]) { head.appendChild(el("span", "kg-when", " (" + e[6] + ")")); }
      if (e[7]) { head.appendChild(el("span", "kg-status", " · " + e[7])); }
      box.appendChild(head);
      e[8].forEach(function (q) {
        var quote = el("div", "kg-quote");
        if (q[1]) { quote.appendChild(document.createTextNode(q[1])); }
        quote.appendChild(el("mark", "", q[2]));
        if (q[3]) { quote.appendChild(document.createTextNode(q[3])); }
        box.appendChild(quote);
        box.appendChild(cite(q[0]));
      });
      return box;
    }
    function open(parts) {
      var box = $("kg-details");
      box.textContent = "";
      parts.forEach(function (p) { box.appendChild(p); });
      $("kg-side").hidden = false;
      $("kg-side").scrollTop = 0;
    }
    function close() { $("kg-side").hidden = true; $("kg-details").textContent = ""; }
    function nodeDetails(i) {
      var info = D.nodes[i][5].split("\n");
      var parts = [el("div", "kg-info kg-info-name", info[0]),
                   el("div", "kg-info", info.slice(1).join("\n"))];
      var list = touching[i].slice().sort(function (a, b) {
        return D.edges[a][2] - D.edges[b][2] || String(D.edges[a][6]).localeCompare(D.edges[b][6]) ||
          a - b;
      });
      if (list.length) { parts.push(el("div", "kg-count-line", U.facts.replace("{n}", list.length))); }
      list.forEach(function (k) { parts.push(fact(k)); });
      open(parts);
    }
    // An edge's details: every fact between its two nodes (they share one drawn label).
    function edgeDetails(i) { open(groups[D.edges[i].group].map(fact)); }
    return {node: nodeDetails, edge: edgeDetails, close: close};
  }

  // The nodes a query names: exact matches first, then prefixes, then substrings.
  function finder(D) {
    function norm(s) { return String(s).normalize("NFKC").toLowerCase(); }
    var names = D.nodes.map(function (n) { return n[6].map(norm); });
    function find(query) {
      var q = norm(query.trim());
      if (!q) { return []; }
      var ranked = [[], [], []];
      for (var i = 0; i < names.length; i++) {
        var best = 3;
        for (var j = 0; j < names[i].length && best > 0; j++) {
          var name = names[i][j];
          if (name === q) { best = 0; }
          else if (best > 1 && name.lastIndexOf(q, 0) === 0) { best = 1; }
          else if (best > 2 && name.indexOf(q) >= 0) { best = 2; }
        }
        if (best < 3) { ranked[best].push(i); }
      }
      return ranked[0].concat(ranked[1], ranked[2]).slice(0, 12);
    }
    return find;
  }

  window.kgPanel = {$: $, text: text, el: el, swatch: swatch, details: details, finder: finder};
})();
