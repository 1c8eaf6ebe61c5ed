// The review page: every draft of one source beside its sentence; accept, edit or reject.
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
    const fields = el("div", "fields");
    for (const name of FIELDS[draft.kind]) {
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
      input.value = draft.fields[name] || "";
      label.appendChild(input);
      fields.appendChild(label);
    }
    box.appendChild(fields);
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

  function move(step) {
    const boxes = document.querySelectorAll(".draft");
    if (!boxes.length) return;
    current = Math.max(0, Math.min(boxes.length - 1, current + step));
    boxes.forEach((b, i) => b.classList.toggle("current", i === current));
    boxes[current].scrollIntoView({block: "nearest"});
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    const box = document.querySelectorAll(".draft")[current];
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
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
    return open + " draft(s) left to decide, " + (state.drafts.length - open) + " decided.";
  }

  async function load(at) {
    const response = await fetch("/api/state");
    state = await response.json();
    $("title").textContent = state.title;
    $("by").textContent = state.by;
    const main = $("drafts");
    main.textContent = "";
    state.drafts.forEach((d, i) => main.appendChild(card(d, i)));
    $("new-entity").hidden = !state.drafts.some((d) => d.new.length);
    say(left());
    $("left").textContent = String(state.drafts.filter((d) => !d.decided).length);
    current = at === undefined ? Math.max(0, state.drafts.findIndex((d) => !d.decided)) : at;
    move(0);
    document.body.dataset.ready = "1";
  }
  load();
})();
