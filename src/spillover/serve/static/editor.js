/* Scenario editor: line numbers, validate, save, load a file; problems shown at their lines. */
"use strict";

(function () {
  const S = window.spill;
  const form = document.getElementById("editor-form");
  const text = document.getElementById("scenario-text");
  const gutter = document.getElementById("gutter");
  const nameInput = document.getElementById("file-name");
  const statusLine = document.getElementById("editor-status");
  const list = document.getElementById("problems");
  const annotated = document.getElementById("annotated");
  const maxUpload = parseInt(form.dataset.maxUpload, 10);
  let badLines = new Set();

  function say(msg, isError) {
    statusLine.textContent = msg;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function lines() { return text.value.split("\n"); }

  function renderGutter() {
    const n = lines().length;
    gutter.textContent = "";
    for (let i = 1; i <= n; i++) {
      const span = S.el("span", badLines.has(i) ? { class: "bad", "data-line": String(i) } : {}, String(i));
      gutter.appendChild(span);
      gutter.appendChild(document.createTextNode("\n"));
    }
    text.style.height = "auto";
    text.style.height = text.scrollHeight + "px";
  }

  function offsetOf(line, col) {
    const all = lines();
    let pos = 0;
    for (let i = 0; i < line - 1 && i < all.length; i++) pos += all[i].length + 1;
    return pos + Math.max(0, col - 1);
  }

  function scrollToLine(line) {
    const lineHeight = text.scrollHeight / Math.max(1, lines().length);
    document.getElementById("editor").scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function goTo(line, col) {
    const pos = offsetOf(line, col);
    text.focus({ preventScroll: true });
    text.setSelectionRange(pos, pos + 1);
    scrollToLine(line);
  }

  function showProblems(problems) {
    list.textContent = "";
    annotated.textContent = "";
    badLines = new Set(problems.map(function (p) { return p.line; }));
    const all = lines();
    problems.forEach(function (p) {
      const li = S.el("li", { "data-line": String(p.line), "data-col": String(p.col) });
      const a = S.el("a", { role: "button", tabindex: "0" }, "line " + p.line + ", column " + p.col);
      a.addEventListener("click", function () { goTo(p.line, p.col); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(": " + p.message));
      list.appendChild(li);
      const block = S.el("div", { class: "problem", "data-line": String(p.line) });
      const code = all[p.line - 1] !== undefined ? all[p.line - 1] : "";
      const gutterWidth = String(p.line).length;
      block.appendChild(S.el("div", { class: "where" }, String(p.line) + " | " + code));
      block.appendChild(S.el("div", { class: "caret" }, " ".repeat(gutterWidth) + " | " + " ".repeat(Math.max(0, p.col - 1)) + "^ " + p.message));
      block.style.whiteSpace = "pre";
      annotated.appendChild(block);
    });
    annotated.hidden = problems.length === 0;
    renderGutter();
    if (problems.length) scrollToLine(problems[0].line);
  }

  async function validate() {
    say("Validating…");
    const r = await S.api("POST", "/api/scenarios/validate",
      { text: text.value, file_name: nameInput.value || "scenario.yaml", strict: document.getElementById("strict").checked });
    if (!r.ok) { say(S.detail(r.data), true); return; }
    show(r.data);
  }

  function show(v) {
    showProblems(v.problems || []);
    form.dataset.valid = String(v.valid);
    if (v.valid) {
      const c = v.counts || {};
      say("Valid: " + (c.actors || 0) + " actors, " + (c.transfers || 0) + " transfers, " + (c.indicators || 0) +
        " indicators, " + (c.events || 0) + " events, " + (c.policies || 0) + " policies, " + (c.claims || 0) + " claims.");
    } else {
      const n = (v.problems || []).length;
      say(n + " problem" + (n === 1 ? "" : "s") + ": each is shown at its line below.", true);
    }
  }

  async function save() {
    say("Saving…");
    const r = await S.api("POST", "/api/scenarios", {
      text: text.value, file_name: nameInput.value, strict: document.getElementById("strict").checked,
      overwrite: document.getElementById("overwrite").checked,
    });
    if (r.status === 201) {
      show(r.data);
      say("Saved as " + r.data.saved + ". ");
      statusLine.appendChild(S.el("a", { href: "/scenarios/" + encodeURIComponent(r.data.saved) }, "Open it"));
      statusLine.appendChild(document.createTextNode(" · "));
      statusLine.appendChild(S.el("a", { href: "/explore?scenario=" + encodeURIComponent(r.data.saved) }, "Explore it"));
    } else if (r.status === 422 && r.data && r.data.problems) {
      show(r.data);
      say("Not saved: the scenario has problems (shown at their lines below).", true);
    } else {
      say("Not saved: " + S.detail(r.data), true);
    }
  }

  document.getElementById("load-file").addEventListener("change", function (ev) {
    const file = ev.target.files[0];
    if (!file) return;
    if (file.size > maxUpload) { say("The file is over " + maxUpload + " bytes.", true); return; }
    const reader = new FileReader();
    reader.onload = function () {
      text.value = String(reader.result);
      nameInput.value = file.name;
      validate();
    };
    reader.readAsText(file);
  });
  text.addEventListener("input", function () { renderGutter(); });
  text.addEventListener("keydown", function (ev) {
    if (ev.key === "Tab") {
      ev.preventDefault();
      const s = text.selectionStart;
      text.setRangeText("  ", s, text.selectionEnd, "end");
      renderGutter();
    }
  });
  // Opened from a failed upload: the Scenarios page left the file's text in this tab's
  // session storage (it was not saved on the server); validate it to show its problems.
  async function fromUpload() {
    let held = null;
    try { held = JSON.parse(window.sessionStorage.getItem("spillover-upload") || "null"); } catch (err) { held = null; }
    if (!held || typeof held.text !== "string") {
      say("The uploaded file is no longer held by this browser tab: load it with the file picker above.", true);
      return;
    }
    text.value = held.text;
    nameInput.value = held.name || "uploaded.yaml";
    renderGutter();
    await validate();
    const m = /^#line-([0-9]+)$/.exec(window.location.hash);
    if (m) goTo(parseInt(m[1], 10), 1);
  }

  document.getElementById("validate").addEventListener("click", validate);
  document.getElementById("save").addEventListener("click", save);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); validate(); });
  renderGutter();
  if (form.dataset.fromUpload) fromUpload();
})();
