// app.js - flowopt's dashboard: the runs, and one run's convergence, its
// stabiliser, its samples and its learned density. Plain DOM, no library:
// every value a user or driver wrote goes in as text (textContent), never
// as HTML. Polls every 2 s; reads go through the same JSON routes as any
// driver. Every GET answer carries an ETag and the browser revalidates with
// If-None-Match, so an unchanged answer costs a 304; a poll that finds the
// tags of what the page shows unchanged draws nothing (and leaves a value
// being typed alone).
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVGNS = "http://www.w3.org/2000/svg";
const POLL_MS = 2000;
const MAX_POINTS = 600; // history rows a plot draws at most
let timer = null;
let drawnTag = null; // the tags behind what the page shows

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

async function request(method, path, body) {
  const headers = { "Accept": "application/json" };
  const token = sessionStorage.getItem("flowopt-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) {
    askToken();
    throw new Error("a token is needed");
  }
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) throw new Error((data && data.detail) || ("HTTP " + r.status));
  return { data, tag: r.headers.get("ETag") };
}

const api = async (method, path, body) => (await request(method, path, body)).data;

// Redraw #main with kids, unless a poll finds tag unchanged; what the user
// was typing (and where) survives a redraw.
function draw(tag, poll, kids) {
  if (poll && tag === drawnTag) return false;
  drawnTag = tag;
  const edits = [...document.querySelectorAll("#main input[data-edited]")].map((e) => [e.id, e.value]);
  const focus = document.activeElement && document.activeElement.id;
  $("#main").replaceChildren(...kids());
  for (const [id, v] of edits) {
    const e = document.getElementById(id);
    if (e) { e.value = v; e.dataset.edited = "1"; }
  }
  const f = focus && document.getElementById(focus);
  if (f) f.focus();
  return true;
}

document.addEventListener("input", (ev) => { if (ev.target.id) ev.target.dataset.edited = "1"; });

function askToken() {
  $("#main").replaceChildren();
  $("#token").hidden = false;
  $("#token-input").focus();
}

$("#token").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("flowopt-token", $("#token-input").value);
  $("#token").hidden = true;
  route();
});

function status(text, problem, drawn) {
  const s = $("#status");
  s.textContent = text;
  s.className = problem ? "problem" : "";
  if (drawn !== undefined) s.dataset.drawn = drawn;
}

function fmt(v) {
  return typeof v === "number" ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(5)) : (v === null || v === undefined ? "-" : String(v));
}

// ---- the runs ----

function age(iso) {
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(s)) return "-";
  return s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min`
    : s < 172800 ? `${(s / 3600).toFixed(0)} h` : `${(s / 86400).toFixed(0)} d`;
}

let sortKey = "id", sortUp = true, stateFilter = "", pageAt = 0;
const PAGE = 50; // runs a page of the list shows

// best so far, from a thinned history, as a small line
async function sparkline(id) {
  const s = svg("svg", { class: "spark", viewBox: "0 0 100 20", width: 100, height: 20, role: "img", "aria-label": "best so far" });
  const h = (await api("GET", `/v1/runs/${id}/history?limit=10000&max_points=40`)).steps;
  const v = h.map((r) => r.best_ever).filter(Number.isFinite);
  if (v.length < 2) return s;
  const X = scale(0, v.length - 1, 1, 99), Y = scale(Math.min(...v), Math.max(...v), 19, 1);
  s.append(svg("polyline", { points: v.map((y, i) => `${X(i).toFixed(1)},${Y(y).toFixed(1)}`).join(" "), fill: "none", stroke: "#0969da" }));
  return s;
}

async function showRuns(poll) {
  let runs = [], cursor = null, tags = ["runs", sortKey, sortUp, stateFilter, pageAt];
  do {
    const { data: page, tag } = await request("GET", "/v1/runs?limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    runs = runs.concat(page.runs);
    tags.push(tag);
    cursor = page.next_cursor;
  } while (cursor);
  if (poll && tags.join() === drawnTag) return;
  const key = (r) => sortKey === "best" ? (r.best && r.best.value !== null ? r.best.value : Infinity)
    : sortKey === "told" ? r.counters.told : sortKey === "name" ? r.name : sortKey === "state" ? r.state : r.id;
  runs = runs.filter((r) => !stateFilter || r.state === stateFilter);
  runs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (sortUp ? 1 : -1));
  const total = runs.length;
  pageAt = Math.min(pageAt, Math.max(0, Math.ceil(total / PAGE) - 1));
  runs = runs.slice(pageAt * PAGE, (pageAt + 1) * PAGE);
  const head = el("tr", {}, ...["id", "name", "state", "dim", "told", "failed", "pending", "best", "trend", "stop", "age"].map((k) =>
    el("th", {}, el("button", { on: { click: () => { sortUp = sortKey === k ? !sortUp : true; sortKey = k; showRuns(); } } }, k))));
  const rows = runs.map((r) => el("tr", { "data-run": r.id },
    el("td", {}, el("a", { href: "#/runs/" + r.id }, r.id)),
    el("td", { class: "name" }, r.name),
    el("td", {}, r.state),
    el("td", {}, r.config ? r.config.dim : ""),
    el("td", {}, r.counters.told),
    el("td", {}, r.counters.failed),
    el("td", {}, r.counters.pending),
    el("td", {}, fmt(r.best ? r.best.value : null)),
    el("td", { class: "trend" }),
    el("td", {}, r.stop_reason),
    el("td", { class: "age" }, age(r.created_at))));
  const filter = el("select", { "aria-label": "state", on: { change: (e) => { stateFilter = e.target.value; showRuns(); } } },
    ...["", "active", "paused", "finished", "damaged"].map((s) => { const o = el("option", { value: s }, s || "every state"); if (s === stateFilter) o.selected = true; return o; }));
  const pager = el("p", { class: "pager" },
    el("button", { id: "prev", on: { click: () => { pageAt = Math.max(0, pageAt - 1); showRuns(); } } }, "Previous"),
    ` ${total ? pageAt * PAGE + 1 : 0}-${pageAt * PAGE + runs.length} of ${total} `,
    el("button", { id: "next", on: { click: () => { if ((pageAt + 1) * PAGE < total) pageAt++; showRuns(); } } }, "Next"));
  draw(tags.join(), false, () => [el("h1", {}, "Runs"), filter, el("table", { id: "runs" }, el("thead", {}, head), el("tbody", {}, ...rows)), pager]);
  status(total + " runs");
  for (const r of runs) { // the trends after the table: the list does not wait for them
    const cell = document.querySelector(`tr[data-run="${r.id}"] td.trend`);
    if (cell) cell.replaceChildren(await sparkline(r.id));
  }
}

// ---- one run ----

function scale(lo, hi, a, b) {
  const d = hi - lo || 1;
  return (v) => a + (v - lo) / d * (b - a);
}

function lineChart(id, series, opts) {
  const W = 600, H = 260, P = 36;
  const s = svg("svg", { id, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label });
  const pts = series.flatMap((ser) => ser.points);
  if (!pts.length) return s;
  const ys = pts.map((p) => opts.log ? Math.log10(Math.max(p[1], 1e-300)) : p[1]).filter(Number.isFinite);
  const xs = pts.map((p) => p[0]);
  const X = scale(Math.min(...xs), Math.max(...xs), P, W - 8), Y = scale(Math.min(...ys), Math.max(...ys), H - 24, 8);
  s.append(svg("line", { x1: P, y1: H - 24, x2: W - 8, y2: H - 24, stroke: "#8c959f" }));
  for (const ser of series) {
    const d = ser.points.filter((p) => Number.isFinite(p[1])).map((p) => `${X(p[0]).toFixed(1)},${Y(opts.log ? Math.log10(Math.max(p[1], 1e-300)) : p[1]).toFixed(1)}`).join(" ");
    s.append(svg("polyline", { points: d, fill: "none", stroke: ser.color, "stroke-width": 1.5, class: ser.name }));
  }
  for (const m of opts.marks || []) s.append(svg("line", { x1: X(m), x2: X(m), y1: 8, y2: H - 24, stroke: "#cf222e", "stroke-dasharray": "3 3", class: "mark" }));
  const t = svg("text", { x: P, y: H - 6, "font-size": 11, fill: "#57606a" });
  t.textContent = opts.xlabel;
  s.append(t);
  return s;
}

function scatter(samples, dims, best) {
  const W = 600, H = 260;
  const s = svg("svg", { id: "scatter", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "samples" });
  const told = samples.filter((x) => x.status === "told");
  if (!samples.length) return s;
  const [a, b] = dims;
  const X = scale(Math.min(...samples.map((p) => p.x[a])), Math.max(...samples.map((p) => p.x[a])), 8, W - 8);
  const Y = scale(Math.min(...samples.map((p) => p.x[b])), Math.max(...samples.map((p) => p.x[b])), H - 8, 8);
  const vs = told.map((p) => p.value), lo = Math.min(...vs), hi = Math.max(...vs);
  for (const p of samples) {
    const c = p.status === "told" ? `hsl(${(220 - 220 * (p.value - lo) / ((hi - lo) || 1)).toFixed(0)},70%,45%)` : p.status === "pending" ? "#8c959f" : "#cf222e";
    s.append(svg("circle", { cx: X(p.x[a]).toFixed(1), cy: Y(p.x[b]).toFixed(1), r: p.status === "told" ? 2.5 : 3.5, fill: c, class: p.status }));
  }
  if (best && best.x) s.append(svg("circle", { cx: X(best.x[a]), cy: Y(best.x[b]), r: 6, fill: "none", stroke: "#000", class: "best" }));
  return s;
}

async function heatmap(run, dims, best, modes) {
  const N = 24, W = 600, H = 260;
  const s = svg("svg", { id: "heatmap", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "density" });
  const b = run.config.bounds;
  if (!best || !best.x || !b) return s;
  const [i, j] = dims, lo = (d) => (Array.isArray(b) ? b[d][0] : b.lo), hi = (d) => (Array.isArray(b) ? b[d][1] : b.hi);
  const xs = [];
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
    const x = best.x.slice();
    x[i] = lo(i) + (c + 0.5) * (hi(i) - lo(i)) / N;
    x[j] = lo(j) + (r + 0.5) * (hi(j) - lo(j)) / N;
    xs.push(x);
  }
  const lp = (await api("POST", `/v1/runs/${run.id}/log_prob`, { x: xs })).log_prob;
  const top = Math.max(...lp.filter(Number.isFinite));
  lp.forEach((v, k) => {
    const r = Math.floor(k / N), c = k % N, a = Number.isFinite(v) ? Math.exp(Math.max(v - top, -30)) : 0;
    s.append(svg("rect", { x: c * W / N, y: H - (r + 1) * H / N, width: W / N + 0.5, height: H / N + 0.5, fill: "#0969da", "fill-opacity": a.toFixed(3), class: "cell" }));
  });
  for (const m of modes || []) { // the optima the run holds, where the engine reports them
    const cx = (m.x[i] - lo(i)) / (hi(i) - lo(i)) * W, cy = H - (m.x[j] - lo(j)) / (hi(j) - lo(j)) * H;
    s.append(svg("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 5, fill: "none", stroke: m.state === "active" ? "#cf222e" : "#1a7f37", "stroke-width": 2, class: "mode" }));
  }
  return s;
}

let logScale = false;
let chosen = null; // [run id, x coordinate, y coordinate] the user picked, else the widest two

// A damaged run (its stored state does not load): what it says and what
// still reads; no control, no request that it would refuse.
async function showDamaged(run, drawing) {
  const checkpoints = (await api("GET", `/v1/runs/${run.id}/checkpoints`)).checkpoints || [];
  const page = await api("GET", `/v1/runs/${run.id}/history?limit=10000&max_points=${MAX_POINTS}`);
  const hist = page.steps;
  const c = run.counters;
  draw(drawing, false, () => [
    el("h1", {}, el("span", { id: "run-name" }, run.name || run.id)),
    el("p", { class: "problem", id: "damage", role: "alert" },
      `This run is damaged: ${run.damage}. Its history, samples and checkpoints can still be read (a checkpoint exported and imported makes a new run); it takes no writes, and it can be deleted.`),
    el("p", { class: "muted" }, `${run.id} · damaged · told ${c.told} · failed ${c.failed} · updates ${c.updates}`),
    el("figure", {}, el("figcaption", {}, "Convergence, as far as its history goes"),
      lineChart("convergence", [{ name: "best", color: "#0969da", points: hist.map((h) => [h.evaluations, h.best_ever]) }],
        { label: "convergence", xlabel: "evaluations (best so far)", log: false, marks: [] })),
    el("h2", {}, "Checkpoints"),
    el("table", { id: "checkpoints" }, el("thead", {}, el("tr", {}, el("th", {}, "id"), el("th", {}, "created"), el("th", {}, "bytes"))),
      el("tbody", {}, ...checkpoints.map((k) => el("tr", {}, el("td", {}, k.id), el("td", {}, k.created_at), el("td", {}, k.bytes)))))]);
  status(`${hist.length} updates`, false, hist.length);
}

async function showRun(id, poll) {
  const { data: run, tag } = await request("GET", `/v1/runs/${id}`);
  // a run's answer changes with every ask, tell and update: unchanged, so is the page
  const drawing = ["run", id, tag, logScale, chosen].join();
  if (poll && drawing === drawnTag) return;
  if (run.state === "damaged") return showDamaged(run, drawing);
  // the daemon thins a long history to what a plot can show
  const page = await api("GET", `/v1/runs/${id}/history?limit=10000&max_points=${MAX_POINTS}`);
  const hist = page.steps, rowsAll = page.downsampled_from || hist.length;
  // the latest 2,000 samples (ids count up from 1: the cursor skips the rest)
  const asked = run.counters.asked + (run.counters.observed || 0);
  const after = Math.max(0, asked - 2000);
  const samples = (await api("GET", `/v1/runs/${id}/samples?limit=2000` + (after ? `&cursor=${after}` : ""))).samples;
  const checkpoints = (await api("GET", `/v1/runs/${id}/checkpoints`)).checkpoints || [];
  const best = run.counters.told + (run.counters.observed || 0) > 0
    ? await api("GET", `/v1/runs/${id}/best`) : null;
  const D = run.config.dim;
  const modes = (await api("GET", `/v1/runs/${id}/modes`)).modes;
  // the two coordinates with the largest spread of samples
  const spread = [...Array(D).keys()].map((d) => {
    const v = samples.map((p) => p.x[d]);
    return [d, v.length ? Math.max(...v) - Math.min(...v) : 0];
  }).sort((a, b) => b[1] - a[1]);
  const dims = chosen && chosen[0] === id ? chosen.slice(1) : D > 1 ? [spread[0][0], spread[1][0]] : [0, 0];
  const pick = (axis) => el("select", { id: "dim-" + axis, "aria-label": axis + " coordinate",
    on: { change: () => { chosen = [id, Number($("#dim-x").value), Number($("#dim-y").value)]; showRun(id); } } },
    ...[...Array(D).keys()].map((d) => { const o = el("option", { value: d }, "x" + d); if (d === dims[axis === "x" ? 0 : 1]) o.selected = true; return o; }));
  const marks = hist.filter((h) => (h.events || []).includes("restart") || (h.events || []).includes("rollback")).map((h) => h.evaluations);
  const conv = lineChart("convergence", [
    { name: "best", color: "#0969da", points: hist.map((h) => [h.evaluations, h.best_ever]) },
    { name: "median", color: "#8c959f", points: hist.map((h) => [h.evaluations, h.median]) },
  ], { label: "convergence", xlabel: "evaluations (best so far, median)", log: logScale, marks });
  const klTarget = run.config.optimizer.kl_target;
  const stab = lineChart("stabiliser", [
    { name: "entropy", color: "#1a7f37", points: hist.map((h) => [h.step, h.entropy]) },
    { name: "kl", color: "#bf8700", points: hist.map((h) => [h.step, h.kl]) },
    { name: "kl-target", color: "#d4a72c", points: hist.map((h) => [h.step, klTarget]) },
    { name: "lr", color: "#8250df", points: hist.map((h) => [h.step, h.lr]) },
    { name: "ess", color: "#57606a", points: hist.map((h) => [h.step, h.ess]) },
  ], { label: "stabiliser", xlabel: "updates (entropy, KL and its target, learning rate, ESS)" });
  const problem = el("p", { class: "problem", id: "problem", role: "alert" });
  const patch = async (body) => {
    try { await api("PATCH", `/v1/runs/${id}`, body); problem.textContent = ""; showRun(id); }
    catch (e) { problem.textContent = e.message; }
  };
  const budget = el("input", { id: "budget", type: "number", min: 0, value: run.config.budget, "aria-label": "budget" });
  const target = el("input", { id: "target", type: "number", value: run.config.target === null ? "" : run.config.target, "aria-label": "target" });
  const kl = el("input", { id: "kl-target", type: "number", step: "any", value: klTarget, "aria-label": "kl_target" });
  const controls = el("div", { class: "controls" },
    el("button", { id: "pause", on: { click: () => patch({ state: "paused" }) } }, "Pause"),
    el("button", { id: "resume", on: { click: () => patch({ state: "active" }) } }, "Resume"),
    el("button", { id: "finish", on: { click: () => patch({ state: "finished" }) } }, "Finish"),
    budget, el("button", { id: "set-budget", on: { click: () => patch({ budget: Number(budget.value) }) } }, "Set budget"),
    target, el("button", { id: "set-target", on: { click: () => patch({ target: target.value === "" ? null : Number(target.value) }) } }, "Set target"),
    kl, el("button", { id: "set-kl", on: { click: () => patch({ optimizer: { kl_target: Number(kl.value) } }) } }, "Set KL target"),
    el("label", {}, el("input", { type: "checkbox", id: "log", on: { change: (e) => { logScale = e.target.checked; showRun(id); } } }), " log scale"),
    el("label", {}, " coordinates ", pick("x"), " ", pick("y")));
  if (logScale) controls.querySelector("#log").checked = true;
  const c = run.counters;
  const heat = await heatmap(run, dims, best, modes);
  draw(drawing, false, () => [
    el("h1", {}, el("span", { id: "run-name" }, run.name || run.id)),
    el("p", { class: "muted" }, `${run.id} · ${run.state} · stop ${run.stop_reason} · told ${c.told} · failed ${c.failed} · pending ${c.pending} · updates ${c.updates} · restarts ${c.restarts} · best ${fmt(best ? best.value : null)}`),
    controls, problem,
    el("div", { class: "grid" },
      el("figure", {}, el("figcaption", {}, "Convergence"), conv),
      el("figure", {}, el("figcaption", {}, "Stabiliser"), stab),
      el("figure", {}, el("figcaption", {}, `Samples (x${dims[0]}, x${dims[1]})`), scatter(samples, dims, best)),
      el("figure", {}, el("figcaption", {}, `Density: a slice through the best x (x${dims[0]}, x${dims[1]}), from log_prob; rings: the modes`), heat)),
    el("h2", {}, "Checkpoints"),
    el("table", { id: "checkpoints" }, el("thead", {}, el("tr", {}, el("th", {}, "id"), el("th", {}, "created"), el("th", {}, "bytes"))),
      el("tbody", {}, ...checkpoints.map((k) => el("tr", {}, el("td", {}, k.id), el("td", {}, k.created_at), el("td", {}, k.bytes))))),
    el("h2", {}, "Settings"), el("pre", { id: "settings" }, JSON.stringify(run.config, null, 1))]);
  status(`${rowsAll} updates`, false, hist.length);
  $("#status").dataset.draws = Number($("#status").dataset.draws || 0) + 1;
}

async function route(poll) {
  clearTimeout(timer);
  const m = location.hash.match(/^#\/runs\/([0-9a-f]+)$/);
  try {
    if (m) await showRun(m[1], poll === true); else await showRuns(poll === true);
  } catch (e) {
    status(e.message, true);
  }
  timer = setTimeout(() => route(true), POLL_MS);
}

window.addEventListener("hashchange", route);
route();
