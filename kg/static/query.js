// The query page of `kg serve`: named queries with a form for their parameters, an editor,
// results with entity links by name, downloads and a shareable URL.
"use strict";

const $ = (id) => document.getElementById(id);
$("endpoint").textContent = location.origin + "/sparql";
const editor = CodeMirror.fromTextArea($("query"), { mode: "sparql", lineNumbers: true, matchBrackets: true });
editor.setOption("extraKeys", { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() });
const named = {};
let lastRun = null;  // the text of the last query that answered, for the downloads
let errorMark = null;

function current() { return named[$("named").value]; }
function status(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}
function markError(line) {
  if (errorMark !== null) editor.removeLineClass(errorMark, "wrap", "error-line");
  errorMark = null;
  if (line && line <= editor.lineCount()) {
    errorMark = line - 1;
    editor.addLineClass(errorMark, "wrap", "error-line");
  }
}

/** The header: the question and the parameters the query now has. */
function describe() {
  const q = current();
  const box = $("about");
  box.replaceChildren();
  if (!q) return;
  box.append(q.en + " — " + q.zh);
  const now = KG.params(editor.getValue());
  const shown = Object.keys(q.params).filter((n) => n !== "lang" && n in now);
  if (shown.length) box.append(" (" + shown.map((n) => n + " = " + KG.shown(now[n])).join(", ") + ")");
}

/** The parameter form of a named query (the label language is the select above). */
function buildForm(q) {
  const form = $("params");
  form.replaceChildren();
  const names = Object.keys(q.params).filter((n) => n !== "lang");
  form.hidden = names.length === 0;
  const now = KG.params(editor.getValue());
  for (const name of names) {
    const textual = q.params[name].startsWith('"');
    const label = document.createElement("label");
    label.textContent = name;
    label.htmlFor = "param-" + name;
    const input = document.createElement("input");
    input.id = "param-" + name;
    input.name = name;
    input.value = KG.shown(now[name] || q.params[name]);
    input.dataset.textual = textual ? "1" : "";
    form.append(label, input);
    if (!textual) {  // an entity: look it up by any of its names
      input.placeholder = "an id, or a name to look up";
      input.title = "an entity id (org/baidu) or any of its names (百度, Baidu)";
      const matches = document.createElement("select");
      matches.id = "param-" + name + "-matches";
      matches.hidden = true;
      matches.addEventListener("change", () => {
        if (!matches.value) return;
        input.value = matches.value;
        matches.hidden = true;
        setParam(name, input.value, false);
      });
      form.append(matches);
      input.addEventListener("change", () => lookUp(name, input, matches));
    } else {
      input.addEventListener("change", () => setParam(name, input.value, true));
    }
  }
}

function setParam(name, value, textual) {
  editor.setValue(KG.setParam(editor.getValue(), name, KG.term(value, textual)));
  describe();
  share();
}

/** An entity parameter given by name: the find_entity query lists the candidates. */
async function lookUp(name, input, matches) {
  const value = input.value.trim();
  if (/^(person|org|market|product|role)\/[a-z0-9-]+$/.test(value) || value.startsWith("<") || !named.find_entity) {
    setParam(name, value, false);
    return;
  }
  let text = KG.setParam(named.find_entity.text, "name", KG.quote(value));
  text = KG.setParam(text, "lang", KG.quote($("lang").value));
  const { response, body } = await KG.query(text);
  if (!response.ok) { status(response.status + ": " + body, true); return; }
  const found = new Map();
  for (const b of JSON.parse(body).results.bindings) {
    found.set(b.entity.value, b.label.value);
  }
  matches.replaceChildren();
  const head = document.createElement("option");
  head.value = "";
  head.textContent = found.size ? found.size + " found for “" + value + "” — choose one" : "nothing found for “" + value + "”";
  matches.append(head);
  for (const [iri, label] of found) {
    const option = document.createElement("option");
    option.value = iri.slice(KG.BASE.length);
    option.textContent = label + " — " + option.value;
    matches.append(option);
  }
  matches.hidden = false;
  if (found.size === 1) {
    matches.selectedIndex = 1;
    matches.dispatchEvent(new Event("change"));
  }
}

function choose(name) {
  $("named").value = name;
  const q = current();
  if (q) {
    editor.setValue(KG.setParam(q.text, "lang", KG.quote($("lang").value)));
    buildForm(q);
  } else {
    $("params").hidden = true;
  }
  describe();
}

/** The page's state in its URL: the named query, its parameters, and the text if edited. */
function share() {
  const url = new URLSearchParams();
  const q = current();
  const text = editor.getValue();
  if (q) {
    url.set("query", q.name);
    for (const input of $("params").querySelectorAll("input")) url.set(input.name, input.value);
  }
  url.set("lang", $("lang").value);
  if (!q || text !== formText(q)) url.set("sparql", text);
  history.replaceState(null, "", "?" + url.toString());
  return location.href;
}
function formText(q) {
  let text = KG.setParam(q.text, "lang", KG.quote($("lang").value));
  for (const input of $("params").querySelectorAll("input")) {
    text = KG.setParam(text, input.name, KG.term(input.value, input.dataset.textual === "1"));
  }
  return text;
}

function render(data) {
  const box = $("results");
  box.replaceChildren();
  if ("boolean" in data) { box.textContent = String(data.boolean); return; }
  const vars = data.head.vars;
  const lang = $("lang").value;
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const v of vars) {
    const th = document.createElement("th");
    th.textContent = v;
    if (/Offset$/.test(v)) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = "character offset in the source's clean text";
      th.appendChild(note);
    }
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const b of data.results.bindings) {
    const tr = body.insertRow();
    for (const v of vars) {
      const td = tr.insertCell();
      const cell = b[v];
      if (!cell) continue;
      if (KG.isEntity(cell)) {
        const label = b[v + "Label"] ? b[v + "Label"].value : null;
        const a = KG.entityLink(cell.value, label, lang);
        if (label) a.dataset.named = "1";
        td.appendChild(a);
      } else {
        td.textContent = cell.type === "uri" ? KG.short(cell.value) : cell.value;
      }
    }
  }
  box.appendChild(table);
  return KG.nameLinks(box, lang);
}

async function run() {
  status("running…");
  markError(null);
  share();
  const started = performance.now();
  const text = editor.getValue();
  try {
    const { response, body, errorLine } = await KG.query(text);
    if (!response.ok) {
      $("results").replaceChildren();
      status(response.status + ": " + body, true);
      markError(errorLine);
      return;
    }
    const data = JSON.parse(body);
    await render(data);
    lastRun = text;
    $("csv").disabled = $("json").disabled = !data.results;
    const n = data.results ? data.results.bindings.length : 1;
    const truncated = response.headers.get("X-KG-Truncated") ? " — truncated at the row cap" : "";
    status(n + " result" + (n === 1 ? "" : "s") + " in " + Math.round(performance.now() - started) + " ms" + truncated);
  } catch (e) {
    status(String(e), true);
  }
}

async function download(kind) {
  if (lastRun === null) return;
  const accept = kind === "csv" ? "text/csv" : "application/sparql-results+json";
  const { response, body } = await KG.query(lastRun, accept);
  if (!response.ok) { status(response.status + ": " + body, true); return; }
  const blob = body instanceof Blob ? body : new Blob([body], { type: accept });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = ($("named").value || "query") + "." + kind;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

$("params").addEventListener("submit", (e) => e.preventDefault());  // Enter sets, never reloads
$("run").addEventListener("click", run);
$("csv").addEventListener("click", () => download("csv"));
$("json").addEventListener("click", () => download("json"));
$("share").addEventListener("click", () => {
  const link = share();
  status("this page's link, with the query and its parameters: " + link);
});
$("named").addEventListener("change", () => { choose($("named").value); share(); });
$("lang").addEventListener("change", () => {
  // The user's text stays: only its $lang default changes.
  editor.setValue(KG.setParam(editor.getValue(), "lang", KG.quote($("lang").value)));
  describe();
  share();
});
editor.on("change", () => markError(null));

fetch("/queries").then((r) => r.json()).then((list) => {
  for (const q of list) {
    named[q.name] = q;
    const option = document.createElement("option");
    option.value = q.name;
    option.textContent = q.title;
    $("named").appendChild(option);
  }
  // A shared link: restore the query, its parameters and the text.
  const url = new URLSearchParams(location.search);
  if (["zh-Hans", "zh-Hant", "en"].includes(url.get("lang"))) $("lang").value = url.get("lang");
  if (url.get("query") && named[url.get("query")]) {
    choose(url.get("query"));
    for (const input of $("params").querySelectorAll("input")) {
      if (url.has(input.name)) input.value = url.get(input.name);
    }
    editor.setValue(formText(current()));
  }
  if (url.has("sparql")) editor.setValue(url.get("sparql"));
  describe();
  if (url.has("query") || url.has("sparql")) run();
  document.body.dataset.ready = "1";
});
