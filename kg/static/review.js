// The review page: every draft of one source beside its sentence; accept, edit or reject.
// Then the sentences to look at (a person and an organisation or title, no draft): draft a
// statement from one, or dismiss it.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let state = null, current = 0;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function say(text) { $("status").textContent = text; }

  async function post(path, body) {
    const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                         body: JSON.stringify(body)});
    const text = await response.text();
    if (!response.ok) throw new Error(text.trim());
    return JSON.parse(text);
  }

  const FIELDS = {relation: ["subject", "relation", "object", "value", "start", "end", "date"],
                  membership: ["member", "organization", "role", "start", "end"]};

  function card(draft, index) {
    const box = el("section", "draft");
    box.dataset.index = index;
    box.dataset.key = draft.key;
    const sentence = el("div", "sentence");
    if (draft.before) sentence.appendChild(document.createTextNode(draft.before));
    sentence.appendChild(el("mark", "", draft.quote));
    if (draft.after) sentence.appendChild(document.createTextNode(draft.after));
    box.appendChild(sentence);
    const f = draft.fields;
    box.appendChild(el("p", "summary", draft.kind === "membership"
      ? f.member + " —" + f.role + "→ " + f.organization
      : f.subject + " —" + f.relation + "→ " + (f.object || f.value)));
    box.appendChild(fieldInputs(FIELDS[draft.kind], draft.fields));
    const meta = el("p", "meta", "rule " + draft.rule + " · confidence " + draft.confidence);
    if (draft.new.length) {
      meta.appendChild(el("span", "new", " · new: " + draft.new.join(", ") +
                          " (create it below, or type an existing entity)"));
    }
    for (const flag of draft.flags || []) meta.appendChild(el("span", "new", " · check: " + flag));
    box.appendChild(meta);
    if (draft.decided) {  // decided before (this page, another tab, an earlier session)
      box.classList.add("done");
      box.querySelectorAll("input, select").forEach((field) => { field.disabled = true; });
      box.appendChild(el("p", "decided", "Decided: " + draft.decided));
      return box;
    }
    const actions = el("div", "actions");
    const yes = el("button", "accept", "Accept (a)");
    yes.type = "button";
    yes.addEventListener("click", () => decide(index, "accept"));
    const reason = el("input", "reason");
    reason.placeholder = "why it is not a fact of this text";
    const no = el("button", "reject", "Reject (r)");
    no.type = "button";
    no.addEventListener("click", () => decide(index, "reject"));
    reason.addEventListener("keydown", (ev) => { if (ev.key === "Enter") decide(index, "reject"); });
    actions.append(yes, no, reason);
    box.appendChild(actions);
    return box;
  }

  // The inputs of a fact's fields (a chooser for the relation), filled with *values*.
  function fieldInputs(names, values) {
    const fields = el("div", "fields");
    for (const name of names) {
      const label = el("label", "", name + " ");
      let input;
      if (name === "relation") {
        input = el("select");
        for (const r of state.relations) {
          const option = el("option", "", r);
          option.value = r;
          input.appendChild(option);
        }
      } else {
        input = el("input");
      }
      input.name = name;
      input.value = values[name] || "";
      label.appendChild(input);
      fields.appendChild(label);
    }
    return fields;
  }

  // ---- the sentences to look at ----
  const SHOWN = {people: "people", organizations: "organisations", roles: "titles"};

  function lookCard(sentence, index) {
    const box = el("section", "look");
    box.dataset.index = index;
    box.dataset.key = sentence.key;
    const text = el("div", "sentence");
    for (const part of sentence.parts) {
      if (part.kind) {
        const mark = el("mark", part.kind, part.text);
        mark.title = part.kind;
        text.appendChild(mark);
      } else {
        text.appendChild(document.createTextNode(part.text));
      }
    }
    box.appendChild(text);
    const names = el("p", "names");
    for (const group of Object.keys(SHOWN)) {
      if (!sentence[group].length) continue;
      if (names.childNodes.length) names.appendChild(document.createTextNode(" · "));
      names.appendChild(document.createTextNode(SHOWN[group] + ": "));
      sentence[group].forEach((m, i) => {
        if (i) names.appendChild(document.createTextNode(", "));
        const said = m.refers_to ? m.text + " → " : "";
        names.appendChild(m.id ? el("span", "", said + m.label + " (" + m.id + ")")
                               : el("span", "new", said + (m.refers_to || m.text) + " (new)"));
      });
    }
    box.appendChild(names);
    const actions = el("div", "actions");
    const draft = el("button", "draft-from", "Draft from this sentence (d)");
    draft.type = "button";
    draft.addEventListener("click", () => openForm(box));
    const reason = el("input", "reason");
    reason.placeholder = "why there is nothing to state";
    const dismiss = el("button", "dismiss", "Dismiss (x)");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => dismissLook(box));
    reason.addEventListener("keydown", (ev) => { if (ev.key === "Enter") dismissLook(box); });
    actions.append(draft, dismiss, reason);
    box.appendChild(actions);
    return box;
  }

  function looked(box) { return state.look_at.find((s) => s.key === box.dataset.key); }

  // The form of a statement drafted from a sentence: the sentence as its quote, the first
  // person as subject or member, the first organisation as object or organisation.
  function openForm(box) {
    let form = box.querySelector(".look-form");
    if (!form) {
      const sentence = looked(box);
      const name = (m) => m.id || m.refers_to || m.text;  // the form's value for a name
      const first = (group) => (sentence[group][0] ? name(sentence[group][0]) : "");
      const values = {
        relation: {subject: first("people"), object: first("organizations"),
                   relation: state.relations.includes("worksFor") ? "worksFor" : state.relations[0]},
        membership: {member: first("people"), organization: first("organizations"), role: first("roles")},
      };
      form = el("div", "look-form");
      const label = el("label", "", "quote (shorten it to the words that say the fact) ");
      const quote = el("textarea", "quote");
      quote.rows = 2;
      quote.value = sentence.text;
      label.appendChild(quote);
      form.appendChild(label);
      const kindLabel = el("label", "kind", "what it says ");
      const kind = el("select", "kind-choice");
      for (const [value, shown] of [["relation", "a relation"], ["membership", "a role in an organisation"]]) {
        const option = el("option", "", shown);
        option.value = value;
        kind.appendChild(option);
      }
      kind.value = sentence.roles.length ? "membership" : "relation";
      kindLabel.appendChild(kind);
      form.appendChild(kindLabel);
      let fields = fieldInputs(FIELDS[kind.value], values[kind.value]);
      form.appendChild(fields);
      kind.addEventListener("change", () => {
        const next = fieldInputs(FIELDS[kind.value], values[kind.value]);
        fields.replaceWith(next);
        fields = next;
      });
      const save = el("button", "save", "Save the statement (Enter)");
      save.type = "button";
      save.addEventListener("click", () => draftFrom(box));
      form.appendChild(save);
      form.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && ev.target.tagName !== "BUTTON") { ev.preventDefault(); draftFrom(box); }
      });
      box.appendChild(form);
    }
    const quote = form.querySelector(".quote");
    quote.focus();
    quote.setSelectionRange(quote.value.length, quote.value.length);
  }

  async function draftFrom(box) {
    const form = box.querySelector(".look-form");
    if (!form) return openForm(box);
    try {
      const answer = await post("/api/draft", {key: box.dataset.key, kind: form.querySelector(".kind-choice").value,
                                               quote: form.querySelector(".quote").value, fields: edited(form)});
      const merged = answer.merged && answer.merged.length;
      const said = answer.saved ? "Drafted from the sentence: saved as " + answer.id +
                         (merged ? "; recorded that " + answer.merged.join(", ") + " is that entity" : "")
                       : "Not saved: " + answer.why;
      await load(current);
      say(said + ". " + left());
    } catch (err) {
      say("Not saved: " + err.message);
    }
  }

  async function dismissLook(box) {
    const reason = box.querySelector(".reason");
    if (!reason.value.trim()) {
      reason.focus();
      say("Type the reason there is nothing to state, then Enter.");
      return;
    }
    try {
      const answer = await post("/api/dismiss", {key: box.dataset.key, reason: reason.value});
      await load(current);
      say((answer.saved ? "Dismissed: saved" : "Not saved: " + answer.why) + ". " + left());
    } catch (err) {
      say("Not saved: " + err.message);
    }
  }

  function edited(box) {
    const out = {};
    for (const input of box.querySelectorAll(".fields input, .fields select")) out[input.name] = input.value;
    return out;
  }

  async function decide(index, action) {
    const box = document.querySelector('.draft[data-index="' + index + '"]');
    if (!box || box.classList.contains("done")) return;
    const reason = box.querySelector(".reason").value;
    if (action === "reject" && !reason.trim()) {
      box.querySelector(".reason").focus();
      say("Type the reason for the rejection, then Enter.");
      return;
    }
    try {
      const answer = await post("/api/decide", {key: box.dataset.key, action: action,
                                                fields: edited(box), reason: reason});
      const merged = answer.merged && answer.merged.length;
      const said = answer.saved ? (action === "accept" ? "Accepted: saved as " + answer.id : "Rejected: saved") +
                         (merged ? "; recorded that " + answer.merged.join(", ") + " is that entity" : "")
                       : "Not saved: " + answer.why;
      await load(current);  // decided drafts stay marked; the count is of what is left
      say(said + ". " + left());
      const next = state.drafts.findIndex((d, i) => i > current && !d.decided);
      const first = state.drafts.findIndex((d) => !d.decided);
      move((next >= 0 ? next : first >= 0 ? first : current) - current);
    } catch (err) {
      say("Not saved: " + err.message);
    }
  }

  function items() { return document.querySelectorAll(".draft, .look"); }

  function move(step) {
    const boxes = items();
    if (!boxes.length) return;
    current = Math.max(0, Math.min(boxes.length - 1, current + step));
    boxes.forEach((b, i) => b.classList.toggle("current", i === current));
    boxes[current].scrollIntoView({block: "nearest"});
  }

  document.addEventListener("keydown", (ev) => {
    if (["INPUT", "SELECT", "TEXTAREA"].includes(ev.target.tagName)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const box = items()[current];
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
    else if (box && box.classList.contains("look")) {
      if (ev.key === "d") { ev.preventDefault(); openForm(box); }
      else if (ev.key === "x") { ev.preventDefault(); box.querySelector(".reason").focus(); }
      else if (ev.key === "a" && box.querySelector(".look-form")) draftFrom(box);
    }
    else if (ev.key === "a" && box) decide(Number(box.dataset.index), "accept");
    else if (ev.key === "r" && box) { ev.preventDefault(); box.querySelector(".reason").focus(); }
    else if (ev.key === "e" && box) { ev.preventDefault(); box.querySelector(".fields input").focus(); }
  });

  $("ne-create").addEventListener("click", async () => {
    const entity = {id: $("ne-id").value.trim(), type: $("ne-type").value,
                    labels: {"zh-Hans": $("ne-hans").value.trim(), "zh-Hant": $("ne-hant").value.trim(),
                             "en": $("ne-en").value.trim()},
                    en_source: $("ne-source").value.trim()};
    try {
      const answer = await post("/api/entity", {entity: entity});
      say("Created " + answer.created + "; type it (or any of its names) in a draft, then accept.");
    } catch (err) {
      say("Not created: " + err.message);
    }
  });

  function left() {
    const open = state.drafts.filter((d) => !d.decided).length;
    const look = state.look_at.length ? " " + state.look_at.length + " sentence(s) to look at." : "";
    return open + " draft(s) left to decide, " + (state.drafts.length - open) + " decided." + look;
  }

  async function load(at) {
    const response = await fetch("/api/state");
    state = await response.json();
    $("title").textContent = state.title;
    $("by").textContent = state.by;
    const main = $("drafts");
    main.textContent = "";
    state.drafts.forEach((d, i) => main.appendChild(card(d, i)));
    const looks = $("looks");
    looks.textContent = "";
    state.look_at.forEach((s, i) => looks.appendChild(lookCard(s, state.drafts.length + i)));
    $("look-count").textContent = String(state.look_at.length);
    $("look-at").hidden = !state.look_at.length;
    const newName = (s) => ["people", "organizations", "roles"].some((g) => s[g].some((m) => m.new));
    $("new-entity").hidden = !state.drafts.some((d) => d.new.length) && !state.look_at.some(newName);
    say(left());
    $("left").textContent = String(state.drafts.filter((d) => !d.decided).length);
    current = at === undefined ? Math.max(0, state.drafts.findIndex((d) => !d.decided)) : at;
    move(0);
    document.body.dataset.ready = "1";
  }
  load();
})();
