/* Explore: lever controls, presets, Run with progress (polling) and Cancel, live claims table. */
"use strict";

(function () {
  const S = window.spill;
  const data = JSON.parse(document.getElementById("explore-data").textContent);
  const form = document.getElementById("explore-form");
  const runBtn = document.getElementById("run");
  const cancelBtn = document.getElementById("cancel");
  const bar = document.getElementById("progress");
  const statusLine = document.getElementById("status");
  const auto = document.getElementById("auto");
  const baseline = document.getElementById("baseline");
  const runsInput = document.getElementById("runs");
  const seedInput = document.getElementById("seed");
  const casesBox = document.getElementById("cases");
  const inputs = Array.from(document.querySelectorAll("[data-lever]"));
  let current = null;
  let startedAt = 0;
  let debounce = null;
  let previous = {};
  // The last paired run (preset + custom): its preset rows are reused while only the levers
  // move, since the preset's runs and draws do not depend on them (same scenario, runs, seed).
  let paired = null;
  let mode = "paired";
  let runKey = "";

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  /** The box's value if it is a whole number in [lo, hi]; else null, saying the range. */
  function wholeNumber(input, label, lo, hi) {
    const text = input.value.trim();
    const value = Number(text);
    const ok = /^-?[0-9]+$/.test(text) && value >= lo && value <= hi;
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    if (ok) return value;
    say(label + " must be a whole number from " + lo.toLocaleString("en-US") + " to " +
      hi.toLocaleString("en-US") + " (got " + (text === "" ? "nothing" : text) + ").", true);
    input.focus();
    return null;
  }

  function leverValues() {
    const out = {};
    inputs.forEach(function (inp) {
      out[inp.dataset.lever] = inp.type === "checkbox" ? (inp.checked ? 1 : 0) : parseFloat(inp.value);
    });
    return out;
  }

  function showValue(inp) {
    const out = document.getElementById("out-" + inp.dataset.lever);
    if (out) out.textContent = parseFloat(inp.value).toFixed(2);
  }

  function setLevers(values) {
    inputs.forEach(function (inp) {
      const v = values[inp.dataset.lever];
      if (v === undefined) return;
      if (inp.type === "checkbox") inp.checked = v >= 0.5; else { inp.value = v; showValue(inp); }
    });
  }

  function markPreset() {
    const now = leverValues();
    document.querySelectorAll("button.preset").forEach(function (b) {
      const p = data.policies.find(function (x) { return x.id === b.dataset.preset; });
      const same = p && Object.keys(now).every(function (k) { return Math.abs((p.levers[k] ?? 0) - now[k]) < 1e-9; });
      b.setAttribute("aria-pressed", same ? "true" : "false");
    });
  }

  function leverMoved() {
    markPreset();
    if (!auto.checked) return;
    clearTimeout(debounce);
    debounce = setTimeout(start, 200);
  }

  inputs.forEach(function (inp) {
    inp.addEventListener("input", function () { showValue(inp); });
    inp.addEventListener("change", leverMoved);
  });
  document.querySelectorAll("button.preset").forEach(function (b) {
    b.addEventListener("click", function () {
      const p = data.policies.find(function (x) { return x.id === b.dataset.preset; });
      if (!p) return;
      setLevers(p.levers);
      leverMoved();
    });
  });
  document.getElementById("scenario").addEventListener("change", function (ev) {
    window.location.assign("/explore?scenario=" + encodeURIComponent(ev.target.value));
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); start(); });
  cancelBtn.addEventListener("click", async function () {
    if (!current) return;
    cancelBtn.disabled = true;
    say("Cancelling after the current chunk…");
    await S.api("POST", "/api/runs/" + encodeURIComponent(current) + "/cancel");
  });

  async function start() {
    // The browser's own check of the boxes only shows a tooltip (and not at all for a rerun
    // started by a lever): say the range in the status line, and send nothing.
    const runs = wholeNumber(runsInput, "Runs", 1, parseInt(form.dataset.maxRuns, 10));
    const seed = runs === null ? null : wholeNumber(seedInput, "Seed", 0, parseInt(form.dataset.maxSeed, 10));
    if (runs === null || seed === null) { form.dataset.state = "invalid"; return; }
    if (current) {
      const old = current;
      current = null;
      await S.api("POST", "/api/runs/" + encodeURIComponent(old) + "/cancel");
    }
    const body = {
      scenario: data.ref, levers: leverValues(), runs: runs, seed: seed,
      compare: baseline.value !== "", baseline: baseline.value || null,
      cases: Boolean(casesBox && casesBox.checked),
    };
    const key = [data.ref, baseline.value, body.runs, body.seed].join("|");
    runKey = key;
    mode = body.compare && paired && paired.key === key ? "reuse" : "paired";
    if (mode === "reuse") body.compare = false;  // only the custom setting needs to run again
    say("Starting…");
    bar.value = 0;
    form.dataset.state = "running";
    const r = await S.api("POST", "/api/runs", body);
    if (!r.ok) {
      form.dataset.state = "failed";
      say("Not started: " + S.detail(r.data), true);
      return;
    }
    current = r.data.id;
    startedAt = performance.now();
    cancelBtn.disabled = false;
    poll(current);
  }

  async function poll(id) {
    if (id !== current) return;
    const r = await S.api("GET", "/api/runs/" + encodeURIComponent(id));
    if (id !== current) return;
    if (!r.ok) { finish("failed"); say("Lost the run: " + S.detail(r.data), true); return; }
    const job = r.data;
    bar.max = job.total;
    bar.value = job.done;
    if (job.state === "queued" || job.state === "running") {
      say(job.state + ": " + job.done.toLocaleString("en-US") + " of " + job.total.toLocaleString("en-US") + " runs");
      setTimeout(function () { poll(id); }, 120);
      return;
    }
    current = null;
    cancelBtn.disabled = true;
    if (job.state === "done") {
      await showResults(job);
    } else if (job.state === "cancelled") {
      finish("cancelled");
      say("Cancelled: no results were written.");
    } else {
      finish("failed");
      say("The run failed: " + (job.error || "unknown error"), true);
    }
  }

  function finish(state) { form.dataset.state = state; }

  async function showResults(job) {
    const base = "/api/runs/" + encodeURIComponent(job.id);
    const got = await Promise.all([S.api("GET", base + "/claims"), S.api("GET", base + "/outcomes")]);
    if (!got[0].ok) { finish("failed"); say(S.detail(got[0].data), true); return; }
    const custom = job.policies[job.policies.length - 1];
    let claims = got[0].data;
    let outcomes = got[1].ok ? got[1].data : [];
    let base0 = job.policies.length > 1 ? job.policies[0] : null;
    if (mode === "paired" && base0) {
      paired = {
        key: runKey, id: job.id, name: base0,
        claims: claims.filter(function (r) { return r.policy === base0; }),
        outcomes: outcomes.filter(function (r) { return r.policy === base0; }),
      };
    } else if (mode === "reuse" && paired) {
      base0 = paired.name;
      claims = claims.concat(paired.claims);
      outcomes = outcomes.concat(paired.outcomes);
    }
    renderClaims(claims, base0, custom);
    renderOutcomes(outcomes, base0, custom);
    await renderCases(job.id, claims, custom);
    const secs = ((performance.now() - startedAt) / 1000).toFixed(1);
    bar.value = bar.max;
    say("Done: " + job.total.toLocaleString("en-US") + " runs in " + secs + " s" +
      (mode === "reuse" ? " (" + paired.name + " from the paired run: same runs and draws)." : "."));
    const link = document.getElementById("result-link");
    link.textContent = "";
    // A lever-only rerun holds the setting alone: its results pair it with the preset's run.
    const pairing = mode === "reuse" ? "?paired=" + encodeURIComponent(paired.id) : "";
    const a = S.el("a", { href: "/runs/" + encodeURIComponent(job.id) + pairing, id: "full-results" },
      "Full results, figures and downloads →");
    link.appendChild(a);
    if (mode === "reuse") {
      link.appendChild(document.createTextNode(" "));
      link.appendChild(S.el("a", { href: "/runs/compare?a=" + encodeURIComponent(paired.id) + "&b=" + encodeURIComponent(job.id), id: "compare-paired" }, "Compare with the paired run →"));
    }
    form.dataset.lastRun = job.id;
    finish("done");
  }

  function setHeaders(table, base0, custom) {
    table.querySelectorAll("th[data-col]").forEach(function (th) {
      th.textContent = th.dataset.col === "custom" ? custom : (base0 || "—");
    });
  }

  function claimCell(td, row) {
    td.textContent = "";
    if (!row) { td.textContent = "—"; td.removeAttribute("data-probability"); return; }
    td.dataset.probability = String(row.probability);
    td.appendChild(document.createTextNode(S.pct(row.probability) + " "));
    td.appendChild(S.el("span", { class: "muted" }, "(" + S.pctNumber(row.lo) + "–" + S.pctNumber(row.hi) + "%)"));
    td.appendChild(S.el("span", { class: "cell-word" }, row.word));
  }

  function renderClaims(rows, base0, custom) {
    const table = document.getElementById("claims-table");
    setHeaders(table, base0, custom);
    table.querySelectorAll("tbody tr[data-claim]").forEach(function (tr) {
      const id = tr.dataset.claim;
      const mine = rows.find(function (r) { return r.claim === id && r.policy === custom; });
      const theirs = base0 ? rows.find(function (r) { return r.claim === id && r.policy === base0; }) : null;
      claimCell(tr.querySelector('td[data-col="custom"]'), mine);
      claimCell(tr.querySelector('td[data-col="baseline"]'), theirs);
      const key = mine ? mine.probability : null;
      tr.classList.toggle("changed", previous[id] !== undefined && previous[id] !== key);
      previous[id] = key;
    });
    table.dataset.updated = String(Date.now());
  }

  /** The custom setting's claims per case (hidden when the run ran no case). */
  async function renderCases(id, claims, custom) {
    const block = document.getElementById("cases-block");
    const r = await S.api("GET", "/api/runs/" + encodeURIComponent(id) + "/cases");
    const rows = r.ok ? r.data.filter(function (x) { return x.policy === custom; }) : [];
    block.hidden = rows.length === 0;
    if (!rows.length) return;
    const names = Array.from(new Set(rows.map(function (x) { return x.case; })));
    const table = document.getElementById("cases-table");
    const head = table.querySelector("thead tr");
    head.textContent = "";
    ["Claim", "as written"].concat(names).forEach(function (n, i) {
      head.appendChild(S.el("th", i ? { class: "num" } : {}, n));
    });
    const body = table.querySelector("tbody");
    body.textContent = "";
    Array.from(new Set(rows.map(function (x) { return x.claim; }))).forEach(function (claim) {
      const tr = S.el("tr", { "data-claim": claim });
      tr.appendChild(S.el("td", {}, claim));
      const mine = claims.find(function (x) { return x.claim === claim && x.policy === custom; });
      tr.appendChild(S.el("td", { class: "num" }, mine ? S.pct(mine.probability) : "—"));
      names.forEach(function (n) {
        const c = rows.find(function (x) { return x.claim === claim && x.case === n; });
        tr.appendChild(S.el("td", { class: "num" }, c ? S.pct(c.probability) : "—"));
      });
      body.appendChild(tr);
    });
  }

  function renderOutcomes(rows, base0, custom) {
    const table = document.getElementById("outcomes-table");
    setHeaders(table, base0, custom);
    const body = table.querySelector("tbody");
    body.textContent = "";
    const quantities = [];
    rows.forEach(function (r) { if (!quantities.includes(r.quantity)) quantities.push(r.quantity); });
    quantities.forEach(function (q) {
      const mine = rows.find(function (r) { return r.quantity === q && r.policy === custom; });
      const theirs = base0 ? rows.find(function (r) { return r.quantity === q && r.policy === base0; }) : null;
      const isShare = q.startsWith("fired.");
      const fmt = function (r) {
        if (!r || r.mean === null) return "—";
        return isShare ? S.pct(r.mean) : S.num(r.mean) + " (" + S.num(r.q05) + " to " + S.num(r.q95) + ")";
      };
      const tr = S.el("tr", { "data-quantity": q });
      tr.appendChild(S.el("td", {}, (mine || theirs).label));
      const tdBase = S.el("td", { class: "num", "data-col": "baseline" }, fmt(theirs));
      const tdMine = S.el("td", { class: "num", "data-col": "custom" }, fmt(mine));
      if (theirs && theirs.mean !== null) tdBase.dataset.mean = String(theirs.mean);
      if (mine && mine.mean !== null) tdMine.dataset.mean = String(mine.mean);
      tr.appendChild(tdBase);
      tr.appendChild(tdMine);
      let diff = "—";
      const td = S.el("td", { class: "num" });
      if (mine && theirs && mine.mean !== null && theirs.mean !== null) {
        const d = mine.mean - theirs.mean;
        diff = isShare ? (d >= 0 ? "+" : "−") + Math.abs(d * 100).toFixed(1) + " pp" : (d >= 0 ? "+" : "−") + S.num(Math.abs(d));
        td.classList.add(d < 0 ? "diff-down" : d > 0 ? "diff-up" : "same");
      }
      td.textContent = diff;
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  markPreset();
})();
