// knob dashboard: renders the dashboard API's JSON (launcher/dashboard/
// dashboard_routes.h) as plain DOM and SVG, with no library and no network but
// its own server (or, in a report, the answers embedded in the page). Every
// string from a study goes in through textContent or setAttribute, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const STATE_COLORS = { COMPLETE: "#1f77b4", PRUNED: "#ff7f0e", FAIL: "#d62728", RUNNING: "#2ca02c", WAITING: "#9e9e9e" };
  const POLL_MS = 2000;
  const TABLE_PAGE = 500;
  const DRAW_LIMIT = 2000;  // marks per plot; a bigger study draws its best and an even spread
  const LINE_LIMIT = 1000;  // lines per plot (intermediate values, parallel coordinates)

  // ---- where the data comes from: the server, or the report's embedded answers
  const reportNode = document.getElementById("knob-report");
  const REPORT = reportNode ? JSON.parse(reportNode.textContent) : null;

  async function api(path) {
    if (REPORT) {
      if (Object.prototype.hasOwnProperty.call(REPORT, path)) return REPORT[path];
      throw new Error("not in this report: " + path);
    }
    const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
    return body;
  }

  // ---- small DOM helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "on") for (const [event, f] of Object.entries(v)) node.addEventListener(event, f);
      else if (v !== undefined && v !== null) node.setAttribute(k, v);
    }
    for (const child of children) append(node, child);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const title = (text) => svg("title", {}, text);

  function num(v) {
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return v === null || v === undefined ? NaN : Number(v);
  }
  function fmt(v) {
    if (typeof v === "number") {
      if (!isFinite(v)) return String(v);
      const a = Math.abs(v);
      return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
    }
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  }
  function parseTime(text) {
    if (!text) return NaN;
    return Date.parse(text.replace(" ", "T"));
  }

  // ---- scales and axes
  function extent(values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) if (isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (lo === Infinity) return [0, 1];
    if (lo === hi) return [lo - (lo === 0 ? 1 : Math.abs(lo) * 0.1), hi + (hi === 0 ? 1 : Math.abs(hi) * 0.1)];
    return [lo, hi];
  }
  function scale(domain, range, log) {
    const [d0, d1] = log ? domain.map(Math.log) : domain;
    const [r0, r1] = range;
    const f = (v) => r0 + ((log ? Math.log(v) : v) - d0) / (d1 - d0 || 1) * (r1 - r0);
    f.domain = domain; f.log = log;
    return f;
  }
  function ticks(domain, log, count) {
    const out = [];
    if (log && domain[0] > 0) {
      for (let e = Math.floor(Math.log10(domain[0])); e <= Math.ceil(Math.log10(domain[1])); e++) {
        const v = Math.pow(10, e);
        if (v >= domain[0] * 0.999 && v <= domain[1] * 1.001) out.push(v);
      }
      if (out.length >= 2) return out;
    }
    const step = (domain[1] - domain[0]) / (count || 5);
    for (let i = 0; i <= (count || 5); i++) out.push(domain[0] + i * step);
    return out;
  }
  const MARGIN = { left: 56, right: 16, top: 12, bottom: 34 };
  function frame(width, height, x, y, xLabel, yLabel, categories) {
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    const axis = svg("g", { class: "axis" });
    axis.appendChild(svg("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: height - MARGIN.bottom, y2: height - MARGIN.bottom }));
    axis.appendChild(svg("line", { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: height - MARGIN.bottom }));
    const xs = categories ? categories.map((c, i) => [i, c]) : ticks(x.domain, x.log).map((t) => [t, fmt(t)]);
    for (const [t, label] of xs)
      axis.appendChild(svg("text", { x: x(t), y: height - MARGIN.bottom + 14, "text-anchor": "middle" }, String(label)));
    for (const t of ticks(y.domain, y.log))
      axis.appendChild(svg("text", { x: MARGIN.left - 4, y: y(t) + 4, "text-anchor": "end" }, fmt(t)));
    axis.appendChild(svg("text", { x: (MARGIN.left + width - MARGIN.right) / 2, y: height - 4, "text-anchor": "middle" }, xLabel));
    axis.appendChild(svg("text", { x: 12, y: MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2, transform: `rotate(-90 12 ${MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2})`, "text-anchor": "middle" }, yLabel));
    root.appendChild(axis);
    return root;
  }
  function colorRamp(t) {
    // blue (0, good) to yellow (1, bad), as a viridis-like ramp
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const p = Math.max(0, Math.min(1, t)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(p)), f = p - i;
    const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  // ---- the study being shown, merged from polls
  const model = { id: null, header: null, params: {}, trials: new Map(), cursor: null, heartbeats: {}, importance: {}, objective: 0 };

  function mergeStudy(body) {
    let changed = !body.incremental;
    if (!body.incremental) model.trials = new Map();
    model.header = body.study;
    for (const [name, d] of Object.entries(body.params)) if (!model.params[name]) { model.params[name] = d; changed = true; }
    for (const t of body.trials) {
      const old = model.trials.get(t.number);
      if (!old || JSON.stringify(old) !== JSON.stringify(t)) { model.trials.set(t.number, t); changed = true; }
    }
    const after = Math.max(model.cursor ? model.cursor.after : -1, body.cursor.after);
    const open = [];
    for (const t of model.trials.values()) if (t.state === "RUNNING" || t.state === "WAITING") open.push(t.id);
    model.cursor = { after, open };
    if (JSON.stringify(model.heartbeats) !== JSON.stringify(body.heartbeats)) changed = true;
    model.heartbeats = body.heartbeats;
    return changed;
  }

  const directions = () => (model.header && model.header.directions) || ["minimize"];
  const sortedTrials = () => Array.from(model.trials.values()).sort((a, b) => a.number - b.number);
  const valueOf = (t, k) => (t.values ? num(t.values[k === undefined ? model.objective : k]) : NaN);
  const completeTrials = () => sortedTrials().filter((t) => t.state === "COMPLETE" && isFinite(valueOf(t)));
  const minimizing = () => directions()[model.objective] !== "maximize";
  function distributionOf(name) { return model.params[name] || { type: "float", low: 0, high: 1 }; }
  function paramPosition(name, value) {
    const d = distributionOf(name);
    if (d.type === "categorical") {
      const i = d.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(value));
      return i;
    }
    return Number(value);
  }
  function paramScale(name, range) {
    const d = distributionOf(name);
    if (d.type === "categorical") return scale([-0.5, d.choices.length - 0.5], range, false);
    return scale(d.low === d.high ? [d.low - 1, d.high + 1] : [d.low, d.high], range, !!d.log && d.low > 0);
  }
  const trialLink = (n) => `#/study/${model.id}/trial/${n}`;

  // At most `limit` of `trials` (in their order): the best tenth of the limit by
  // value, and the rest evenly spread over the list.
  function drawable(trials, limit) {
    if (trials.length <= limit) return trials;
    const sign = minimizing() ? 1 : -1;
    const ranked = trials.filter((t) => isFinite(valueOf(t))).sort((a, b) => sign * (valueOf(a) - valueOf(b)));
    const keep = new Set(ranked.slice(0, Math.floor(limit / 10)));
    const step = trials.length / (limit - keep.size);
    for (let i = 0; i < trials.length && keep.size < limit; i += step) keep.add(trials[Math.floor(i)]);
    return trials.filter((t) => keep.has(t));
  }
  function drawnNote(shown, total) {
    return shown < total ? el("p", { class: "note drawn" }, `Drawing ${shown} of ${total} trials: the best and an even spread (the table has them all).`) : null;
  }

  function section(name, heading, answers, ...content) {
    return el("section", { class: "view", "data-view": name }, el("h2", {}, heading), el("p", { class: "answers" }, answers), ...content);
  }
  function point(cx, cy, t, text, extra) {
    const c = svg("circle", Object.assign({ class: "pt", cx, cy, r: 3.5, fill: STATE_COLORS[t.state], "data-trial": t.number }, extra || {}), title(text));
    c.addEventListener("click", () => { location.hash = trialLink(t.number); });
    c.style.cursor = "pointer";
    return c;
  }

  // ---- views
  function summaryView() {
    const counts = {};
    for (const t of model.trials.values()) counts[t.state] = (counts[t.state] || 0) + 1;
    const best = bestText();
    const samplers = new Set(sortedTrials().map((t) => t.sampler && (t.sampler.name || t.sampler)).filter(Boolean).map(String));
    return section("summary", "Study " + model.header.name, "Where the study stands: trials by state and the best so far.",
      el("table", { class: "kv" },
        el("tr", {}, el("td", {}, "directions"), el("td", {}, directions().join(", "))),
        el("tr", {}, el("td", {}, "trials"), el("td", {}, Object.entries(counts).map(([s, n]) => el("span", { class: "state-" + s }, `${n} ${s}  `)))),
        el("tr", {}, el("td", {}, "best"), el("td", { id: "best" }, best)),
        samplers.size ? el("tr", {}, el("td", {}, "sampler"), el("td", {}, Array.from(samplers).join(", "))) : null));
  }
  function bestText() {
    const done = completeTrials();
    if (!done.length) return "none yet";
    if (directions().length > 1) return paretoFront().length + " trials on the Pareto front";
    const best = done.reduce((a, b) => ((minimizing() ? valueOf(b) < valueOf(a) : valueOf(b) > valueOf(a)) ? b : a));
    return `trial ${best.number} = ${fmt(valueOf(best))} ${JSON.stringify(best.params)}`;
  }

  function historyView() {
    const done = sortedTrials().filter((t) => (t.state === "COMPLETE") && isFinite(valueOf(t)));
    const W = 900, H = 300;
    const numbers = sortedTrials().map((t) => t.number);
    const x = scale(extent(numbers.length ? numbers : [0, 1]), [MARGIN.left, W - MARGIN.right], false);
    const y = scale(extent(done.map((t) => valueOf(t))), [H - MARGIN.bottom, MARGIN.top], false);
    const root = frame(W, H, x, y, "trial", "objective " + model.objective);
    let best = null;
    const bestPoints = [];
    for (const t of done) {
      const v = valueOf(t);
      if (best === null || (minimizing() ? v < best : v > best)) {
        if (best !== null) bestPoints.push(`${x(t.number)},${y(best)}`);  // a step, not a slope
        best = v;
        bestPoints.push(`${x(t.number)},${y(best)}`);
      }
    }
    if (done.length) bestPoints.push(`${x(done[done.length - 1].number)},${y(best)}`);
    if (bestPoints.length) root.appendChild(svg("polyline", { class: "best", points: bestPoints.join(" ") }, title("best so far")));
    const shown = drawable(done, DRAW_LIMIT);
    for (const t of shown) root.appendChild(point(x(t.number), y(valueOf(t)), t, `trial ${t.number}: ${fmt(valueOf(t))}`));
    return section("history", "Optimization history", "Is the study still improving? Each COMPLETE trial's value, and the best so far (red).",
      drawnNote(shown.length, done.length), root);
  }

  function intermediateView() {
    const all = sortedTrials().filter((t) => t.intermediate.length);
    const withSteps = drawable(all, LINE_LIMIT);
    const W = 900, H = 300;
    const steps = [], values = [];
    for (const t of withSteps) for (const [s, v] of t.intermediate) { steps.push(s); values.push(num(v)); }
    const x = scale(extent(steps), [MARGIN.left, W - MARGIN.right], false);
    const y = scale(extent(values), [H - MARGIN.bottom, MARGIN.top], false);
    const root = frame(W, H, x, y, "step", "intermediate value");
    for (const t of withSteps) {
      const pts = t.intermediate.filter(([, v]) => isFinite(num(v))).map(([s, v]) => `${x(s)},${y(num(v))}`);
      const line = svg("polyline", { class: "line", points: pts.join(" "), stroke: STATE_COLORS[t.state], "data-trial": t.number, "stroke-dasharray": t.state === "PRUNED" ? "4 2" : null },
        title(`trial ${t.number} (${t.state})`));
      line.addEventListener("click", () => { location.hash = trialLink(t.number); });
      root.appendChild(line);
      const last = t.intermediate[t.intermediate.length - 1];
      if (t.state === "PRUNED" && last && isFinite(num(last[1])))
        root.appendChild(svg("text", { class: "pruned-mark", x: x(last[0]) + 2, y: y(num(last[1])) - 2, fill: STATE_COLORS.PRUNED }, "✕"));
    }
    return section("intermediate", "Intermediate values", "How do trials learn, and where were they pruned? One line per trial (dashed: pruned, ✕ where it stopped).",
      legend(), drawnNote(withSteps.length, all.length), withSteps.length ? root : el("p", { class: "note" }, "No trial has reported an intermediate value."));
  }
  function legend() {
    return el("div", { class: "legend" }, Object.entries(STATE_COLORS).map(([s, c]) => el("span", { style: null }, el("b", { class: "state-" + s }, "■ "), s)));
  }

  function paramNames() { return Object.keys(model.params).sort(); }

  function parallelView() {
    const names = paramNames();
    const done = completeTrials();
    const W = Math.max(600, 140 * (names.length + 1)), H = 320, top = 20, bottom = H - 40;
    const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const axes = ["objective"].concat(names);
    const xOf = (i) => 50 + i * (W - 100) / Math.max(1, axes.length - 1);
    const vScale = scale(extent(done.map((t) => valueOf(t))), [bottom, top], false);
    const scales = names.map((n) => paramScale(n, [bottom, top]));
    axes.forEach((name, i) => {
      const g = svg("g", { class: "axis" });
      g.appendChild(svg("line", { x1: xOf(i), x2: xOf(i), y1: top, y2: bottom }));
      g.appendChild(svg("text", { x: xOf(i), y: H - 20, "text-anchor": "middle" }, name));
      const s = i === 0 ? vScale : scales[i - 1];
      const d = i === 0 ? null : distributionOf(name);
      const labels = d && d.type === "categorical" ? d.choices.map((c, k) => [k, fmt(c)]) : ticks(s.domain, s.log, 4).map((t) => [t, fmt(t)]);
      for (const [t, label] of labels) g.appendChild(svg("text", { x: xOf(i) + 4, y: s(t) + 3 }, label));
      root.appendChild(g);
    });
    const [lo, hi] = extent(done.map((t) => valueOf(t)));
    const shown = drawable(done, LINE_LIMIT);
    for (const t of shown) {
      let path = "", open = false;
      axes.forEach((name, i) => {
        const p = i === 0 ? valueOf(t) : (name in t.params ? paramPosition(name, t.params[name]) : NaN);
        const s = i === 0 ? vScale : scales[i - 1];
        if (!isFinite(p) || (i > 0 && p < 0 && distributionOf(name).type === "categorical")) { open = false; return; }
        path += (open ? " L" : " M") + xOf(i) + " " + s(p);
        open = true;
      });
      let rel = (valueOf(t) - lo) / (hi - lo || 1);
      if (!minimizing()) rel = 1 - rel;
      root.appendChild(svg("path", { class: "line", d: path.trim(), stroke: colorRamp(rel), "stroke-opacity": 0.7, "data-trial": t.number }, title(`trial ${t.number}: ${fmt(valueOf(t))}`)));
    }
    return section("parallel", "Parallel coordinates", "Which combinations of values give good trials? One line per COMPLETE trial, coloured by its value (dark: better).",
      drawnNote(shown.length, done.length), names.length ? root : el("p", { class: "note" }, "No parameters."));
  }

  function sliceView() {
    const all = completeTrials(), done = drawable(all, DRAW_LIMIT);
    const y = scale(extent(done.map((t) => valueOf(t))), [220 - MARGIN.bottom, MARGIN.top], false);
    const plots = paramNames().map((name) => {
      const W = 300, H = 220;
      const x = paramScale(name, [MARGIN.left, W - MARGIN.right]);
      const d = distributionOf(name);
      const root = frame(W, H, x, y, name, "objective", d.type === "categorical" ? d.choices.map(fmt) : null);
      root.setAttribute("data-param", name);
      for (const t of done) if (name in t.params) {
        const p = paramPosition(name, t.params[name]);
        if (isFinite(p) && !(d.type === "categorical" && p < 0)) root.appendChild(point(x(p), y(valueOf(t)), t, `trial ${t.number}: ${name}=${fmt(t.params[name])} → ${fmt(valueOf(t))}`));
      }
      return root;
    });
    return section("slice", "Slice plots", "How does the value depend on each parameter alone? One plot per parameter, one point per COMPLETE trial that has it.",
      drawnNote(done.length, all.length), el("div", { class: "grid" }, plots));
  }

  const contourChoice = { x: null, y: null };
  function contourView() {
    const names = paramNames();
    const box = section("contour", "Contour", "Where in two parameters' plane are the good trials? The value interpolated between COMPLETE trials (dark: better).");
    if (names.length < 2) { box.appendChild(el("p", { class: "note" }, "Needs two parameters.")); return box; }
    if (!names.includes(contourChoice.x)) contourChoice.x = names[0];
    if (!names.includes(contourChoice.y) || contourChoice.y === contourChoice.x) contourChoice.y = names.find((n) => n !== contourChoice.x);
    const picker = (axis) => el("select", { id: "contour-" + axis, on: { change: (e) => { contourChoice[axis] = e.target.value; rerender(); } } },
      names.map((n) => { const o = el("option", { value: n }, n); if (n === contourChoice[axis]) o.selected = true; return o; }));
    box.appendChild(el("div", { class: "controls" }, el("label", {}, "x ", picker("x")), el("label", {}, "y ", picker("y"))));
    const W = 520, H = 420, nx = contourChoice.x, ny = contourChoice.y;
    const x = paramScale(nx, [MARGIN.left, W - MARGIN.right]), y = paramScale(ny, [H - MARGIN.bottom, MARGIN.top]);
    const dx = distributionOf(nx), dy = distributionOf(ny);
    const root = frame(W, H, x, y, nx, ny, dx.type === "categorical" ? dx.choices.map(fmt) : null);
    const pts = drawable(completeTrials(), DRAW_LIMIT).filter((t) => nx in t.params && ny in t.params)
      .map((t) => ({ t, px: x(paramPosition(nx, t.params[nx])), py: y(paramPosition(ny, t.params[ny])), v: valueOf(t) }))
      .filter((p) => isFinite(p.px) && isFinite(p.py));
    const [lo, hi] = extent(pts.map((p) => p.v));
    const cells = svg("g", { class: "cells" });
    if (pts.length >= 2) {
      const N = 24, cw = (W - MARGIN.left - MARGIN.right) / N, ch = (H - MARGIN.top - MARGIN.bottom) / N;
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
        const cx = MARGIN.left + (i + 0.5) * cw, cy = MARGIN.top + (j + 0.5) * ch;
        let sw = 0, sv = 0;
        for (const p of pts) {
          const d2 = (p.px - cx) ** 2 + (p.py - cy) ** 2 + 1e-6, w = 1 / (d2 * d2);
          sw += w; sv += w * p.v;
        }
        let rel = (sv / sw - lo) / (hi - lo || 1);
        if (!minimizing()) rel = 1 - rel;
        cells.appendChild(svg("rect", { class: "cell", x: MARGIN.left + i * cw, y: MARGIN.top + j * ch, width: cw + 0.5, height: ch + 0.5, fill: colorRamp(rel), "fill-opacity": 0.85 }));
      }
    }
    root.appendChild(cells);
    for (const p of pts) root.appendChild(point(p.px, p.py, p.t, `trial ${p.t.number}: ${nx}=${fmt(p.t.params[nx])}, ${ny}=${fmt(p.t.params[ny])} → ${fmt(p.v)}`, { fill: "#fff", stroke: "#000" }));
    box.appendChild(root);
    return box;
  }

  function importanceView() {
    const box = section("importance", "Parameter importance", "Which parameters matter? Each one's share of the value's variance (fANOVA over a random forest, as Optuna 3.1's default).");
    const result = model.importance[model.objective];
    if (!result) { box.appendChild(el("p", { class: "note", id: "importance-pending" }, "Computing…")); return box; }
    if (!result.importances.length) { box.appendChild(el("p", { class: "note" }, result.note || "Not enough trials yet.")); return box; }
    const W = 700, rowH = 22, H = 20 + rowH * result.importances.length;
    const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    result.importances.forEach((p, i) => {
      const w = (W - 260) * p.importance;
      root.appendChild(svg("text", { x: 150, y: 16 + i * rowH + 10, "text-anchor": "end" }, p.param));
      root.appendChild(svg("rect", { class: "bar", x: 156, y: 10 + i * rowH, width: Math.max(1, w), height: rowH - 6, fill: "#3949ab", "data-param": p.param }, title(`${p.param}: ${p.importance.toFixed(3)}`)));
      root.appendChild(svg("text", { x: 160 + w, y: 16 + i * rowH + 10 }, p.importance.toFixed(3)));
    });
    box.appendChild(root);
    return box;
  }

  function edfView() {
    const values = completeTrials().map((t) => valueOf(t)).sort((a, b) => a - b);
    const W = 900, H = 260;
    const x = scale(extent(values), [MARGIN.left, W - MARGIN.right], false), y = scale([0, 1], [H - MARGIN.bottom, MARGIN.top], false);
    const root = frame(W, H, x, y, "objective " + model.objective, "fraction of trials ≤ value");
    if (values.length) {
      let d = `M ${x(values[0])} ${y(0)}`;
      values.forEach((v, i) => { d += ` L ${x(v)} ${y(i / values.length)} L ${x(v)} ${y((i + 1) / values.length)}`; });
      root.appendChild(svg("path", { class: "line edf", d, stroke: "#3949ab" }, title(`${values.length} COMPLETE trials`)));
    }
    return section("edf", "Empirical distribution", "How likely is a trial to reach a given value? The fraction of COMPLETE trials at or below each value.", root);
  }

  function timelineView() {
    const started = sortedTrials().filter((t) => t.start);
    const runs = started.slice(-3 * DRAW_LIMIT / 2);  // the newest
    const now = Date.now();
    const starts = runs.map((t) => parseTime(t.start)), ends = runs.map((t) => (t.complete ? parseTime(t.complete) : Math.max(parseTime(t.start), now)));
    const lanes = Array.from(new Set(runs.map((t) => (t.worker ? t.worker + " " : "") + (t.slot || "-")))).sort();
    const W = 900, laneH = 18, H = MARGIN.top + MARGIN.bottom + laneH * Math.max(1, lanes.length);
    const t0 = Math.min(...starts, Infinity), t1 = Math.max(...ends, -Infinity);
    const x = scale(isFinite(t0) ? [0, Math.max(1, (t1 - t0) / 1000)] : [0, 1], [160, W - MARGIN.right], false);
    const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const axis = svg("g", { class: "axis" });
    for (const t of ticks(x.domain, false)) axis.appendChild(svg("text", { x: x(t), y: H - MARGIN.bottom + 14, "text-anchor": "middle" }, fmt(t) + "s"));
    lanes.forEach((lane, i) => axis.appendChild(svg("text", { x: 156, y: MARGIN.top + i * laneH + 12, "text-anchor": "end" }, lane)));
    root.appendChild(axis);
    runs.forEach((t, k) => {
      const lane = lanes.indexOf((t.worker ? t.worker + " " : "") + (t.slot || "-"));
      const a = (starts[k] - t0) / 1000, b = (ends[k] - t0) / 1000;
      const r = svg("rect", { class: "span", x: x(a), y: MARGIN.top + lane * laneH + 2, width: Math.max(1, x(b) - x(a)), height: laneH - 4, fill: STATE_COLORS[t.state], "data-trial": t.number },
        title(`trial ${t.number} (${t.state}) on ${t.slot || "-"}: ${fmt(b - a)} s`));
      r.addEventListener("click", () => { location.hash = trialLink(t.number); });
      root.appendChild(r);
    });
    return section("timeline", "Timeline", "Were the slots kept busy? Each trial from start to end, one lane per worker and slot; gaps are idle slots.", legend(),
      runs.length < started.length ? el("p", { class: "note drawn" }, `The newest ${runs.length} of ${started.length} trials.`) : null, root);
  }

  function workersView() {
    const workers = new Map();
    for (const t of model.trials.values()) {
      if (t.state !== "RUNNING") continue;
      const name = t.worker || "(command line)";
      const w = workers.get(name) || { trials: [], beat: null };
      w.trials.push(t);
      const age = model.heartbeats[String(t.number)];
      if (age !== undefined && (w.beat === null || age < w.beat)) w.beat = age;
      workers.set(name, w);
    }
    const rows = Array.from(workers.entries()).map(([name, w]) => el("tr", { class: "worker-row" }, el("td", {}, name),
      el("td", {}, w.trials.map((t) => el("a", { href: trialLink(t.number) }, `${t.number} (${t.slot || "-"}) `))),
      el("td", {}, w.beat === null ? "-" : w.beat + " s ago")));
    return section("workers", "Live workers", "Who is running what right now, and are they alive? Running trials by worker, with the newest heartbeat.",
      rows.length ? el("table", {}, el("tr", {}, el("th", {}, "worker"), el("th", {}, "running trials (slot)"), el("th", {}, "last heartbeat")), rows)
        : el("p", { class: "note" }, "No trial is running."));
  }

  const tableState = { sort: "number", descending: false, state: "", search: "", page: 0 };
  function tableView() {
    const names = paramNames();
    const k = directions().length;
    let rows = sortedTrials();
    if (tableState.state) rows = rows.filter((t) => t.state === tableState.state);
    if (tableState.search) {
      const needle = tableState.search.toLowerCase();
      rows = rows.filter((t) => Object.entries(t.params).some(([n, v]) => `${n}=${fmt(v)}`.toLowerCase().includes(needle)));
    }
    const key = tableState.sort;
    const keyOf = (t) => (key === "number" ? t.number : key === "state" ? t.state : key.startsWith("value") ? valueOf(t, Number(key.slice(5))) : key === "duration" ? duration(t) : t.params[key.slice(6)]);
    rows.sort((a, b) => {
      const va = keyOf(a), vb = keyOf(b);
      const missingA = va === undefined || (typeof va === "number" && isNaN(va)), missingB = vb === undefined || (typeof vb === "number" && isNaN(vb));
      if (missingA || missingB) return missingA - missingB;
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
      return tableState.descending ? -c : c;
    });
    const header = (label, sortKey) => el("th", { "data-sort": sortKey, on: { click: () => {
      tableState.descending = tableState.sort === sortKey ? !tableState.descending : false; tableState.sort = sortKey; rerender(); } } },
      label + (tableState.sort === sortKey ? (tableState.descending ? " ▼" : " ▲") : ""));
    const pages = Math.max(1, Math.ceil(rows.length / TABLE_PAGE));
    tableState.page = Math.min(tableState.page, pages - 1);
    const shown = rows.slice(tableState.page * TABLE_PAGE, (tableState.page + 1) * TABLE_PAGE);
    const table = el("table", { id: "trials" },
      el("tr", {}, header("#", "number"), header("state", "state"), Array.from({ length: k }, (_, i) => header(k > 1 ? "value " + i : "value", "value" + i)),
        header("duration", "duration"), names.map((n) => header(n, "param:" + n)), el("th", {}, "fail reason")),
      shown.map((t) => el("tr", { class: "trial-row", "data-trial": t.number, on: { click: () => { location.hash = trialLink(t.number); } } },
        el("td", {}, t.number), el("td", { class: "state-" + t.state }, t.state),
        Array.from({ length: k }, (_, i) => el("td", {}, t.values ? fmt(num(t.values[i])) : "")),
        el("td", {}, isFinite(duration(t)) ? fmt(duration(t)) + " s" : ""),
        names.map((n) => el("td", {}, n in t.params ? fmt(t.params[n]) : "")),
        el("td", {}, t.fail_reason || ""))));
    const stateFilter = el("select", { id: "state-filter", on: { change: (e) => { tableState.state = e.target.value; tableState.page = 0; rerender(); } } },
      ["", "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"].map((s) => { const o = el("option", { value: s }, s || "all states"); if (s === tableState.state) o.selected = true; return o; }));
    const search = el("input", { id: "param-search", type: "search", placeholder: "search params (lr=0.01)", value: tableState.search,
      on: { change: (e) => { tableState.search = e.target.value; tableState.page = 0; rerender(); } } });
    const pager = pages > 1 ? el("span", {}, el("button", { on: { click: () => { tableState.page = Math.max(0, tableState.page - 1); rerender(); } } }, "‹"),
      ` page ${tableState.page + 1} of ${pages} `, el("button", { on: { click: () => { tableState.page = Math.min(pages - 1, tableState.page + 1); rerender(); } } }, "›")) : null;
    return section("table", "Trials", "Every trial: sort by a column, filter by state, search the params; click a row for its detail.",
      el("div", { class: "controls" }, stateFilter, search, el("span", { id: "row-count" }, `${rows.length} trials`), pager), table);
  }
  function duration(t) { return t.start && t.complete ? (parseTime(t.complete) - parseTime(t.start)) / 1000 : NaN; }

  function paretoFront() {
    const dirs = directions();
    const done = sortedTrials().filter((t) => t.state === "COMPLETE" && t.values && t.values.every((v) => isFinite(num(v))));
    const better = (a, b) => { let strictly = false; for (let i = 0; i < dirs.length; i++) {
      const va = num(a.values[i]) * (dirs[i] === "maximize" ? -1 : 1), vb = num(b.values[i]) * (dirs[i] === "maximize" ? -1 : 1);
      if (va > vb) return false; if (va < vb) strictly = true; } return strictly; };
    return done.filter((t) => !done.some((o) => better(o, t)));
  }
  function paretoView() {
    const dirs = directions();
    const done = sortedTrials().filter((t) => t.state === "COMPLETE" && t.values && isFinite(num(t.values[0])) && isFinite(num(t.values[1])));
    const front = new Set(paretoFront().map((t) => t.number));
    const W = 600, H = 400;
    const x = scale(extent(done.map((t) => num(t.values[0]))), [MARGIN.left, W - MARGIN.right], false);
    const y = scale(extent(done.map((t) => num(t.values[1]))), [H - MARGIN.bottom, MARGIN.top], false);
    const root = frame(W, H, x, y, `objective 0 (${dirs[0]})`, `objective 1 (${dirs[1]})`);
    const shown = done.length > DRAW_LIMIT ? done.filter((t, i) => front.has(t.number) || i % Math.ceil(done.length / DRAW_LIMIT) === 0) : done;
    for (const t of shown) root.appendChild(point(x(num(t.values[0])), y(num(t.values[1])), t, `trial ${t.number}: ${t.values.map((v) => fmt(num(v))).join(", ")}${front.has(t.number) ? " (front)" : ""}`,
      { fill: front.has(t.number) ? "#c62828" : "#90a4ae" }));
    return section("pareto", "Pareto front", "Which trials trade the objectives off best? Objectives 0 and 1; red trials are on the front.", root);
  }

  // ---- pages
  const main = document.getElementById("main");
  const where = document.getElementById("where");
  const live = document.getElementById("live");
  let route = { page: "studies" }, pollTimer = null, config = { live: !REPORT, study_id: null };

  function parseRoute() {
    const [path, query] = location.hash.replace(/^#/, "").split("?");
    const parts = path.split("/").filter(Boolean);
    const params = new URLSearchParams(query || "");
    if (parts[0] === "study" && parts[1] !== undefined) {
      if (parts[2] === "trial" && parts[3] !== undefined) return { page: "trial", study: Number(parts[1]), trial: Number(parts[3]) };
      return { page: "study", study: Number(parts[1]), only: params.get("view") };
    }
    return { page: "studies" };
  }

  function show(...nodes) {
    main.replaceChildren(...nodes.flat().filter((n) => n));
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
    document.body.dataset.page = route.page;
  }

  async function studiesPage() {
    where.textContent = "studies";
    const body = await api("/api/studies");
    const rows = body.studies.map((s) => el("tr", { class: "study-row", "data-study": s.id },
      el("td", {}, el("a", { href: `#/study/${s.id}` }, s.name)), el("td", {}, s.directions.join(", ")),
      el("td", {}, Object.entries(s.counts).filter(([, n]) => n).map(([st, n]) => el("span", { class: "state-" + st }, `${n} ${st}  `))),
      el("td", {}, s.best ? `${fmt(num(s.best.value))} (trial ${s.best.number})` : (s.front_size !== undefined ? `${s.front_size} on the front` : "-")),
      el("td", {}, s.last_activity || "-")));
    show(section("studies", "Studies", "Every study in this storage: its direction, trials by state, best value and last activity.",
      rows.length ? el("table", { id: "studies" }, el("tr", {}, ["study", "direction", "trials", "best", "last activity"].map((h) => el("th", {}, h))), rows)
        : el("p", { class: "note" }, "This storage has no study.")));
  }

  function studyViews() {
    const views = [["summary", summaryView], ["history", historyView], ["intermediate", intermediateView], ["parallel", parallelView],
      ["slice", sliceView], ["contour", contourView], ["importance", importanceView], ["edf", edfView], ["timeline", timelineView],
      ["workers", workersView], ["table", tableView]];
    if (directions().length > 1) views.splice(2, 0, ["pareto", paretoView]);
    return views.filter(([name]) => !route.only || route.only === name);
  }
  function objectivePicker() {
    if (directions().length < 2) return null;
    return el("div", { class: "controls" }, el("label", {}, "objective ", el("select", { id: "objective", on: { change: (e) => { model.objective = Number(e.target.value); loadImportance(); rerender(); } } },
      directions().map((d, i) => { const o = el("option", { value: i }, `${i} (${d})`); if (i === model.objective) o.selected = true; return o; }))));
  }
  let renderMs = 0;  // what the last drawing of the study took
  function rerender() {
    if (route.page !== "study") return;
    const scrollY = window.scrollY, started = performance.now();
    show(objectivePicker(), studyViews().map(([, view]) => view()));
    window.scrollTo(0, scrollY);
    renderMs = performance.now() - started;
  }
  async function loadImportance() {
    const k = model.objective;
    if (model.importance[k]) return;
    try {
      model.importance[k] = await api(`/api/studies/${model.id}/importance?objective=${k}`);
    } catch (e) {
      model.importance[k] = { importances: [], note: String(e.message || e) };
    }
    rerender();
  }
  async function studyPage() {
    if (model.id !== route.study) {
      Object.assign(model, { id: route.study, header: null, params: {}, trials: new Map(), cursor: null, heartbeats: {}, importance: {}, objective: 0 });
    }
    const body = await api(`/api/studies/${route.study}`);
    mergeStudy(body);
    where.textContent = "study " + model.header.name;
    rerender();
    loadImportance();
    if (config.live) schedulePoll();
  }
  let lastImportanceCount = 0;  // COMPLETE trials when importances were last computed
  function schedulePoll() {
    clearTimeout(pollTimer);
    // A big study takes long to draw: poll less often, so that the page never
    // spends more than a twentieth of the time drawing.
    pollTimer = setTimeout(poll, Math.max(POLL_MS, 20 * renderMs));
  }
  async function poll() {
    if (route.page !== "study" || !model.cursor) return;
    try {
      const c = model.cursor;
      // The server takes at most 1000 open trials; past that, read the study whole.
      const body = await api(c.open.length > 1000 ? `/api/studies/${model.id}`
        : `/api/studies/${model.id}?after=${c.after}&open=${c.open.join(",")}`);
      if (route.page !== "study" || body.study.id !== model.id) return;
      if (mergeStudy(body)) {
        const complete = completeTrials().length;
        if (complete >= lastImportanceCount * 1.2 + 5) { lastImportanceCount = complete; model.importance = {}; loadImportance(); }
        rerender();
      }
      live.textContent = "live · updated " + new Date().toLocaleTimeString();
    } catch (e) {
      live.textContent = "not reachable: " + (e.message || e);
    }
    schedulePoll();
  }

  async function trialPage() {
    where.textContent = `study ${route.study} · trial ${route.trial}`;
    const base = `/api/studies/${route.study}/trials/${route.trial}`;
    const t = await api(base);
    const kv = (obj) => el("table", { class: "kv" }, Object.entries(obj || {}).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, fmt(v)))));
    const steps = t.intermediate_values || [];
    let chart = el("p", { class: "note" }, "No intermediate values.");
    if (steps.length) {
      const W = 700, H = 240;
      const x = scale(extent(steps.map((s) => s[0])), [MARGIN.left, W - MARGIN.right], false);
      const y = scale(extent(steps.map((s) => num(s[1]))), [H - MARGIN.bottom, MARGIN.top], false);
      chart = frame(W, H, x, y, "step", "intermediate value");
      chart.appendChild(svg("polyline", { class: "line", stroke: STATE_COLORS[t.state], points: steps.filter((s) => isFinite(num(s[1]))).map((s) => `${x(s[0])},${y(num(s[1]))}`).join(" ") }));
      for (const s of steps) if (isFinite(num(s[1]))) chart.appendChild(svg("circle", { class: "pt", cx: x(s[0]), cy: y(num(s[1])), r: 3, fill: STATE_COLORS[t.state] }, title(`step ${s[0]}: ${fmt(num(s[1]))}`)));
    }
    const files = [];
    for (const name of t.files || []) {
      try {
        const f = await api(`${base}/files/${name}`);
        files.push(el("h3", {}, name + (f.truncated ? ` (last part of ${f.size} bytes)` : "")), el("pre", { class: "file", "data-file": name }, f.text));
      } catch (e) {
        files.push(el("h3", {}, name), el("p", { class: "note" }, String(e.message || e)));
      }
    }
    show(el("p", {}, el("a", { href: `#/study/${route.study}` }, "← study")),
      section("trial", `Trial ${t.number}`, "Everything about one trial: its params, values, learning curve, attributes, failure and files.",
        el("table", { class: "kv" },
          el("tr", {}, el("td", {}, "state"), el("td", { class: "state-" + t.state }, t.state)),
          el("tr", {}, el("td", {}, "values"), el("td", {}, (t.values || []).map((v) => fmt(num(v))).join(", ") || "-")),
          el("tr", {}, el("td", {}, "started"), el("td", {}, t.datetime_start || "-")),
          el("tr", {}, el("td", {}, "finished"), el("td", {}, t.datetime_complete || "-")),
          el("tr", {}, el("td", {}, "duration"), el("td", {}, t.duration || "-")),
          t.fail_reason ? el("tr", {}, el("td", {}, "fail reason"), el("td", { class: "error", id: "fail-reason" }, t.fail_reason)) : null,
          t.trial_dir ? el("tr", {}, el("td", {}, "folder"), el("td", {}, t.trial_dir)) : null),
        el("h3", {}, "params"), kv(t.params),
        el("h3", {}, "intermediate values"), chart,
        el("h3", {}, "user attributes"), kv(t.user_attrs),
        el("h3", {}, "system attributes"), el("pre", {}, JSON.stringify(t.system_attrs || {}, null, 2)),
        files));
  }

  async function go() {
    clearTimeout(pollTimer);
    route = parseRoute();
    if (route.page === "studies" && config.study_id !== null && config.study_id !== undefined) {
      location.replace(`#/study/${config.study_id}`);
      return;
    }
    try {
      if (route.page === "studies") await studiesPage();
      else if (route.page === "study") await studyPage();
      else await trialPage();
    } catch (e) {
      show(el("p", { class: "error" }, "Could not load: " + (e.message || e)));
    }
  }

  window.addEventListener("error", () => { document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1); });
  window.addEventListener("unhandledrejection", () => { document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1); });
  window.addEventListener("hashchange", go);
  (async () => {
    try { config = await api("/api/config"); } catch (e) { config = { live: !REPORT, study_id: null }; }
    live.textContent = config.live ? "live" : "report (offline)";
    go();
  })();
})();
