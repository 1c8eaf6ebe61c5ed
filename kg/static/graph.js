// The graph page's script (kg viz). Text only ever reaches the DOM through textContent (and
// vis-network's string titles, which it shows with innerText); ids are integers; a link is
// made only from an http(s) URL. The first view is an organisation's diaspora
// (graph-flow.js); the whole graph is one click away.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kg-data").textContent);
  var U = D.ui, F = window.kgFlow, P = window.kgPanel;
  var FLOW_FONT = 14, MAX_SCALE = 1.4, BIG = !D.placeLabels;
  var $ = P.$, text = P.text, el = P.el, swatch = P.swatch;

  text("kg-types-title", U.types);
  text("kg-relations-title", U.relations);
  text("kg-details-title", U.details);
  text("kg-close", U.close);
  text("kg-hint", U.hint);
  text("kg-fit", U.fit);
  text("kg-year-title", U.year);
  text("kg-all-years-name", U.all_years);
  text("kg-undated-name", U.undated);
  $("kg-search").placeholder = U.search;

  // Node: [type, label, size, x, y, info, names, font]
  // Edge: [from, to, relation, label, tooltip, bend, when, status, quotes, drawn label,
  //        disputed (another source's statement contradicts it), [start, end, date]]
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
  // Edges between the same two nodes: one label, carried by the first edge still shown.
  var groupOf = {}, groups = [];
  D.edges.forEach(function (e, i) {
    var key = Math.min(e[0], e[1]) + "-" + Math.max(e[0], e[1]);
    if (!(key in groupOf)) { groupOf[key] = groups.length; groups.push([]); }
    groups[groupOf[key]].push(i);
    e.group = groupOf[key];
  });

  // --- which view, which year, what is selected ------------------------------------------
  var mode = "whole";
  var flow = null, pos = null, flowNode = {}, flowEdge = {};
  var yearStates = null;  // each edge's yearState in the year shown, or null: all years
  var keep = null;  // nodes and edges left undimmed by a selection
  var labelOff = {whole: {}, flow: {}}, placed = {whole: false, flow: false};
  var hiddenBy = {whole: [], flow: []};
  var nodeOn = D.nodes.map(function () { return true; });
  var edgeOn = D.edges.map(function () { return true; });

  function say(message) { text("kg-org-note", message); $("kg-org-note").hidden = false; }
  // The organisation of ?org= in the page's URL, else the one the page was made for.
  var asked = new URLSearchParams(window.location.search).get("org");
  var org = D.org;
  if (asked) {
    var found = F.findOrg(D, asked);
    if (found >= 0) { org = found; } else { say(U.no_org.replace("{org}", asked)); }
  }
  if (org >= 0 && !BIG) {
    flow = F.diaspora(D, org);
    if (!flow.people.length) {
      say(U.no_alumni.replace("{org}", D.nodes[org][1]));
      flow = null;
    }
  }
  if (flow) {
    flow.people.concat(flow.left, flow.right).forEach(function (n) { flowNode[n] = true; });
    flow.edges.forEach(function (i) { flowEdge[i] = true; });
    mode = "flow";
  } else {
    $("kg-toggle").hidden = true;
  }

  function compute() {
    D.edges.forEach(function (e, i) {
      edgeOn[i] = relOn[edgeRel[i]] && typeOn[nodeType[e[0]]] && typeOn[nodeType[e[1]]] &&
        (mode !== "flow" || !!flowEdge[i]) && !(yearStates && yearStates[i] === "off");
    });
    // A node is shown when its type is, in the view, and not left alone by the filters.
    D.nodes.forEach(function (n, i) {
      nodeOn[i] = typeOn[nodeType[i]] && (mode !== "flow" || !!flowNode[i]) &&
        (!touching[i].length || touching[i].some(function (k) { return edgeOn[k]; }));
    });
  }

  // --- what each node and edge looks like in the current state -------------------------
  function flowName(i) {
    var s = flow.span[i];
    var when = s ? (s[2] ? s[2] + " " : "") + F.span(U, s[0], s[1]) : "";
    return when ? D.nodes[i][1] + " · " + when : D.nodes[i][1];
  }
  function nodeItem(i, withPlace) {
    var n = D.nodes[i], inFlow = mode === "flow", dim = keep && !keep.nodes[i];
    var item = {id: i, label: inFlow ? flowName(i) : n[1],
                font: {size: inFlow ? FLOW_FONT : n[7], color: dim ? "#1A1A1A4D" : "#1A1A1A"},
                opacity: dim ? 0.25 : 1};
    var style = D.types[n[0]];
    // Every update carries the look: vis-network puts back the group's for any left out.
    // In the diaspora view each entity is a box holding its name (and dates), so that a
    // name can never be read as the next row's; its border has the type's colour.
    item.group = style.key;
    item.shape = inFlow ? "box" : style.shape;
    item.color = inFlow ? {background: F.tint(style.fill, 0.16), border: style.fill,
                           highlight: {background: "#FFE066", border: "#C9302C"},
                           hover: {background: F.tint(style.fill, 0.3), border: "#222222"}}
      : undefined;
    item.borderWidth = inFlow ? (i === org ? 3 : 2) : 1.5;
    item.margin = inFlow ? {top: 5, bottom: 5, left: 8, right: 8} : undefined;
    if (withPlace) {
      item.size = n[2];
      item.x = inFlow ? pos.x[i] : n[3];
      item.y = inFlow ? pos.y[i] : n[4];
    }
    return item;
  }
  // The label each edge carries: one per pair of nodes, on the first edge of it shown.
  function labels() {
    var out = D.edges.map(function () { return ""; });
    groups.forEach(function (members, g) {
      var on = members.filter(function (i) { return edgeOn[i]; });
      if (!on.length || labelOff[mode][g]) { return; }
      if (mode === "flow" && flow.people.indexOf(D.edges[on[0]][0]) >= 0 &&
          D.edges[on[0]][1] === org) {
        return;  // a tie to the organisation: its dates are on the person's label
      }
      if (mode === "flow") { out[on[0]] = F.pairLabel(D, on); return; }
      var names = [];
      on.forEach(function (i) {
        if (D.edges[i][3] && names.indexOf(D.edges[i][3]) < 0) { names.push(D.edges[i][3]); }
      });
      out[on[0]] = names.join("\n");
    });
    return out;
  }
  function edgeItem(i, label) {
    var e = D.edges[i], r = D.relations[e[2]];
    var color = r.color, dashes = r.dashes, opacity = 1, fontColor = "#4A4A4A";
    if (e[10]) { color = "#C9302C"; dashes = [4, 3]; }  // another source contradicts it
    var state = yearStates ? yearStates[i] : "on";
    if (state === "undated" || state === "unknown") {  // no date places it in the year
      color = "#8C8C8C"; dashes = [3, 5]; opacity = 0.5; fontColor = "#8C8C8C";
    }
    if (keep && !keep.edges[i]) { opacity = 0.12; fontColor = "#4A4A4A33"; }
    var item = {id: i, from: e[0], to: e[1], title: e[4], dashes: dashes, width: r.width,
                color: {color: color, highlight: "#C9302C", hover: color, opacity: opacity},
                font: {color: fontColor}};
    if (label) { item.label = label; }
    return item;
  }
  var nodes = new vis.DataSet(D.nodes.map(function (n, i) {
    var facts = touching[i].length;
    return {id: i, group: D.types[n[0]].key, label: n[1], size: n[2], x: n[3], y: n[4],
            font: {size: n[7]},
            title: n[5] + (facts ? "\n\n" + U.click_node.replace("{n}", facts) : "")};
  }));
  var labelNow = D.edges.map(function (e) { return e[9]; });
  var styleNow = D.edges.map(function () { return ""; });
  var edges = new vis.DataSet(D.edges.map(function (e, i) { return edgeItem(i, e[9]); }));
  var nodeView = new vis.DataView(nodes, {filter: function (n) { return nodeOn[n.id]; }});
  var edgeView = new vis.DataView(edges, {filter: function (e) { return edgeOn[e.id]; }});
  var network = new vis.Network($("kg-network"), {nodes: nodeView, edges: edgeView}, D.options);

  // Brings nodes and edges up to date; with *withPlace*, their places and sizes too.
  function restyle(withPlace) {
    if (!BIG) { nodes.update(D.nodes.map(function (n, i) { return nodeItem(i, withPlace); })); }
    var want = labels(), relabelled = [], changed = [];
    D.edges.forEach(function (e, i) {
      var item = edgeItem(i, want[i]), key = JSON.stringify(item);
      if (want[i] !== labelNow[i]) { relabelled.push(item); } else if (key !== styleNow[i]) {
        changed.push(item);
      }
      labelNow[i] = want[i];
      styleNow[i] = key;
    });
    // Re-added, as vis-network keeps a label that an update empties.
    if (relabelled.length) {
      edges.remove(relabelled.map(function (x) { return x.id; }));
      edges.add(relabelled);
    }
    if (changed.length) { edges.update(changed); }
  }
  function shown() {
    text("kg-shown", U.shown.replace("{n}", nodeView.length).replace("{N}", D.nodes.length)
      .replace("{m}", edgeView.length).replace("{M}", D.edges.length));
  }
  function refresh() {
    compute();
    nodeView.refresh();
    edgeView.refresh();
    restyle(false);
    shown();
  }
  // The visible nodes in the window, labels no smaller than D.minScale draws them.
  function fitView() {
    var ids = D.nodes.map(function (n, i) { return i; }).filter(function (i) { return nodeOn[i]; });
    if (!ids.length) { return; }
    network.fit({nodes: ids, animation: false, maxZoomLevel: MAX_SCALE,
                 minZoomLevel: D.minScale || Number.MIN_VALUE});
  }

  function filters(box, list, on, isEdge) {
    list.forEach(function (item, i) {
      var row = el("label", "kg-row");
      var check = document.createElement("input");
      check.type = "checkbox";
      check.checked = true;
      check.setAttribute("data-key", item.key);
      check.addEventListener("change", function () {
        on[i] = check.checked;
        clearDim();
        refresh();
        fitView();
      });
      row.appendChild(check);
      row.appendChild(swatch(item, isEdge));
      row.appendChild(el("span", "", item.name));
      row.appendChild(el("span", "kg-count", String(item.count)));
      $(box).appendChild(row);
    });
  }
  filters("kg-types", D.types, typeOn, false);
  filters("kg-relations", D.relations, relOn, true);
  $("kg-undated-swatch").appendChild(swatch({color: "#8C8C8C", width: 1.4, dashes: [3, 5],
                                              opacity: 0.5}, true));

  // Entities left out of the drawing on purpose, each with its tie (author of the article …).
  if (D.notes.length) {
    text("kg-notdrawn-title", U.not_drawn);
    D.notes.forEach(function (note) { $("kg-notdrawn").appendChild(el("li", "", note)); });
    $("kg-notdrawn-title").hidden = false;
    $("kg-notdrawn").hidden = false;
  }

  // --- the details panel: every fact, each quote in its sentence, with its source --------
  var panel = P.details(D, U, touching, groups);
  var nodeDetails = panel.node, edgeDetails = panel.edge, close = panel.close;
  // --- a selection dims the rest (the view's zoom never changes on a click) -------------
  function dimAround(nodeIds, edgeIds) {
    if (BIG) { return; }
    keep = {nodes: {}, edges: {}};
    nodeIds.forEach(function (n) { keep.nodes[n] = true; });
    edgeIds.forEach(function (k) {
      keep.edges[k] = true;
      keep.nodes[D.edges[k][0]] = true;
      keep.nodes[D.edges[k][1]] = true;
    });
    restyle(false);
  }
  function dimNode(i) {
    dimAround([i], touching[i].filter(function (k) { return edgeOn[k]; }));
  }
  function clearDim() {
    if (keep) { keep = null; restyle(false); }
  }
  $("kg-close").addEventListener("click", function () {
    close();
    network.unselectAll();
    clearDim();
  });
  network.on("click", function (p) {
    if (p.nodes.length) {
      dimNode(p.nodes[0]);
      nodeDetails(p.nodes[0]);
    } else if (p.edges.length) {
      var pair = groups[D.edges[p.edges[0]].group].filter(function (k) { return edgeOn[k]; });
      dimAround([], pair);
      edgeDetails(p.edges[0]);
    } else {
      clearDim();
      close();
    }
  });

  // --- search by any name: exact matches first, then prefixes, then substrings -----------
  var find = P.finder(D);
  function select(i) {
    if (!typeOn[nodeType[i]]) {
      typeOn[nodeType[i]] = true;
      document.querySelectorAll("#kg-types input")[nodeType[i]].checked = true;
      refresh();
    }
    if (!nodeOn[i] && mode === "flow") { showWhole(); }
    if (!nodeOn[i] && yearStates !== null) { setYear(null); }
    network.selectNodes([i]);
    network.focus(i, {scale: Math.max(network.getScale(), 1.1),
                      animation: {duration: 400, easingFunction: "easeInOutQuad"}});
    dimNode(i);
    nodeDetails(i);
  }
  var results = [];
  function show(query) {
    var list = $("kg-results");
    list.textContent = "";
    results = find(query);
    if (query.trim() && !results.length) { list.appendChild(el("li", "", U.none)); }
    results.forEach(function (i, k) {
      var item = el("li", k === 0 ? "kg-active" : "", D.nodes[i][1]);
      item.appendChild(el("span", "kg-other", D.nodes[i][6].slice(1, 4).join(" · ")));
      item.addEventListener("click", function () { select(i); });
      list.appendChild(item);
    });
  }
  var search = $("kg-search");
  search.addEventListener("input", function () { show(search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && results.length) { select(results[0]); }
    if (ev.key === "Escape") { search.value = ""; show(""); }
  });

  // --- legible labels -------------------------------------------------------------------
  // After a drawing every label has its real size. Edge labels are kept, in the relations'
  // order, only where they touch no node (shape or label) and no label kept before; the
  // rest are hidden (their edges keep colour, tooltip and details), once per view.
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
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
      if (!labelNow[id]) { return; }
      var s = edge.labelModule.size;
      var box = {left: s.left - 2, top: s.top - 1, right: s.left + s.width + 2,
                 bottom: s.top + s.height + 1};
      var clash = boxes.some(function (b) { return overlaps(box, b); });
      if (clash) { hidden.push(id); } else { boxes.push(box); }
    });
    hidden.forEach(function (id) { labelOff[mode][D.edges[id].group] = true; });
    // Every fact of those pairs goes unnamed on the canvas: count them all.
    hiddenBy[mode] = [].concat.apply([], hidden.map(function (id) {
      return groups[D.edges[id].group];
    }));
    placed[mode] = true;
    if (hidden.length) { restyle(false); }
  }
  function noteLabels() {
    var hidden = hiddenBy[mode];
    window.kgHiddenLabels = hidden;
    text("kg-labels-note", U.labels_hidden.replace("{k}", hidden.length));
    $("kg-labels-note").hidden = !hidden.length;
  }

  // --- the two views: an organisation's diaspora, and the whole graph --------------------
  function flowPlaces() {
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = FLOW_FONT + "px " + D.options.nodes.font.face;
    var widths = {};
    Object.keys(flowNode).forEach(function (n) {
      widths[n] = ctx.measureText(flowName(Number(n))).width + 24;
    });
    ctx.font = D.options.edges.font.size + "px " + D.options.edges.font.face;
    // Each pair's label, wherever in the pair it is drawn.
    var want = labels(), edgeWidths = {};
    flow.edges.forEach(function (i) {
      if (!want[i]) { return; }
      var w = ctx.measureText(want[i]).width + 8;
      groups[D.edges[i].group].forEach(function (k) { edgeWidths[k] = w; });
    });
    return F.layout(flow, widths, edgeWidths, {person: 38, org: 38});
  }
  function enter(next, then) {
    mode = next;
    clearDim();
    close();
    network.unselectAll();
    compute();
    if (mode === "flow" && !pos) { pos = flowPlaces(); }
    restyle(true);
    nodeView.refresh();
    edgeView.refresh();
    restyle(false);
    shown();
    var name = org >= 0 ? D.nodes[org][1] : "";
    text("kg-view-title", mode === "flow" ? U.flow.replace("{org}", name) : U.whole);
    text("kg-toggle", mode === "flow" ? U.whole : U.flow.replace("{org}", name));
    $("kg-flow-note").hidden = mode !== "flow";
    text("kg-flow-note", U.flow_note.replace("{org}", name));
    document.body.setAttribute("data-view", mode);
    if (!BIG) {
      // Every node in view and drawn once, so that every label has been measured.
      network.fit({animation: false});
      network.redraw();
      if (!placed[mode]) { placeLabels(); }
      noteLabels();
    }
    fitView();
    network.once("afterDrawing", function () { if (then) { then(); } });
    network.redraw();
  }
  function showWhole(then) { enter("whole", then); }
  function showFlow(then) { if (flow) { enter("flow", then); } }
  $("kg-toggle").addEventListener("click", function () {
    if (mode === "flow") { showWhole(); } else { showFlow(); }
  });
  $("kg-fit").addEventListener("click", fitView);

  // --- the year control: who was where in a year, from the dated facts ----------------
  var years = F.yearRange(D);
  function setYear(y) {
    yearStates = y === null ? null : D.edges.map(function (e, i) { return F.yearState(D, i, y); });
    $("kg-all-years").checked = y === null;
    text("kg-year-value", y === null ? "" : String(y));
    text("kg-year-note", y === null ? "" : U.year_note.replace("{y}", y));
    $("kg-year-note").hidden = y === null;
    $("kg-undated").hidden = y === null;
    clearDim();
    refresh();
  }
  if (years) {
    var slider = $("kg-year");
    slider.min = String(years[0]);
    slider.max = String(years[1]);
    slider.step = "1";
    slider.value = String(years[1]);
    slider.addEventListener("input", function () { setYear(parseInt(slider.value, 10)); });
    $("kg-all-years").addEventListener("change", function () {
      setYear($("kg-all-years").checked ? null : parseInt(slider.value, 10));
    });
  } else {
    $("kg-year-box").hidden = true;
  }

  // Drawn once, then still: physics stays off.
  function ready() {
    network.setOptions({physics: {enabled: false}});
    window.kgReady = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  function settle() {
    if (D.placeLabels) { enter(mode, ready); } else { compute(); shown(); ready(); }
  }
  compute();
  nodeView.refresh();
  edgeView.refresh();
  shown();
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
               data: D, flow: flow, fit: fitView, showWhole: showWhole, showFlow: showFlow,
               setYear: setYear, view: function () { return mode; },
               yearStates: function () { return yearStates; },
               shownEdges: function () { return network.body.edgeIndices.slice(); },
               labelOf: function (i) { return labelNow[i]; }};
})();
