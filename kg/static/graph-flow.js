// The graph page's first view and its time control, as plain functions of the page data
// (kg viz). window.kgFlow.diaspora picks an organisation's alumni and where they went,
// kgFlow.layout puts them in three columns (the organisation and its group on the left,
// the people by when they left, what they founded or joined on the right), and
// kgFlow.yearState says whether the dated facts place an edge in a given year.
(function () {
  "use strict";
  // Ties of a person to the organisation; where an alumnus went; the group's links.
  var TIES = {alumniOf: 1, role: 1, worksFor: 1};
  var WENT = {founder: 1, worksFor: 1, alumniOf: 1, role: 1};

  function relation(D, i) { return D.relations[D.edges[i][2]].key; }
  function typeOf(D, n) { return D.types[D.nodes[n][0]].key; }
  function dates(D, i) { return D.edges[i][11] || ["", "", ""]; }
  function year(text) {
    var m = /^(\d{4})/.exec(text || "");
    return m ? parseInt(m[1], 10) : null;
  }
  function norm(s) { return String(s).normalize("NFKC").trim().toLowerCase(); }

  // The organisation named by *query* (an id, the end of one, or any name), or -1.
  function findOrg(D, query) {
    var q = norm(query);
    if (!q) { return -1; }
    for (var i = 0; i < D.nodes.length; i++) {
      if (typeOf(D, i) !== "Organization") { continue; }
      var names = D.nodes[i][6].concat([D.nodes[i][1]]);
      for (var j = 0; j < names.length; j++) {
        var name = norm(names[j]);
        if (name === q || (name.indexOf("/") > 0 && name.split("/").pop() === q)) { return i; }
      }
    }
    return -1;
  }

  // The span of dates a set of edges gives, as the sources give them (never invented).
  function span(U, start, end) {
    if (start && end) { return start + " – " + end; }
    if (end) { return U.until.replace("{d}", end); }
    if (start) { return U.since.replace("{d}", start); }
    return "";
  }

  // The diaspora of organisation o: who worked there (a past-employment fact, or a role
  // that ended), what they founded or joined, and the organisations of o's group
  // (subsidiary links) they moved to. A move inside the group is drawn on the left, beside
  // o, so it never reads as a departure.
  function diaspora(D, o) {
    var touching = D.nodes.map(function () { return []; });
    D.edges.forEach(function (e, i) {
      touching[e[0]].push(i);
      if (e[1] !== e[0]) { touching[e[1]].push(i); }
    });
    var group = {}, todo = [o];
    group[o] = true;
    while (todo.length) {
      touching[todo.pop()].forEach(function (i) {
        if (relation(D, i) !== "parentOrganization") { return; }
        [D.edges[i][0], D.edges[i][1]].forEach(function (n) {
          if (!group[n]) { group[n] = true; todo.push(n); }
        });
      });
    }
    var ties = {};  // person -> edges tying them to o
    touching[o].forEach(function (i) {
      var e = D.edges[i], rel = relation(D, i);
      if (e[1] !== o || typeOf(D, e[0]) !== "Person" || !TIES[rel]) { return; }
      (ties[e[0]] = ties[e[0]] || []).push(i);
    });
    var people = Object.keys(ties).map(Number).filter(function (p) {
      return ties[p].some(function (i) {
        var rel = relation(D, i);
        return rel === "alumniOf" || (rel === "role" && dates(D, i)[1]);
      });
    });
    var view = {org: o, people: [], left: [o], right: [], edges: [], ties: {}, went: {},
                leftDate: {}, span: {}, endOf: function (i) { return D.edges[i][1]; }};
    var onLeft = {}, onRight = {};
    onLeft[o] = true;
    people.forEach(function (p) {
      // Dated by the past-employment facts where they have dates; else by the dated role
      // that ended last (or began last), named, as a role's dates are the role's own.
      var past = ties[p].filter(function (i) { return relation(D, i) === "alumniOf"; });
      var dated = past.filter(function (i) { return dates(D, i)[0] || dates(D, i)[1]; });
      var role = "";
      if (!dated.length) {
        dated = ties[p].filter(function (i) { return dates(D, i)[0] || dates(D, i)[1]; });
        dated.sort(function (a, b) {
          return dates(D, b)[1].localeCompare(dates(D, a)[1]) ||
            dates(D, b)[0].localeCompare(dates(D, a)[0]);
        });
        dated = dated.slice(0, 1);
        role = dated.length ? D.edges[dated[0]][3].replace(/^⚠ /, "") : "";
      }
      var starts = dated.map(function (i) { return dates(D, i)[0]; }).filter(Boolean).sort();
      var ends = dated.map(function (i) { return dates(D, i)[1]; }).filter(Boolean).sort();
      view.leftDate[p] = ends.length ? ends[ends.length - 1] : "";
      view.span[p] = [starts[0] || "", ends.length ? ends[ends.length - 1] : "", role];
      view.ties[p] = ties[p];
      view.went[p] = [];
      var came = year(view.span[p][0]), left = year(view.leftDate[p]), founded = {};
      touching[p].forEach(function (i) {
        if (relation(D, i) === "founder" && D.edges[i][0] === p) { founded[D.edges[i][1]] = 1; }
      });
      // Where they went, as far as the facts say it came after: what they founded (unless
      // dated before they came), where they work now (an undated role, a role at their own
      // company), and a past job elsewhere only when dated from their leaving on. A job
      // with no date may have come before; it is left to the whole graph.
      function after(i) {
        var s = year(dates(D, i)[0] || dates(D, i)[2]);
        return s !== null && left !== null && s >= left;
      }
      touching[p].forEach(function (i) {
        var e = D.edges[i], x = e[1], rel = relation(D, i);
        if (e[0] !== p || x === o || !WENT[rel] || typeOf(D, x) === "Person") { return; }
        var s = year(dates(D, i)[0] || dates(D, i)[2]);
        var keep = rel === "founder" ? !(s !== null && came !== null && s < came)
          : rel === "worksFor" ? true
            : rel === "role" ? !dates(D, i)[1] || !!founded[x] || after(i)
              : after(i);
        if (!keep) { return; }
        view.went[p].push(i);
        if (group[x]) { onLeft[x] = true; } else { onRight[x] = true; }
      });
    });
    // By when they left (the end the facts give), the undated last; then by when they came;
    // then side by side with those who went to the same place (fewer lines crossing).
    function where(p) {
      return view.went[p].map(function (i) { return String(D.nodes[D.edges[i][1]][1]); })
        .sort()[0] || "";
    }
    view.people = people.sort(function (a, b) {
      var x = view.leftDate[a], y = view.leftDate[b];
      if (!x !== !y) { return x ? -1 : 1; }
      return x.localeCompare(y) || view.span[a][0].localeCompare(view.span[b][0]) ||
        where(a).localeCompare(where(b)) ||
        String(D.nodes[a][1]).localeCompare(String(D.nodes[b][1]));
    });
    view.left = Object.keys(onLeft).map(Number);
    view.right = Object.keys(onRight).map(Number);
    var shown = {};
    view.people.forEach(function (p) {
      view.ties[p].concat(view.went[p]).forEach(function (i) { shown[i] = true; });
    });
    // The group's own links among the organisations drawn on the left.
    D.edges.forEach(function (e, i) {
      if (relation(D, i) === "parentOrganization" && onLeft[e[0]] && onLeft[e[1]]) {
        shown[i] = true;
      }
    });
    view.edges = Object.keys(shown).map(Number).sort(function (a, b) { return a - b; });
    return view;
  }

  // Columns: x of each column from the widest label in it (measured), y of each row kept
  // at least one row apart, each organisation as near as it can be to the people it is
  // tied to. The right column is as near as the edge labels allow: each sits at the middle
  // of its edge, clear of the boxes at both ends. Returns {x: {node: x}, y: {node: y}} in
  // canvas px.
  function layout(view, widths, edgeWidths, rows) {
    var people = view.people;
    var at = {}, x = {}, y = {};
    people.forEach(function (p, k) { at[p] = k * rows.person; y[p] = at[p]; });
    function widest(list) {
      return list.reduce(function (m, n) { return Math.max(m, widths[n] || 0); }, 0);
    }
    var wLeft = widest(view.left), wPeople = widest(people);
    var xPeople = wLeft / 2 + 120 + wPeople / 2;
    var gap = 160;
    people.forEach(function (p) {
      view.went[p].forEach(function (i) {
        var n = view.endOf(i);
        if (view.right.indexOf(n) < 0) { return; }
        gap = Math.max(gap, Math.max(widths[p] || 0, widths[n] || 0) + (edgeWidths[i] || 0) + 24);
      });
    });
    var xRight = xPeople + gap;
    function column(list, colX, ties, row, pinned) {
      var want = list.map(function (n) {
        if (pinned === n) { return [n, (people.length - 1) * rows.person / 2]; }
        var ys = ties(n);
        var mean = ys.length ? ys.reduce(function (s, v) { return s + v; }, 0) / ys.length : 0;
        return [n, mean];
      });
      want.sort(function (a, b) { return a[1] - b[1] || a[0] - b[0]; });
      var placed = [];
      want.forEach(function (w, k) {
        placed.push(k ? Math.max(w[1], placed[k - 1] + row) : w[1]);
      });
      // Centred on what they wanted, as a whole, so that pushes spread both ways.
      var shift = want.reduce(function (s, w, k) { return s + w[1] - placed[k]; }, 0) /
        Math.max(1, want.length);
      want.forEach(function (w, k) { x[w[0]] = colX; y[w[0]] = placed[k] + shift; });
    }
    function tiedFrom(n) {
      return people.filter(function (p) {
        return view.went[p].some(function (i) { return view.endOf(i) === n; });
      }).map(function (p) { return at[p]; });
    }
    column(view.left, 0, tiedFrom, rows.org, view.org);
    people.forEach(function (p) { x[p] = xPeople; });
    column(view.right, xRight, tiedFrom, rows.org, -1);
    return {x: x, y: y};
  }

  // Whether the dated facts place edge i in year y: "on" (they do), "off" (they place it
  // before or after), "undated" (no date at all) or "unknown" (the dates leave y open: only
  // an end is given and y is before it, or only a start and y is after it; the sources do
  // not say when it began or ended). A tie it began (a founding, a listing: the relation's
  // "lasting", kg.viz.model's LASTING) holds from its date on; any other fact with a date
  // alone (recruited, rival as of, a forecast) holds in that year only.
  function yearState(D, i, y) {
    var d = dates(D, i), s = year(d[0]), e = year(d[1]), at = year(d[2]);
    var lasting = D.relations[D.edges[i][2]].lasting;
    if (s === null && e === null && at === null) { return "undated"; }
    if (s === null && e === null) {
      if (!lasting) { return at === y ? "on" : "off"; }
      s = at;
    }
    if (s !== null && y < s) { return "off"; }
    if (e !== null && y > e) { return "off"; }
    if (s === null) { return y === e ? "on" : "unknown"; }
    if (e === null && y > s && !lasting) { return "unknown"; }
    return "on";
  }

  // The first and last year any fact gives.
  function yearRange(D) {
    var low = null, high = null;
    D.edges.forEach(function (e, i) {
      dates(D, i).forEach(function (t) {
        var v = year(t);
        if (v === null) { return; }
        low = low === null ? v : Math.min(low, v);
        high = high === null ? v : Math.max(high, v);
      });
    });
    return low === null ? null : [low, high];
  }

  // An opaque light shade of a colour (edges behind a box must not show through it).
  function tint(hex, share) {
    var rgb = [1, 3, 5].map(function (k) { return parseInt(hex.substr(k, 2), 16); });
    return "rgb(" + rgb.map(function (v) { return Math.round(255 - (255 - v) * share); })
      .join(",") + ")";
  }

  // In the diaspora view a pair's label names each relation once, with the earliest year
  // a fact of it starts in (the sources' own year), at most two of them; ⚠ where another
  // source's statement contradicts one.
  function pairLabel(D, on) {
    var first = {}, order = [];
    on.forEach(function (i) {
      var name = D.edges[i][3].replace(/^⚠ /, ""), d = D.edges[i][11] || [];
      var y = /^\d{4}/.exec(d[2] || d[0] || "");
      if (!name) { return; }
      if (!(name in first)) { first[name] = ""; order.push(name); }
      if (y && (!first[name] || y[0] < first[name])) { first[name] = y[0]; }
    });
    var parts = order.map(function (n) { return first[n] ? n + " " + first[n] : n; });
    var more = parts.length > 2 ? " +" + (parts.length - 2) : "";
    var disputed = on.some(function (i) { return D.edges[i][10]; });  // as kg conflicts says
    return (disputed ? "⚠ " : "") + parts.slice(0, 2).join(" · ") + more;
  }
  window.kgFlow = {diaspora: diaspora, layout: layout, findOrg: findOrg, span: span,
                   yearState: yearState, yearRange: yearRange, tint: tint,
                   pairLabel: pairLabel};
})();
