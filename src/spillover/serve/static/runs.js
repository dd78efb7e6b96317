/* Runs: tick two runs to compare them side by side. */
"use strict";

(function () {
  const picks = Array.from(document.querySelectorAll("input.pick"));
  const button = document.getElementById("compare");
  const hint = document.getElementById("compare-hint");
  function update() {
    // The list is newest first: A is the older run, B the newer.
    const chosen = picks.filter(function (p) { return p.checked; }).map(function (p) { return p.value; }).reverse();
    button.disabled = chosen.length !== 2;
    hint.textContent = chosen.length === 2 ? "" : "Tick two runs (" + chosen.length + " ticked).";
    document.getElementById("compare-a").value = chosen[0] || "";
    document.getElementById("compare-b").value = chosen[1] || "";
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  update();
})();
