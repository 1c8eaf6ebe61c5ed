// The graph page's script (kg viz). Text only ever reaches the DOM through textContent (and
// vis-network's string titles, which it shows with innerText); ids are integers; a link is
// made only from an http(s) URL.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kg-data").textContent);
  var U = D.ui;
  var SVG = "http://www.w3.org/2000/svg";
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value; }
  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { node.textContent = value; }
    return node;
  }

  text("kg-types-title", U.types);
  text("kg-relations-title", U.relations);
  text("kg-details-title", U.details);
  text("kg-close", U.close);
  text("kg-hint", U.hint);
  $("kg-search").placeholder = U.search;

  // Node: [type, label, size, x, y, info, names, font]
  // Edge: [from, to, relation, label, tooltip, bend, when, status, quotes, drawn label,
  //        disputed (another source's statement contradicts it)]
  //   drawn label: edges between the same two nodes share one label (the first carries it)
  //   quote: [source index, text before, quote, text after]
  var typeOn = D.types.map(function () { return true; });
  var relOn = D.relations.map(function () { return true; });
  var nodeType = D.nodes.map(function (n) { return n[0]; });
  var edgeRel = D.edges.map(function (e) { return e[2]; });
  var touching = D.nodes.map(function () { return []; });
  D.edges.forEach(function (e, i) {
    touching[e[0]].push(i);
    if (e[1] !== e[0]) { touching[e[1]].push(i); }
  });

  var nodes = new vis.DataSet(D.nodes.map(function (n, i) {
    var facts = touching[i].length;
    return {id: i, group: D.types[n[0]].key, label: n[1], size: n[2], x: n[3], y: n[4],
            font: {size: n[7]},
            title: n[5] + (facts ? "\n\n" + U.click_node.replace("{n}", facts) : "")};
  }));
  var edgeItems = D.edges.map(function (e, i) {
    var r = D.relations[e[2]];
    var item = {id: i, from: e[0], to: e[1], title: e[4], dashes: r.dashes,
                width: r.width, color: {color: r.color, highlight: "#C9302C", hover: r.color}};
    if (e[5] && D.options.edges.smooth) {
      item.smooth = {enabled: true, type: e[5] > 0 ? "curvedCW" : "curvedCCW",
                     roundness: Math.abs(e[5])};
    }
    if (e[9]) { item.label = e[9]; }
    if (e[10]) {  // another source contradicts it: drawn red and dashed, marked ⚠ in its label
      item.color = {color: "#C9302C", highlight: "#C9302C", hover: "#C9302C"};
      item.dashes = [4, 3];
    }
    return item;
  });
  var edges = new vis.DataSet(edgeItems);
  var nodeView = new vis.DataView(nodes, {filter: function (n) { return typeOn[nodeType[n.id]]; }});
  var edgeView = new vis.DataView(edges, {filter: function (e) {
    return relOn[edgeRel[e.id]] && typeOn[nodeType[e.from]] && typeOn[nodeType[e.to]];
  }});
  var network = new vis.Network($("kg-network"), {nodes: nodeView, edges: edgeView}, D.options);

  function shown() {
    text("kg-shown", U.shown.replace("{n}", nodeView.length).replace("{N}", D.nodes.length)
      .replace("{m}", edgeView.length).replace("{M}", D.edges.length));
  }
  // Edges between the same two nodes: one label, carried by the first edge still shown.
  var groupOf = {}, groups = [];
  D.edges.forEach(function (e, i) {
    var key = Math.min(e[0], e[1]) + "-" + Math.max(e[0], e[1]);
    if (!(key in groupOf)) { groupOf[key] = groups.length; groups.push([]); }
    groups[groupOf[key]].push(i);
    e.group = groupOf[key];
  });
  var labelOff = {};  // groups whose label did not fit at the start (see placeLabels)
  var labelNow = D.edges.map(function (e) { return e[9]; });
  function relabel() {
    var changed = [];
    groups.forEach(function (members, g) {
      var on = members.filter(function (i) { return edgeView.get(i) !== null; });
      var names = [];
      on.forEach(function (i) {
        if (D.edges[i][3] && names.indexOf(D.edges[i][3]) < 0) { names.push(D.edges[i][3]); }
      });
      members.forEach(function (i) {
        var want = (!labelOff[g] && i === on[0]) ? names.join("\n") : "";
        if (want !== labelNow[i]) { labelNow[i] = want; changed.push(i); }
      });
    });
    if (changed.length) {
      // Re-added (vis-network keeps a label that an update empties).
      edges.remove(changed);
      edges.add(changed.map(function (i) {
        var item = Object.assign({}, edgeItems[i]);
        if (labelNow[i]) { item.label = labelNow[i]; } else { delete item.label; }
        return item;
      }));
    }
  }
  function refresh() { nodeView.refresh(); edgeView.refresh(); relabel(); shown(); }

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
  function filters(box, list, on, isEdge) {
    list.forEach(function (item, i) {
      var row = el("label", "kg-row");
      var check = document.createElement("input");
      check.type = "checkbox";
      check.checked = true;
      check.setAttribute("data-key", item.key);
      check.addEventListener("change", function () { on[i] = check.checked; refresh(); });
      row.appendChild(check);
      row.appendChild(swatch(item, isEdge));
      row.appendChild(el("span", "", item.name));
      row.appendChild(el("span", "kg-count", String(item.count)));
      $(box).appendChild(row);
    });
  }
  filters("kg-types", D.types, typeOn, false);
  filters("kg-relations", D.relations, relOn, true);
  shown();

  // Entities left out of the drawing on purpose, each with its tie (author of the article …).
  if (D.notes.length) {
    text("kg-notdrawn-title", U.not_drawn);
    D.notes.forEach(function (note) { $("kg-notdrawn").appendChild(el("li", "", note)); });
    $("kg-notdrawn-title").hidden = false;
    $("kg-notdrawn").hidden = false;
  }

  // --- the details panel: every fact, each quote in its sentence, with its source --------
  function cite(index) {
    var s = D.sources[index];
    var line = el("div", "kg-cite");
    var parts = [s[0] ? "《" + s[0] + "》" : "", s[1], s[2] || U.no_date].filter(Boolean);
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
  $("kg-close").addEventListener("click", function () { close(); network.unselectAll(); });
  network.on("click", function (p) {
    if (p.nodes.length) { nodeDetails(p.nodes[0]); }
    else if (p.edges.length) { edgeDetails(p.edges[0]); }
    else { close(); }
  });

  // --- search by any name: exact matches first, then prefixes, then substrings -----------
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
  function select(i) {
    if (!typeOn[nodeType[i]]) {
      typeOn[nodeType[i]] = true;
      document.querySelectorAll("#kg-types input")[nodeType[i]].checked = true;
      refresh();
    }
    network.selectNodes([i]);
    network.focus(i, {scale: Math.max(network.getScale(), 1.1),
                      animation: {duration: 400, easingFunction: "easeInOutQuad"}});
    nodeDetails(i);
  }
  var found = [];
  function show(query) {
    var list = $("kg-results");
    list.textContent = "";
    found = find(query);
    if (query.trim() && !found.length) { list.appendChild(el("li", "", U.none)); }
    found.forEach(function (i, k) {
      var item = el("li", k === 0 ? "kg-active" : "", D.nodes[i][1]);
      item.appendChild(el("span", "kg-other", D.nodes[i][6].slice(1, 4).join(" · ")));
      item.addEventListener("click", function () { select(i); });
      list.appendChild(item);
    });
  }
  var search = $("kg-search");
  search.addEventListener("input", function () { show(search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && found.length) { select(found[0]); }
    if (ev.key === "Escape") { search.value = ""; show(""); }
  });

  // --- legible labels at the starting zoom ----------------------------------------------
  // After the first drawing every label has its real size. Edge labels are kept, in the
  // relations' order, only where they touch no node (shape or label) and no label kept
  // before; the rest are hidden (their edges keep colour, tooltip and details). Then the
  // view zooms in to at least D.minScale, so no label is drawn smaller than it can be read.
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function labelBox(edge) {
    var s = edge.labelModule.size;
    return {left: s.left - 2, top: s.top - 1, right: s.left + s.width + 2,
            bottom: s.top + s.height + 1};
  }
  function placeLabels() {
    var boxes = network.body.nodeIndices.map(function (id) {
      var node = network.body.nodes[id], b = node.shape.boundingBox, s = node.labelModule.size;
      return {left: Math.min(b.left, s.left), top: Math.min(b.top, s.top),
              right: Math.max(b.right, s.left + s.width),
              bottom: Math.max(b.bottom, s.top + s.height)};
    });
    var order = network.body.edgeIndices.slice().sort(function (a, b) {
      return edgeRel[a] - edgeRel[b] || a - b;
    });
    var hidden = [];
    order.forEach(function (id) {
      var edge = network.body.edges[id];
      if (!D.edges[id][9]) { return; }
      var box = labelBox(edge);
      var clash = boxes.some(function (b) { return overlaps(box, b); });
      if (clash) { hidden.push(id); } else { boxes.push(box); }
    });
    if (hidden.length) {
      hidden.forEach(function (id) { labelOff[D.edges[id].group] = true; });
      // Every fact of those pairs goes unnamed on the canvas: count them all.
      hidden = [].concat.apply([], hidden.map(function (id) { return groups[D.edges[id].group]; }));
      relabel();
      text("kg-labels-note", U.labels_hidden.replace("{k}", hidden.length));
      $("kg-labels-note").hidden = false;
    }
    window.kgHiddenLabels = hidden;
  }
  function zoomToRead() {
    if (network.getScale() < D.minScale) {
      network.moveTo({scale: D.minScale, position: network.getViewPosition()});
    }
  }

  // Drawn once from the precomputed layout, labels placed, then still: physics stays off.
  function ready() {
    network.setOptions({physics: {enabled: false}});
    window.kgReady = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  function settle() {
    if (D.placeLabels) {
      // Every node in view and drawn once, so that every label has been measured.
      network.fit({animation: false});
      network.redraw();
      placeLabels();
      zoomToRead();
      network.once("afterDrawing", ready);
      network.redraw();
    } else {
      ready();
    }
  }
  if (D.stabilize > 0) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({physics: {enabled: false}});
      network.once("afterDrawing", settle);
      network.redraw();
    });
  } else {
    network.once("afterDrawing", settle);
  }
  window.kg = {network: network, nodes: nodes, edges: edges, find: find, select: select,
               data: D};
})();
