// Shared by the query page and the entity page of `kg serve`.
// Everything from the graph is inserted with textContent, never as HTML.
"use strict";

const KG = (() => {
  const BASE = "https://w3id.org/china-ai-kg/";
  const PREFIXES = {
    kg: BASE, schema: "https://schema.org/", org: "http://www.w3.org/ns/org#",
    prov: "http://www.w3.org/ns/prov#", oa: "http://www.w3.org/ns/oa#",
    skos: "http://www.w3.org/2004/02/skos/core#",
    rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#", rdfs: "http://www.w3.org/2000/01/rdf-schema#",
    xsd: "http://www.w3.org/2001/XMLSchema#"
  };
  const ENTITY_ID = /^(person|org|market|product|role)\/[a-z0-9-]+$/;
  // A parameter's default bound in the query: VALUES $name { term } or
  // VALUES ($a $b) { (term term) }, as kg/query.py reads them.
  const TERM = /<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?|-?\d+(?:\.\d+)?/;
  const DEFAULTS = new RegExp(
    "\\bVALUES\\s+(\\$\\w+|\\((?:\\s*\\$\\w+)+\\s*\\))\\s*\\{\\s*((?:" + TERM.source +
    ")|\\((?:\\s*(?:" + TERM.source + "))+\\s*\\))\\s*\\}", "g");

  function clauses(text) {
    const found = [];
    for (const m of text.matchAll(DEFAULTS)) {
      const names = m[1].match(/\$\w+/g).map((n) => n.slice(1));
      const terms = m[2].match(new RegExp(TERM.source, "g")) || [];
      if (names.length === terms.length) found.push({ index: m.index, length: m[0].length, names, terms });
    }
    return found;
  }
  /** The defaults the query binds itself, {name: term}. */
  function params(text) {
    const out = {};
    for (const c of clauses(text)) c.names.forEach((n, i) => { if (!(n in out)) out[n] = c.terms[i]; });
    return out;
  }
  /** The text with every VALUES default of $name set to term. */
  function setParam(text, name, term) {
    let out = "", at = 0;
    for (const c of clauses(text)) {
      const i = c.names.indexOf(name);
      if (i < 0) continue;
      const terms = c.terms.slice();
      terms[i] = term;
      const vars = c.names.map((n) => "$" + n);
      const clause = vars.length === 1
        ? "VALUES " + vars[0] + " { " + terms[0] + " }"
        : "VALUES (" + vars.join(" ") + ") { (" + terms.join(" ") + ") }";
      out += text.slice(at, c.index) + clause;
      at = c.index + c.length;
    }
    return out + text.slice(at);
  }
  function quote(value) {
    return '"' + value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") + '"';
  }
  /** A form value as an RDF term, as `kg query --bind` reads it; text where the default is text. */
  function term(value, textual) {
    value = value.trim();
    if (textual) return /^"(?:[^"\\]|\\.)*"$/.test(value) ? value : quote(value);
    if (ENTITY_ID.test(value)) return "<" + BASE + value + ">";
    if (/^<[^<>"{}|^`\\\s]*>$/.test(value)) return value;
    if (/^https?:\/\/\S+$/.test(value) && !/[<>"{}|^`\\]/.test(value)) return "<" + value + ">";
    const m = /^([A-Za-z][\w-]*):([\w/.-]+)$/.exec(value);
    if (m && PREFIXES[m[1]]) return "<" + PREFIXES[m[1]] + m[2] + ">";
    if (/^-?\d+(\.\d+)?$/.test(value)) return value;
    return quote(value);
  }
  /** A term as the form shows it: an entity id, an IRI, the text of a string. */
  function shown(t) {
    if (t.startsWith("<")) return short(t.slice(1, -1));
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(t);
    return m ? m[1].replace(/\\(.)/g, "$1") : t;
  }
  function short(iri) {
    for (const [p, ns] of Object.entries(PREFIXES)) {
      if (iri.startsWith(ns)) {
        const local = iri.slice(ns.length);
        return p === "kg" && local.includes("/") ? local : p + ":" + local;
      }
    }
    return iri;
  }
  function isEntity(cell) {
    return cell && cell.type === "uri" && cell.value.startsWith(BASE) &&
      ENTITY_ID.test(cell.value.slice(BASE.length));
  }
  /** The prefixes the text does not declare, on one line, so line numbers move by one. */
  function prologue(text) {
    const missing = Object.entries(PREFIXES).filter(
      ([p]) => !new RegExp("PREFIX\\s+" + p + "\\s*:", "i").test(text));
    return missing.length ? missing.map(([p, ns]) => "PREFIX " + p + ": <" + ns + ">").join(" ") + "\n" : "";
  }
  /** Send a query; a syntax error's line counts the user's lines only. */
  async function query(text, accept) {
    const added = prologue(text);
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": accept || "application/sparql-results+json" },
      body: added + text
    });
    let body = accept && !accept.includes("json") ? await response.blob() : await response.text();
    let errorLine = null;
    if (!response.ok) {
      body = await (body instanceof Blob ? body.text() : body);
      if (added) {
        body = body.replace(/line (\d+), column (\d+)/, (_, l, c) => "line " + (Number(l) - 1) + ", column " + c);
      }
      const m = /line (\d+), column \d+/.exec(body);
      if (m) errorLine = Number(m[1]);
    }
    return { response, body, errorLine };
  }
  /** Names for entity IRIs, in one query: {iri: label}. */
  async function names(iris, lang) {
    if (!iris.length) return {};
    const text = "SELECT ?e ?label WHERE { VALUES ?e { " + iris.map((i) => "<" + i + ">").join(" ") +
      " } ?e rdfs:label ?label . FILTER (langMatches(lang(?label), " + quote(lang) + ")) }";
    const { response, body } = await query(text);
    const out = {};
    if (!response.ok) return out;
    for (const b of JSON.parse(body).results.bindings) out[b.e.value] = b.label.value;
    return out;
  }
  function entityLink(iri, label, lang) {
    const a = document.createElement("a");
    const id = iri.slice(BASE.length);
    a.href = "/entity?" + new URLSearchParams({ id, lang });
    a.textContent = label || id;
    a.title = id + " — every fact about it, with its evidence";
    a.dataset.iri = iri;
    return a;
  }
  /** Fill in the names of links still showing an id. */
  async function nameLinks(root, lang) {
    const links = [...root.querySelectorAll("a[data-iri]")].filter((a) => !a.dataset.named);
    const found = await names([...new Set(links.map((a) => a.dataset.iri))], lang);
    for (const a of links) {
      if (found[a.dataset.iri]) { a.textContent = found[a.dataset.iri]; a.dataset.named = "1"; }
    }
  }
  return { BASE, PREFIXES, params, setParam, term, shown, short, isEntity, query, names, entityLink, nameLinks, quote };
})();
