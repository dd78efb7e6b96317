/* spillover serve: helpers shared by every page (API calls, numbers, figures). */
"use strict";

window.spill = (function () {
  /** Call the JSON API; resolves to {ok, status, data}. */
  async function api(method, url, body) {
    const opts = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, opts);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "the server cannot be reached" } };
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = { detail: text }; }
    return { ok: res.ok, status: res.status, data: data };
  }

  /** One readable line from an error answer. */
  function detail(data) {
    const d = data && data.detail !== undefined ? data.detail : data;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) {
      return d.map(function (e) { return (e.loc ? e.loc.filter(function (x) { return x !== "body"; }).join(".") + ": " : "") + e.msg; }).join("; ");
    }
    if (d && d.message) return d.message;
    return JSON.stringify(d);
  }

  /** A probability as the report writes it: 0.372 -> "37". */
  function pctNumber(p) {
    const x = p * 100;
    if (x === 0) return "0";
    if (x === 100) return "100";
    if (x < 0.1) return "<0.1";
    if (x > 99.9) return ">99.9";
    if (x < 1 || x > 99) { const t = x.toFixed(1); return t.endsWith(".0") ? t.slice(0, -2) : t; }
    return String(Math.round(x));
  }
  function pct(p) { return p === null || p === undefined || Number.isNaN(p) ? "—" : pctNumber(p) + "%"; }

  /** A number with about three significant digits and thousands separators. */
  function num(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    if (x === 0) return "0";
    const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
    return x.toLocaleString("en-US", { maximumFractionDigits: Math.min(digits, 6), minimumFractionDigits: 0 });
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function (kv) { e.setAttribute(kv[0], kv[1]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  let templateCache = null;
  function template() {
    if (templateCache === null) {
      const node = document.getElementById("plotly-template");
      templateCache = node ? JSON.parse(node.textContent) : {};
    }
    return templateCache;
  }

  /** Words of `text` in lines of at most `width` characters. */
  function wrapWords(text, width) {
    const lines = [];
    let line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) lines.push(line);
    return lines;
  }

  /** Plotly never wraps a title: one longer than the figure is cut off at its edge. Break it
   * into lines that fit the node's width, and make room for them above the legend. */
  function fitTitle(layout, width) {
    const title = typeof layout.title === "string" ? { text: layout.title } : layout.title;
    if (!title || !title.text || !width || title.text.indexOf("<br>") >= 0) return;
    const margin = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, layout.margin || {});
    const size = (title.font && title.font.size) || 17;
    const left = title.xref === "paper" ? margin.l : 0;
    const room = width - left - (title.xref === "paper" ? margin.r : 0) - 8;
    const perLine = Math.max(10, Math.floor(room / (size * 0.62)));
    const lines = wrapWords(title.text, perLine);
    if (lines.length < 2) return;
    const lineHeight = Math.ceil(size * 1.3);
    const extra = (lines.length - 1) * lineHeight;
    layout.title = Object.assign({}, title, { text: lines.join("<br>") });
    layout.margin = Object.assign({}, margin, { t: margin.t + extra });
    if (layout.height) {
      // Plotly anchors a title of several lines by its first line: put that line's bottom where
      // the last one must end less the added lines, so the last ends 38 px above the plot (the
      // legend, about 30 px high, sits between).
      layout.height += extra;
      const firstBottom = margin.t - 38;
      Object.assign(layout.title, { yref: "container", yanchor: "bottom", y: 1 - firstBottom / layout.height });
    }
  }

  /** Draw a plotly figure ({data, layout}) into a node. */
  function draw(target, fig) {
    if (!window.Plotly) return null;
    const layout = Object.assign({}, fig.layout || {});
    layout.template = template();
    layout.autosize = true;
    delete layout.width;
    fitTitle(layout, target.clientWidth);
    return window.Plotly.newPlot(target, fig.data || [], layout,
      { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] });
  }

  function drawEmbedded() {
    document.querySelectorAll('script[type="application/json"][data-figure]').forEach(function (s) {
      const target = document.getElementById(s.dataset.figure);
      if (target) draw(target, JSON.parse(s.textContent));
    });
  }

  document.addEventListener("DOMContentLoaded", drawEmbedded);
  return { api: api, detail: detail, pct: pct, pctNumber: pctNumber, num: num, el: el, draw: draw };
})();
