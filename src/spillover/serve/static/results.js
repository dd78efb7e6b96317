/* Results: figures loaded from the API, and the ask-your-own-question box. */
"use strict";

(function () {
  const S = window.spill;
  const holder = document.getElementById("event-figure");
  const runId = holder.dataset.run;
  const base = "/api/runs/" + encodeURIComponent(runId);
  // A setting run alone shown with an earlier paired run's preset: ask for both.
  const pairing = holder.dataset.paired ? "?paired=" + encodeURIComponent(holder.dataset.paired) : "";

  async function figures() {
    const r = await S.api("GET", base + "/figures" + pairing);
    holder.textContent = "";
    if (!r.ok) { holder.appendChild(S.el("p", { class: "error" }, S.detail(r.data))); return; }
    if (r.data.events) S.draw(holder, r.data.events);
    else holder.appendChild(S.el("p", { class: "muted" }, "This scenario has no events."));
    r.data.fans.forEach(function (f, i) {
      const target = document.getElementById("fans-" + f.kind);
      if (!target) return;
      const div = S.el("div", { class: "fig", id: "fan-" + i, "data-series": f.name });
      target.appendChild(div);
      S.draw(div, f.figure);
    });
    document.body.dataset.figures = "drawn";
  }

  const form = document.getElementById("query-form");
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const err = document.getElementById("query-error");
    const table = document.getElementById("query-result");
    err.textContent = "";
    const r = await S.api("POST", base + "/query" + pairing, { expr: document.getElementById("query-expr").value });
    if (!r.ok) {
      table.hidden = true;
      const d = r.data && r.data.detail;
      err.textContent = d && d.caret ? d.caret + "\n" + d.message : S.detail(r.data);
      return;
    }
    const body = table.querySelector("tbody");
    body.textContent = "";
    r.data.forEach(function (row) {
      const tr = S.el("tr");
      tr.appendChild(S.el("td", {}, row.policy));
      tr.appendChild(S.el("td", { class: "num" }, S.pct(row.probability)));
      tr.appendChild(S.el("td", { class: "num" }, S.pctNumber(row.lo) + "–" + S.pctNumber(row.hi) + "%"));
      tr.appendChild(S.el("td", {}, row.word));
      body.appendChild(tr);
    });
    table.hidden = false;
  });

  figures();
})();
