/* Scenarios: upload a YAML file, validate it on the server and show its problems. */
"use strict";

(function () {
  const S = window.spill;
  const form = document.getElementById("upload-form");
  const out = document.getElementById("upload-result");
  const list = document.getElementById("upload-problems");

  // Files still being checked when the page was made: reload once their checks are done.
  async function whenChecked() {
    const r = await S.api("GET", "/api/scenarios");
    if (r.ok && !r.data.some(function (e) { return e.checking; })) { window.location.reload(); return; }
    window.setTimeout(whenChecked, 2000);
  }
  if (document.querySelector(".badge.checking")) window.setTimeout(whenChecked, 2000);
  /** Keep the file's text in this tab for the editor (the server did not save it). */
  async function holdForEditor(file) {
    try {
      window.sessionStorage.setItem("spillover-upload", JSON.stringify({ name: file.name, text: await file.text() }));
      return true;
    } catch (err) {
      return false;
    }
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const file = document.getElementById("upload-file").files[0];
    list.textContent = "";
    if (!file) { out.textContent = "Choose a file first."; return; }
    const body = new FormData();
    body.append("file", file);
    body.append("strict", document.getElementById("upload-strict").checked ? "true" : "false");
    body.append("overwrite", document.getElementById("upload-overwrite").checked ? "true" : "false");
    out.textContent = "Uploading…";
    const r = await S.api("POST", "/api/scenarios/upload", body);
    if (r.status === 201) {
      out.textContent = "Saved as " + r.data.saved + ": valid.";
      window.setTimeout(function () { window.location.reload(); }, 600);
    } else if (r.status === 422 && r.data && r.data.problems) {
      await holdForEditor(file);
      out.textContent = "Not saved: " + r.data.problems.length + " problem(s). ";
      out.appendChild(S.el("a", { href: "/scenarios/new?upload=true", id: "open-upload" }, "Open it in the editor to fix it"));
      r.data.problems.forEach(function (p) {
        const li = S.el("li", { "data-line": String(p.line) });
        li.appendChild(S.el("a", { href: "/scenarios/new?upload=true#line-" + p.line }, "line " + p.line + ", column " + p.col));
        li.appendChild(document.createTextNode(": " + p.message));
        list.appendChild(li);
      });
    } else {
      out.textContent = "Not saved: " + S.detail(r.data);
      if (r.status === 422 && await holdForEditor(file)) {
        out.appendChild(document.createTextNode(" "));
        out.appendChild(S.el("a", { href: "/scenarios/new?upload=true", id: "open-upload" }, "Open it in the editor"));
      }
    }
  });
})();
