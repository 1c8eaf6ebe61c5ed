// The query page of `kg serve`: named queries with a form for their parameters, an editor,
// results with entity links by name, downloads and a shareable URL.
"use strict";

const $ = (id) => document.getElementById(id);
$("endpoint").textContent = location.origin + "/sparql";
const editor = CodeMirror.fromTextArea($("query"), { mode: "sparql", lineNumbers: true, matchBrackets: true });
editor.setOption("extraKeys", { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() });
const named = {};
let lastRun = null;  // the text of the results shown, for the downloads; null when none are
let errorMark = null;
// What the page shows and what it runs are kept the same thing:
// - a parameter's text reaches the query only through sync(), which Run and Link await, so a
//   name still being looked up holds the run back, and an answer for an older text is dropped;
// - every change to the text, a parameter, the language or the named query moves `edits` on
//   and clears the results and downloads of the query as it was (forget()); a run whose
//   answer comes back after such a change drops it;
// - each press of Run moves `runs` on: an older run still waiting stops.
let edits = 0;
let runs = 0;
let querying = null;  // the run whose query is on its way, which will say how it ended
const lookups = new WeakMap();  // a parameter input -> {text, promise} of its lookup in flight
const ENTITY_ID = /^(person|org|market|product|role)\/[a-z0-9-]+$/;

function current() { return named[$("named").value]; }

// A parameter's kind, from its default in the query's header (/queries): text where the default
// is a string ("zh-Hans"), a number where it is one (who_was_at's year), optional where it is
// UNDEF (roles' org: every value until one is given), else an entity (an id or a name).
const NUMBER = /^-?\d+(\.\d+)?$/;
function kindOf(q, name) {
  const d = q.params[name];
  return d.startsWith('"') ? "text" : NUMBER.test(d) ? "number" : "entity";
}
function optional(q, name) { return q.params[name] === "UNDEF"; }
// kg.js reads VALUES clauses of terms; an optional parameter's VALUES $name { UNDEF } is read
// and written here.
const UNDEF_CLAUSE = /\bVALUES\s+\$(\w+)\s*\{\s*UNDEF\s*\}/g;
/** The defaults the text binds, {name: term}; "" for a parameter left UNDEF. */
function paramsOf(text) {
  const out = KG.params(text);
  for (const m of text.matchAll(UNDEF_CLAUSE)) if (!(m[1] in out)) out[m[1]] = "";
  return out;
}
/** The text with $name set to term; "" sets an optional parameter back to UNDEF. */
function setParam(text, name, term) {
  if (term === "") return KG.setParam(text, name, "UNDEF");
  text = text.replace(UNDEF_CLAUSE, (all, n) => (n === name ? "VALUES $" + n + " { " + term + " }" : all));
  return KG.setParam(text, name, term);
}
/** An input's value as the term the query text holds ("" for an optional one left empty). */
function termOf(input, value) {
  if (input.dataset.optional === "1" && value.trim() === "") return "";
  return KG.term(value, input.dataset.textual === "1");
}

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

/** The header: the question and the parameters Run would use (the text's, or the form's
 * where it is being edited). */
function describe() {
  const q = current();
  const box = $("about");
  box.replaceChildren();
  if (!q) return;
  box.append(q.en + " — " + q.zh);
  const now = paramsOf(editor.getValue());
  const shown = Object.keys(q.params).filter((n) => n !== "lang" && n in now);
  const value = (n) => {
    const input = $("param-" + n);
    if (!input || input.value === input.dataset.synced) return now[n] === "" ? "any" : KG.shown(now[n]);
    const text = input.value.trim();
    if (text === "" && input.dataset.optional) return "any";
    return input.dataset.textual || input.dataset.number || ENTITY_ID.test(text) || text.startsWith("<")
      ? text : text + " (to be looked up)";
  };
  if (shown.length) box.append(" (" + shown.map((n) => n + " = " + value(n)).join(", ") + ")");
}

/** The parameter form of a named query (the label language is the select above).
 * Each input's data-synced is the text of it that the query text holds; an input whose value
 * differs is being edited, and sync() writes it into the text before anything runs. */
function buildForm(q) {
  const form = $("params");
  form.replaceChildren();
  const names = Object.keys(q.params).filter((n) => n !== "lang");
  form.hidden = names.length === 0;
  const now = paramsOf(editor.getValue());
  for (const name of names) {
    const kind = kindOf(q, name);
    const textual = kind === "text";
    const label = document.createElement("label");
    label.textContent = name;
    label.htmlFor = "param-" + name;
    const input = document.createElement("input");
    input.id = "param-" + name;
    input.name = name;
    input.dataset.optional = optional(q, name) ? "1" : "";
    const term = name in now ? now[name] : input.dataset.optional ? "" : q.params[name];
    input.value = input.dataset.synced = term === "" ? "" : KG.shown(term);
    input.dataset.textual = textual ? "1" : "";
    input.dataset.number = kind === "number" ? "1" : "";
    if (kind === "number") {
      input.inputMode = "numeric";
      input.placeholder = "a number";
    }
    form.append(label, input);
    // Any edit, typed, pasted or composed with an IME, makes the results shown stale.
    const edited = () => {
      forget();
      describe();
      const matches = $(input.id + "-matches");
      if (matches) matches.hidden = true;
    };
    input.addEventListener("input", edited);
    input.addEventListener("compositionend", edited);
    if (kind === "entity") {  // an entity: look it up by any of its names
      input.placeholder = input.dataset.optional ? "any (or an id, or a name to look up)" : "an id, or a name to look up";
      input.title = "an entity id (org/baidu) or any of its names (百度, Baidu)";
      const matches = document.createElement("select");
      matches.id = "param-" + name + "-matches";
      matches.hidden = true;
      matches.addEventListener("change", () => {
        if (!matches.value) return;
        matches.hidden = true;
        apply(input, matches.value);
      });
      form.append(matches);
      input.addEventListener("change", () => settle(input));
    } else {
      input.addEventListener("change", () => settle(input));
    }
  }
}

/** The form's inputs that are not being edited show the values the query text holds. */
function fillForm() {
  const now = paramsOf(editor.getValue());
  for (const input of $("params").querySelectorAll("input")) {
    if (!(input.name in now) || input.value !== input.dataset.synced) continue;
    const shown = now[input.name] === "" ? "" : KG.shown(now[input.name]);
    if (shown !== input.value) input.value = input.dataset.synced = shown;
  }
}

/** Write an input's value into the query text. */
function apply(input, value) {
  if (!input.isConnected) return;  // the form of a query no longer chosen
  input.value = input.dataset.synced = value;
  const text = setParam(editor.getValue(), input.name, termOf(input, value));
  if (text !== editor.getValue()) editor.setValue(text);
  share();
}

/** Bring one input's current text into the query text: "applied"; "stale" when the text
 * changed meanwhile (look again); "blocked" when the user must act (no match, several, an
 * error), which the status and the list of matches say. */
function settle(input) {
  const text = input.value.trim();
  if (input.value === input.dataset.synced) return Promise.resolve("applied");
  const textual = input.dataset.textual === "1";
  if (input.dataset.number === "1" && !NUMBER.test(text)) {
    status(input.name + " takes a number, not “" + text + "”", true);
    return Promise.resolve("blocked");
  }
  if (textual || input.dataset.number === "1" || (text === "" && input.dataset.optional === "1")
      || ENTITY_ID.test(text) || text.startsWith("<") || !named.find_entity) {
    apply(input, textual ? input.value : text);
    return Promise.resolve("applied");
  }
  const pending = lookups.get(input);
  if (pending && pending.text === text) return pending.promise;  // one lookup per text
  const promise = lookUp(input, text).finally(() => {
    if (lookups.get(input) && lookups.get(input).promise === promise) lookups.delete(input);
  });
  lookups.set(input, { text, promise });
  return promise;
}

/** An entity parameter given by name: the find_entity query lists the candidates. */
async function lookUp(input, text) {
  const matches = $(input.id + "-matches");
  if (!text) {
    status("give " + input.name + " an id or a name", true);
    return "blocked";
  }
  const asking = "looking up “" + text + "”…";
  status(asking);
  let query = KG.setParam(named.find_entity.text, "name", KG.quote(text));
  query = KG.setParam(query, "lang", KG.quote($("lang").value));
  let answer;
  try {
    answer = await KG.query(query);
  } catch (e) {
    answer = { error: String(e) };
  }
  // An answer for a text the field no longer shows changes nothing.
  if (!input.isConnected || input.value.trim() !== text) return "stale";
  if (answer.error || !answer.response.ok) {
    status(answer.error || answer.response.status + ": " + answer.body, true);
    return "blocked";
  }
  const found = new Map();
  for (const b of JSON.parse(answer.body).results.bindings) {
    found.set(b.entity.value, b.label.value);
  }
  matches.replaceChildren();
  const head = document.createElement("option");
  head.value = "";
  head.textContent = found.size ? found.size + " found for “" + text + "” — choose one" : "nothing found for “" + text + "”";
  matches.append(head);
  for (const [iri, label] of found) {
    const option = document.createElement("option");
    option.value = iri.slice(KG.BASE.length);
    option.textContent = label + " — " + option.value;
    matches.append(option);
  }
  if (found.size === 1) {
    matches.hidden = true;
    if ($("status").textContent === asking) status("");
    apply(input, matches.options[1].value);
    return "applied";
  }
  matches.hidden = false;
  status(found.size
    ? found.size + " entities are named “" + text + "”: choose one for " + input.name
    : "nothing is named “" + text + "”: give " + input.name + " an id or another name", true);
  return "blocked";
}

/** Bring every input's current text into the query text, waiting for lookups, until the text
 * holds them all (true), the user must act, or `still()` says the caller is no longer wanted. */
async function sync(still) {
  for (;;) {
    const stale = [...$("params").querySelectorAll("input")].filter((i) => i.value !== i.dataset.synced);
    if (!stale.length) return true;
    for (const input of stale) {
      const done = await settle(input);
      if (!still()) return false;
      if (done === "blocked") return false;
    }
  }
}

/** The results shown answer a query the page no longer shows: clear them and their downloads. */
function forget() {
  edits++;
  if (lastRun === null && !$("results").hasChildNodes()) return;
  clearResults();
  if (querying === null) status("");
}
function clearResults() {
  lastRun = null;
  $("results").replaceChildren();
  $("csv").disabled = $("json").disabled = true;
}

function choose(name) {
  runs++;  // a run still waiting for the old form stops
  $("named").value = name;
  const q = current();
  if (q) {
    editor.setValue(KG.setParam(q.text, "lang", KG.quote($("lang").value)));
    buildForm(q);
  } else {
    $("params").replaceChildren();
    $("params").hidden = true;
  }
  forget();
  describe();
}

/** The page's state in its URL: the named query, its parameters, and the text if edited;
 * the parameters as the text holds them (sync() first to include what is being typed). */
function share() {
  const url = new URLSearchParams();
  const q = current();
  const text = editor.getValue();
  if (q) {
    url.set("query", q.name);
    for (const input of $("params").querySelectorAll("input")) url.set(input.name, input.dataset.synced);
  }
  url.set("lang", $("lang").value);
  if (!q || text !== formText(q)) url.set("sparql", text);
  history.replaceState(null, "", "?" + url.toString());
  return location.href;
}
function formText(q) {
  let text = KG.setParam(q.text, "lang", KG.quote($("lang").value));
  for (const input of $("params").querySelectorAll("input")) {
    text = setParam(text, input.name, termOf(input, input.dataset.synced));
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
  const id = ++runs;
  markError(null);
  if (!(await sync(() => id === runs))) return;
  share();
  status("running…");
  const started = performance.now();
  const text = editor.getValue();
  const at = edits;
  const wanted = () => id === runs && at === edits;  // nothing changed since it was sent
  querying = id;
  try {
    const { response, body, errorLine } = await KG.query(text);
    if (querying === id) querying = null;
    if (!wanted()) return dropped(id);
    if (!response.ok) {
      clearResults();
      status(response.status + ": " + body, true);
      markError(errorLine);
      return;
    }
    const data = JSON.parse(body);
    await render(data);
    if (!wanted()) return dropped(id);
    lastRun = text;
    $("csv").disabled = $("json").disabled = !data.results;
    const n = data.results ? data.results.bindings.length : 1;
    const truncated = response.headers.get("X-KG-Truncated") ? " — truncated at the row cap" : "";
    // What `kg query` would warn of (a typo'd term, http://schema.org/, lang() = "zh-Hans").
    const warned = JSON.parse(response.headers.get("X-KG-Warnings") || "[]");
    const warnings = warned.map((w) => " — Warning: " + w).join("");
    status(n + " result" + (n === 1 ? "" : "s") + " in " + Math.round(performance.now() - started) + " ms" + truncated + warnings);
  } catch (e) {
    if (querying === id) querying = null;
    if (wanted()) status(String(e), true);
    else dropped(id);
  }
}
/** A run whose answer came after the query changed: the answer is not shown. */
function dropped(id) {
  if (id !== runs) return;  // a later run says how it went
  clearResults();
  status("");
}

async function download(kind) {
  if (lastRun === null) return;
  const accept = kind === "csv" ? "text/csv" : "application/sparql-results+json";
  const { response, body } = await KG.query(lastRun, accept);  // the query whose results are shown
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
$("share").addEventListener("click", async () => {
  const id = runs;
  if (!(await sync(() => id === runs))) return;
  const link = share();
  status("this page's link, with the query and its parameters: " + link);
});
$("named").addEventListener("change", () => { choose($("named").value); share(); });
$("lang").addEventListener("change", () => {
  // The user's text stays: only its $lang default changes.
  editor.setValue(KG.setParam(editor.getValue(), "lang", KG.quote($("lang").value)));
  share();
});
editor.on("change", () => {
  markError(null);
  forget();
  fillForm();  // an edit of a value in the text shows in the form
  describe();
});

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
    // An id or a name: run() looks names up before it runs.
    for (const input of $("params").querySelectorAll("input")) {
      if (url.has(input.name)) input.value = url.get(input.name);
    }
  }
  if (url.has("sparql")) {
    // The text as it was edited wins: the form shows its values.
    for (const input of $("params").querySelectorAll("input")) input.dataset.synced = input.value;
    editor.setValue(url.get("sparql"));
  }
  describe();
  if (url.has("query") || url.has("sparql")) run();
  document.body.dataset.ready = "1";
});
