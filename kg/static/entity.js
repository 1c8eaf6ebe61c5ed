// The entity page of `kg serve`: every fact about one entity, each with the quotes that
// state it (the evidence named query), as the graph page's details panel shows them.
"use strict";

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
const id = url.get("id") || "";
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
    status("no entity id given (as in /entity?id=org/baidu)", true);
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
  // Every fact, with its evidence.
  const evidence = queries.find((q) => q.name === "evidence");
  let text = KG.setParam(evidence.text, "entity", "<" + iri + ">");
  text = KG.setParam(text, "lang", KG.quote(lang));
  const facts = await KG.query(text);
  if (!facts.response.ok) { status(facts.response.status + ": " + facts.body, true); return; }
  const grouped = new Map();
  for (const b of JSON.parse(facts.body).results.bindings) {
    const key = [b.direction.value, b.predicate.value, b.other.value].join(" ");
    if (!grouped.has(key)) grouped.set(key, { b, quotes: [] });
    grouped.get(key).quotes.push(b);
  }
  const box = $("facts");
  box.replaceChildren();
  for (const { b, quotes } of grouped.values()) {
    const div = document.createElement("div");
    div.className = "fact";
    const other = KG.isEntity(b.other)
      ? KG.entityLink(b.other.value, b.otherLabel ? b.otherLabel.value : null, lang)
      : document.createTextNode(b.otherLabel ? b.otherLabel.value : b.other.value);
    const relation = document.createElement("span");
    relation.className = "relation";
    relation.textContent = " —" + label(labels, b.predicate.value) + "→ ";
    const self = document.createTextNode($("name").textContent);
    if (b.direction.value === "in") div.append(other, relation, self);
    else div.append(self, relation, other);
    for (const q of quotes) {
      const block = document.createElement("blockquote");
      block.textContent = "“" + q.quote.value + "”";
      const offsets = document.createElement("span");
      offsets.className = "offsets";
      offsets.textContent = " (characters " + q.startOffset.value + "–" + q.endOffset.value + " of the source's clean text)";
      block.appendChild(offsets);
      div.appendChild(block);
    }
    box.appendChild(div);
  }
  await KG.nameLinks(box, lang);
  status(grouped.size + " fact" + (grouped.size === 1 ? "" : "s") + " about " + id + ", each with its evidence");
  document.body.dataset.ready = "1";
}
show().catch((e) => status(String(e), true));
