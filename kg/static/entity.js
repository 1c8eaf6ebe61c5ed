// The entity page of `kg serve`: every fact about one entity, each quote highlighted in its
// sentence with its source, as the graph page's details panel shows them (two queries of its own).
"use strict";

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
// The server looked up ?id= (any name or id, as the CLI does) and put the entity's id here.
const id = $("entity").dataset.id || "";
const lang = ["zh-Hans", "zh-Hant", "en"].includes(url.get("lang")) ? url.get("lang") : "zh-Hans";
$("lang").value = lang;
$("lang").addEventListener("change", () => {
  location.search = "?" + new URLSearchParams({ id, lang: $("lang").value });
});

function status(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}
function label(labels, iri) {
  const texts = labels[iri] || {};
  return texts[lang] || texts["zh-Hans"] || texts.en || KG.short(iri);
}

async function show() {
  if (!/^(person|org|market|product|role|event\/[a-z0-9-]+)\/[a-z0-9-]+$/.test(id)) {
    status("the server named no entity to show (reload /entity?id=org/baidu)", true);
    return;
  }
  const iri = KG.BASE + id;
  $("id").textContent = id;
  const [labels, queries] = await Promise.all([
    fetch("/labels").then((r) => r.json()), fetch("/queries").then((r) => r.json())]);
  // Its names and types.
  const about = await KG.query("SELECT ?p ?o WHERE { <" + iri + "> ?p ?o . " +
    "FILTER (?p IN (rdfs:label, skos:altLabel, rdf:type)) }");
  if (!about.response.ok) { status(about.response.status + ": " + about.body, true); return; }
  const rows = JSON.parse(about.body).results.bindings;
  if (!rows.length) { status("no entity " + id + " in this graph", true); return; }
  const names = rows.filter((b) => b.p.value.endsWith("#label"));
  const own = names.find((b) => (b.o["xml:lang"] || "").toLowerCase() === lang.toLowerCase());
  $("name").textContent = own ? own.o.value : id;
  document.title = "kg — " + $("name").textContent;
  const others = [...new Set(rows.filter((b) => b.o.type !== "uri").map((b) => b.o.value))]
    .filter((n) => n !== $("name").textContent);
  $("names").textContent = others.length ? "also: " + others.join(" · ") : "";
  $("types").textContent = rows.filter((b) => b.p.value.endsWith("#type"))
    .map((b) => label(labels, b.o.value)).join(", ");
  // Every fact, with its evidence: the same view as the graph page's details panel (the
  // quote in its sentence, the source's title, publisher, date and link).
  const facts = await KG.query(factsQuery(iri));
  if (!facts.response.ok) { status(facts.response.status + ": " + facts.body, true); return; }
  const grouped = new Map();
  for (const b of JSON.parse(facts.body).results.bindings) {
    const key = b.st.value;
    if (!grouped.has(key)) grouped.set(key, { b, quotes: new Map() });
    grouped.get(key).quotes.set(b.span.value, b);
  }
  const sources = await sourceInfo([...new Set(JSON.parse(facts.body).results.bindings.map((b) => b.source.value))]);
  const box = $("facts");
  box.replaceChildren();
  const self = $("name").textContent;
  for (const { b, quotes } of grouped.values()) {
    const div = document.createElement("div");
    div.className = "fact";
    div.appendChild(statement(b, labels, self));
    for (const q of quotes.values()) div.appendChild(evidenceBlock(q, sources[q.source.value]));
    box.appendChild(div);
  }
  await KG.nameLinks(box, lang);
  status(grouped.size + " fact" + (grouped.size === 1 ? "" : "s") + " about " + id + ", each with its evidence");
  document.body.dataset.ready = "1";
}

/** Every statement about *iri* (relations both ways, roles, figures, events) with each span. */
function factsQuery(iri) {
  const e = "<" + iri + ">", inLang = (v) => "FILTER (langMatches(lang(" + v + "), " + KG.quote(lang) + "))";
  return "SELECT ?st ?kind ?predicate ?other ?otherHans ?role ?roleLabel ?start ?end ?date ?period ?value ?min ?max ?unit " +
    "?qualifier ?forecast ?forecaster ?status ?span ?source ?quote ?from ?to ?check WHERE {\n" +
    "  { ?st rdf:subject " + e + " ; rdf:predicate ?predicate ; rdf:object ?other . BIND (\"out\" AS ?kind) }\n" +
    "  UNION { ?st rdf:object " + e + " ; rdf:predicate ?predicate ; rdf:subject ?other . BIND (\"in\" AS ?kind) }\n" +
    "  UNION { ?st a org:Membership ; org:member " + e + " ; org:organization ?other ; org:role ?role . BIND (\"role\" AS ?kind) }\n" +
    "  UNION { ?st a org:Membership ; org:organization " + e + " ; org:member ?other ; org:role ?role . BIND (\"member\" AS ?kind) }\n" +
    "  UNION { ?st a kg:Figure ; schema:about " + e + " ; kg:measure ?other . BIND (\"figure\" AS ?kind)\n" +
    "          OPTIONAL { ?st schema:value ?value } OPTIONAL { ?st schema:minValue ?min } OPTIONAL { ?st schema:maxValue ?max }\n" +
    "          OPTIONAL { ?st schema:unitText ?unit } OPTIONAL { ?st kg:qualifier ?qualifier }\n" +
    "          OPTIONAL { ?st kg:isForecast ?forecast } OPTIONAL { ?st kg:forecastBy ?forecaster } }\n" +
    "  UNION { ?st a schema:Event ; schema:about " + e + " . BIND (\"event\" AS ?kind)\n" +
    "          OPTIONAL { ?st rdfs:label ?other " + inLang("?other") + " }\n" +
    "          OPTIONAL { ?st rdfs:label ?otherHans FILTER (langMatches(lang(?otherHans), \"zh-Hans\")) } }\n" +
    "  OPTIONAL { ?role rdfs:label ?roleLabel " + inLang("?roleLabel") + " }\n" +
    "  OPTIONAL { ?st schema:startDate ?start } OPTIONAL { ?st schema:endDate ?end } OPTIONAL { ?st kg:date ?date }\n" +
    "  OPTIONAL { ?st kg:period ?period } OPTIONAL { ?st kg:status ?status }\n" +
    "  ?st prov:wasDerivedFrom ?span . ?span oa:hasSource ?source ; oa:hasSelector ?q .\n" +
    "  ?q oa:exact ?quote .\n" +
    // A cited source's quote never checked against its text has no position; kg:quoteCheck
    // says how a cited source's quote was checked.
    "  OPTIONAL { ?span oa:hasSelector ?pos . ?pos oa:start ?from ; oa:end ?to . }\n" +
    "  OPTIONAL { ?span kg:quoteCheck ?check }\n" +
    "} ORDER BY ?from ?to";
}

/** Title, publisher, date, link and clean text of each source: {iri: info}. */
async function sourceInfo(iris) {
  if (!iris.length) return {};
  const text = "SELECT ?s ?title ?publisher ?date ?url ?text WHERE { VALUES ?s { " +
    iris.map((i) => "<" + i + ">").join(" ") + " }\n" +
    "  OPTIONAL { ?s schema:headline ?title FILTER (langMatches(lang(?title), " + KG.quote(lang) + ")) }\n" +
    "  OPTIONAL { ?s schema:headline ?title FILTER (langMatches(lang(?title), \"zh-Hans\")) }\n" +
    "  OPTIONAL { ?s schema:headline ?title }\n" +
    "  OPTIONAL { ?s schema:publisher/rdfs:label ?publisher FILTER (langMatches(lang(?publisher), " + KG.quote(lang) + ")) }\n" +
    "  OPTIONAL { ?s schema:datePublished ?date } OPTIONAL { ?s schema:url ?url }\n" +
    "  OPTIONAL { ?s schema:text ?text FILTER (langMatches(lang(?text), \"zh-Hans\") ||\n" +
    "    langMatches(lang(?text), \"en\")) } }";
  const { response, body } = await KG.query(text);
  const out = {};
  if (!response.ok) return out;
  for (const b of JSON.parse(body).results.bindings) {
    if (out[b.s.value]) continue;
    out[b.s.value] = {
      title: b.title ? b.title.value : "", publisher: b.publisher ? b.publisher.value : "",
      date: b.date ? b.date.value : "", url: b.url ? b.url.value : "", chars: b.text ? Array.from(b.text.value) : null
    };
  }
  return out;
}

function link(cell, labels) {
  return KG.isEntity(cell) ? KG.entityLink(cell.value, null, lang)
    : document.createTextNode(cell.type === "uri" ? label(labels, cell.value) : cell.value);
}

function dates(b) {
  if (b.date) return b.date.value;
  if (b.period) return b.period.value;
  if (b.start || b.end) return (b.start ? b.start.value : "") + "–" + (b.end ? b.end.value : "");
  return "";
}

// The graph page's details panel's words (kg/viz.py's UI table), and the figures' qualifiers.
const WORDS = {
  "zh-Hans": { noDate: "发布日期未记录", noUrl: "原文链接未记录", original: "原文", forecast: "预测",
    by: "，预测方：", offsets: "来源正文第 {a}–{b} 字" },
  "zh-Hant": { noDate: "發布日期未記錄", noUrl: "原文連結未記錄", original: "原文", forecast: "預測",
    by: "，預測方：", offsets: "來源正文第 {a}–{b} 字" },
  en: { noDate: "publication date not recorded", noUrl: "link to the original not recorded",
    original: "original", forecast: "forecast", by: " by ",
    offsets: "characters {a}–{b} of the source's clean text" }
}[lang];
const QUALIFIERS = {
  approximately: { "zh-Hans": "约", "zh-Hant": "約", en: "approximately" },
  "more than": { "zh-Hans": "超过", "zh-Hant": "超過", en: "more than" },
  nearly: { "zh-Hans": "近", "zh-Hant": "近", en: "nearly" },
  "at most": { "zh-Hans": "至多", "zh-Hant": "至多", en: "at most" }
};

function number(cell) {
  const n = Number(cell.value);
  return Number.isSafeInteger(Math.round(n)) ? new Intl.NumberFormat(lang).format(n) : cell.value;
}

function span(cls, text) {
  const node = document.createElement("span");
  node.className = cls;
  node.textContent = text;
  return node;
}

/** One line for the fact: who —relation→ whom, with its dates. */
function statement(b, labels, self) {
  const line = document.createElement("div");
  line.className = "statement";
  const relation = document.createElement("span");
  relation.className = "relation";
  const kind = b.kind.value;
  const me = document.createTextNode(self);
  if (kind === "role" || kind === "member") {
    relation.textContent = " —" + (b.roleLabel ? b.roleLabel.value : label(labels, b.role.value)) + "→ ";
    if (kind === "role") line.append(me, relation, link(b.other, labels));
    else line.append(link(b.other, labels), relation, me);
  } else if (kind === "figure") {
    const measure = labels["measure:" + b.other.value] || {};
    relation.textContent = " — " + (measure[lang] || measure["zh-Hans"] || b.other.value) + ": ";
    const value = b.value ? number(b.value) : [b.min, b.max].filter(Boolean).map(number).join("–");
    const qualifier = b.qualifier ? (QUALIFIERS[b.qualifier.value] || {})[lang] || b.qualifier.value : "";
    line.append(me, relation, document.createTextNode(
      (qualifier ? qualifier + " " : "") + value + (b.unit ? " " + b.unit.value : "")));
  } else if (kind === "event") {
    line.append(document.createTextNode((b.other || b.otherHans || b.st).value));
  } else {
    relation.textContent = " —" + label(labels, b.predicate.value) + "→ ";
    if (kind === "in") line.append(link(b.other, labels), relation, me);
    else line.append(me, relation, link(b.other, labels));
  }
  const when = dates(b);
  if (when) line.appendChild(span("dates", " (" + when + ")"));
  if (b.status) line.appendChild(span("dates", " · " + b.status.value));
  if (b.forecast && b.forecast.value === "true") {
    const note = span("dates", " · " + WORDS.forecast);
    if (b.forecaster) note.append(WORDS.by, link(b.forecaster, labels));
    line.appendChild(note);
  }
  return line;
}

// The sentence around a quote, cut as kg/viz.py's _in_sentence cuts it for the graph page.
const SENTENCE_ENDS = "。！？!?\n", CLOSERS = "”’」』)）", CONTEXT = 90;

/** [before, after]: the rest of the sentence around chars[from:to] (empty if it is not *quote*). */
function inSentence(chars, from, to, quote) {
  if (!chars || chars.slice(from, to).join("") !== quote) return ["", ""];
  let left = from;
  while (left > 0 && !SENTENCE_ENDS.includes(chars[left - 1])) left--;
  while (left < from && CLOSERS.includes(chars[left])) left++;  // a closing quote ends the last sentence
  let right = to;
  while (right < chars.length && !SENTENCE_ENDS.includes(chars[right])) right++;
  if (right < chars.length && chars[right] !== "\n") {
    right++;  // keep the full stop, and the closing quotes after it
    while (right < chars.length && CLOSERS.includes(chars[right])) right++;
  }
  let before = chars.slice(left, from), after = chars.slice(to, right);
  before = (before.length > CONTEXT ? "…" : "") + before.slice(-CONTEXT).join("");
  after = after.slice(0, CONTEXT).join("") + (after.length > CONTEXT ? "…" : "");
  return [before, after];
}

/** The quote, highlighted in its sentence, and where it comes from. */
function evidenceBlock(q, source) {
  const block = document.createElement("blockquote");
  if (q.from) {
    block.dataset.start = q.from.value;
    block.dataset.end = q.to.value;
  }
  block.dataset.source = q.source.value;
  const from = q.from ? Number(q.from.value) : -1, to = q.to ? Number(q.to.value) : -1;
  // A cited source has no text in the graph (source.chars is null): its quote stands alone.
  const [before, after] = q.from ? inSentence(source && source.chars, from, to, q.quote.value) : ["", ""];
  const sentence = document.createElement("div");
  sentence.className = "sentence";
  const mark = document.createElement("mark");
  mark.textContent = q.quote.value;
  if (before) sentence.appendChild(document.createTextNode(before));
  sentence.appendChild(mark);
  if (after) sentence.appendChild(document.createTextNode(after));
  block.appendChild(sentence);
  const cite = document.createElement("div");
  cite.className = "cite";
  const parts = [];
  if (source) {
    if (source.title) parts.push("《" + source.title + "》");
    if (source.publisher) parts.push(source.publisher);
    parts.push(source.date || WORDS.noDate);
  }
  if (q.from) parts.push(WORDS.offsets.replace("{a}", q.from.value).replace("{b}", q.to.value));
  // How a cited quote was checked, its sha256 shortened as git shortens a commit's.
  if (q.check) parts.push(q.check.value.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/, "$1…"));
  cite.textContent = parts.join(" · ") + " · ";
  if (source && /^https?:\/\//i.test(source.url)) {
    const a = document.createElement("a");
    a.href = source.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = WORDS.original;
    cite.appendChild(a);
  } else {
    cite.appendChild(document.createTextNode(WORDS.noUrl));
  }
  block.appendChild(cite);
  return block;
}

show().catch((e) => status(String(e), true));
