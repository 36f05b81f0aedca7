// slokit dashboard: a small hand-written app over the JSON API. Every text from the API is set
// with textContent (never innerHTML), so names such as "<script>" render as text.
"use strict";

const $main = () => document.getElementById("main");
const SVGNS = "http://www.w3.org/2000/svg";
let refreshTimer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}
function svg(tag, attrs) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

function token() { return sessionStorage.getItem("slokit-token") || ""; }
async function api(path, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  if (token()) opts.headers["Authorization"] = "Bearer " + token();
  const r = await fetch(path, opts);
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const msg = body && body.error ? body.error.message : r.statusText;
    const err = new Error(msg); err.status = r.status; throw err;
  }
  return body;
}

// --- formatting ---
function pct(x, digits) {
  if (x === null || x === undefined) return "no data";
  const text = (x * 100).toFixed(digits === undefined ? 3 : digits);
  return (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text) + " %";
}
function num(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d === undefined ? 2 : d); }
function when(iso) { return iso ? iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z") : "–"; }
function duration(s) {
  if (s === null || s === undefined) return "–";
  const neg = s < 0; s = Math.abs(s);
  const parts = [];
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) parts.push(d + "d"); if (h) parts.push(h + "h"); if (m || !parts.length) parts.push(m + "m");
  return (neg ? "−" : "") + parts.slice(0, 2).join(" ");
}
// A group's labels as text: {route: "/cart"} -> route="/cart" (values are user data: textContent only).
function groupText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => k + "=" + JSON.stringify(v)).join(", ");
}
function statusBadge(status) {
  return el("span", { class: "badge st-" + status.replace(/\s+/g, "-"), text: status });
}
function fastestBurn(rates) {
  let best = null, label = null;
  for (const [k, v] of Object.entries(rates || {})) if (v !== null && (best === null || v > best)) { best = v; label = k; }
  return { value: best, label };
}
function budgetCell(remaining) {
  const td = el("td", { class: "num" });
  if (remaining === null || remaining === undefined) { td.textContent = "no data"; return td; }
  const width = Math.max(0, Math.min(1, remaining)) * 100;
  const bar = el("span", { class: "bar" + (remaining < 0.25 ? " low" : ""), "aria-hidden": "true" });
  bar.append(el("span", { style: null }));
  bar.firstChild.style.width = width.toFixed(1) + "%";
  td.append(bar, pct(remaining, 1));
  return td;
}

// --- routing: #/ (overview, query in the hash), #/slo/NAME, #/alerts ---
function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  return { path, params: new URLSearchParams(query || "") };
}
function setParams(path, params) {
  const q = params.toString();
  history.replaceState(null, "", "#" + path + (q ? "?" + q : ""));
}
function markNav(which) {
  for (const id of ["nav-overview", "nav-alerts"]) {
    const a = document.getElementById(id);
    if (id === which) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}
async function route() {
  clearInterval(refreshTimer);
  const { path, params } = parseHash();
  try {
    if (path.startsWith("/slo/")) { markNav(null); await sloPage(decodeURIComponent(path.slice(5)), params); }
    else if (path === "/alerts") { markNav("nav-alerts"); await alertsPage(); refreshTimer = setInterval(() => alertsPage(true), 5000); }
    else { markNav("nav-overview"); await overview(params); refreshTimer = setInterval(() => overview(parseHash().params, true), 10000); }
  } catch (e) {
    const parts = [el("p", { class: "error", role: "alert", text: "Could not load: " + e.message })];
    if (e.status === 401) {
      const input = el("input", { id: "read-token", type: "password", autocomplete: "off" });
      parts.push(el("form", { class: "controls", onsubmit: (ev) => { ev.preventDefault(); sessionStorage.setItem("slokit-token", input.value.trim()); route(); } },
        el("label", { for: "read-token" }, "API token", input), el("button", { type: "submit", text: "Use token" })));
    }
    $main().replaceChildren(...parts);
  }
  updateFiring();
}
function showFiring(n) {
  const badge = document.getElementById("firing-count");
  badge.textContent = n ? String(n) : "";
  badge.setAttribute("aria-label", n + " firing");
}
async function updateFiring() {
  try { showFiring((await api("/api/v1/alerts")).firing.length); } catch (e) { /* the page shows errors */ }
}

// --- overview ---
const COLUMNS = [
  ["name", "SLO"], ["service", "Service"], ["sli", "SLI"], ["target", "Target"], ["status", "Status"],
  ["budget", "Budget left"], ["burn", "Fastest burn"], ["alerts", "Alerts"],
];
const STATUS_ORDER = { exhausted: 0, burning: 1, ok: 2, "no data": 3 };
function sortKey(s, col) {
  switch (col) {
    case "name": return (s.display_name || s.name).toLowerCase();
    case "service": return (s.service_display_name || s.service).toLowerCase();
    case "sli": return s.sli === null ? Infinity : s.sli;
    case "target": return s.target === null ? Infinity : s.target;
    case "status": return STATUS_ORDER[s.status] ?? 9;
    case "budget": return s.budget_remaining === null ? Infinity : s.budget_remaining;
    case "burn": { const b = fastestBurn(s.burn_rates).value; return b === null ? -Infinity : b; }
    case "alerts": return s.firing_alerts;
  }
  return 0;
}
let overviewData = null;
async function overview(params, quiet) {
  const data = await api("/api/v1/slos");
  overviewData = data;
  showFiring(data.slos.reduce((n, s) => n + s.firing_alerts, 0));
  const focused = document.activeElement && document.activeElement.id;
  renderOverview(params);
  if (quiet && focused) { const f = document.getElementById(focused); if (f) f.focus(); }
}
function renderOverview(params) {
  const data = overviewData;
  const q = (params.get("q") || "").toLowerCase();
  const service = params.get("service") || "";
  const status = params.get("status") || "";
  const label = params.get("label") || "";
  const sort = params.get("sort") || "budget";
  const dir = params.get("dir") === "desc" ? -1 : 1;
  const services = [...new Set(data.slos.map((s) => s.service))].sort();
  const update = (key, value) => {
    const p = parseHash().params;
    if (value) p.set(key, value); else p.delete(key);
    setParams("/", p);
    renderOverview(p);
  };
  const search = el("input", { id: "search", type: "search", value: params.get("q") || "", placeholder: "name, service, indicator" });
  search.addEventListener("input", () => update("q", search.value));
  const svcSel = el("select", { id: "filter-service" }, el("option", { value: "", text: "all services" }));
  for (const s of services) svcSel.append(el("option", { value: s, text: s, selected: s === service }));
  svcSel.addEventListener("change", () => update("service", svcSel.value));
  const stSel = el("select", { id: "filter-status" }, el("option", { value: "", text: "any status" }));
  for (const s of ["exhausted", "burning", "ok", "no data"]) stSel.append(el("option", { value: s, text: s, selected: s === status }));
  stSel.addEventListener("change", () => update("status", stSel.value));
  const lblIn = el("input", { id: "filter-label", type: "text", value: label, placeholder: "team=orders" });
  lblIn.addEventListener("change", () => update("label", lblIn.value.trim()));

  let rows = data.slos.filter((s) => {
    if (service && s.service !== service) return false;
    if (status && s.status !== status) return false;
    if (label) {
      const [k, v] = label.split("=");
      const vals = (s.labels || {})[k.trim()];
      if (!vals || (v !== undefined && !vals.includes(v.trim()))) return false;
    }
    if (q) {
      const hay = [s.name, s.display_name, s.service, s.service_display_name, s.indicator].join(" ").toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  });
  rows.sort((a, b) => { const x = sortKey(a, sort), y = sortKey(b, sort); return (x < y ? -1 : x > y ? 1 : 0) * dir; });

  const head = el("tr");
  for (const [key, title] of COLUMNS) {
    const active = key === sort;
    const th = el("th", { scope: "col", class: ["sli", "target", "budget", "burn", "alerts"].includes(key) ? "num" : null,
      "aria-sort": active ? (dir === 1 ? "ascending" : "descending") : "none" });
    th.append(el("button", { type: "button", id: "sort-" + key, "data-sort": key, text: title + (active ? (dir === 1 ? " ▲" : " ▼") : ""),
      onclick: () => { const p = parseHash().params; p.set("sort", key); p.set("dir", active && dir === 1 ? "desc" : "asc"); setParams("/", p); renderOverview(p); } }));
    head.append(th);
  }
  const body = el("tbody");
  const frag = document.createDocumentFragment();
  for (const s of rows) {
    const burn = fastestBurn(s.burn_rates);
    const link = el("a", { href: "#/slo/" + encodeURIComponent(s.name), text: s.display_name || s.name });
    const tr = el("tr", { "data-slo": s.name },
      el("td", {}, link, s.display_name ? el("div", { class: "muted", text: s.name }) : null,
        s.groups ? el("div", { class: "muted", text: s.groups + (s.groups === 1 ? " group" : " groups") + " by " + s.group_by.join(", ") }) : null),
      el("td", { text: s.service_display_name || s.service }),
      el("td", { class: "num", text: pct(s.sli) }),
      el("td", { class: "num", text: s.target === null ? "composite" : pct(s.target, 4) }),
      el("td", {}, statusBadge(s.status)),
      budgetCell(s.budget_remaining),
      el("td", { class: "num", text: burn.value === null ? "–" : num(burn.value) + " (" + burn.label + ")" }),
      el("td", { class: "num", text: s.firing_alerts ? String(s.firing_alerts) + " firing" : "–" }));
    frag.append(tr);
  }
  body.append(frag);
  const table = el("table", { id: "slo-table" }, el("caption", { class: "sr", text: "SLOs" }), el("thead", {}, head), body);
  const counts = {};
  for (const s of data.slos) counts[s.status] = (counts[s.status] || 0) + 1;
  const summary = Object.entries(counts).map(([k, v]) => v + " " + k).join(", ");
  $main().replaceChildren(
    el("h1", { text: "Service level objectives" }),
    el("p", { class: "muted", id: "summary", text: data.count + " SLOs at " + when(data.at) + " — " + summary }),
    el("div", { class: "controls", role: "search" },
      el("label", { for: "search" }, "Search", search),
      el("label", { for: "filter-service" }, "Service", svcSel),
      el("label", { for: "filter-status" }, "Status", stSel),
      el("label", { for: "filter-label" }, "Label (key=value)", lblIn)),
    el("p", { class: "muted", "aria-live": "polite", id: "shown", text: "Showing " + rows.length + " of " + data.count }),
    el("div", { class: "table-wrap" }, table));
}

// --- charts ---
function lineChart(opts) {
  const W = 640, H = 240, L = 56, R = 12, T = 12, B = 28;
  const { at, series, yMin, yMax, fmt, refLines, shades, label } = opts;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label });
  const title = svg("title", {}); title.textContent = label; root.append(title);
  if (!at.length) return root;
  const x0 = at[0], x1 = at[at.length - 1] || x0 + 1;
  const sx = (t) => L + ((t - x0) / Math.max(x1 - x0, 1)) * (W - L - R);
  const sy = (v) => T + (1 - (v - yMin) / Math.max(yMax - yMin, 1e-12)) * (H - T - B);
  for (const [a, b] of shades || []) {
    const xa = Math.max(sx(a), L), xb = Math.min(sx(b), W - R);
    if (xb > xa) root.append(svg("rect", { class: "corr", x: xa, y: T, width: xb - xa, height: H - T - B }));
  }
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4, y = sy(v);
    root.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: y, y2: y }));
    const t = svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }); t.textContent = fmt(v); root.append(t);
  }
  root.append(svg("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  root.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  for (let i = 0; i <= 3; i++) {
    const t = x0 + ((x1 - x0) * i) / 3;
    const d = new Date(t * 1000).toISOString();
    const txt = svg("text", { x: sx(t), y: H - 8, "text-anchor": i === 0 ? "start" : i === 3 ? "end" : "middle" });
    txt.textContent = d.slice(5, 10) + " " + d.slice(11, 16); root.append(txt);
  }
  for (const ref of refLines || []) {
    if (ref.value < yMin || ref.value > yMax) continue;
    root.append(svg("line", { class: ref.cls, x1: L, x2: W - R, y1: sy(ref.value), y2: sy(ref.value) }));
  }
  for (const s of series) {
    let d = "", pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      const c = Math.min(Math.max(v, yMin), yMax);
      d += (pen ? "L" : "M") + sx(at[i]).toFixed(1) + " " + sy(c).toFixed(1);
      pen = true;
    });
    if (d) root.append(svg("path", { class: s.cls, d }));
  }
  return root;
}
function range(values, extra) {
  const vs = values.filter((v) => v !== null && v !== undefined).concat(extra.filter((v) => v !== null));
  if (!vs.length) return [0, 1];
  let lo = Math.min(...vs), hi = Math.max(...vs);
  if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

// --- SLO page ---
const RANGES = [["6h", 6 * 3600], ["1d", 86400], ["7d", 7 * 86400], ["30d", 30 * 86400]];
async function sloPage(name, params) {
  const rng = params.get("range") || "1d";
  const secs = (RANGES.find((r) => r[0] === rng) || RANGES[1])[1];
  const enc = encodeURIComponent(name);
  // One group of a grouped SLO: ?group={"route":"/cart"} (its labels as JSON) in the page's hash.
  const groupParam = params.get("group") || "";
  const groupQuery = groupParam ? "&group=" + encodeURIComponent(groupParam) : "";
  const [detail, hist] = await Promise.all([
    api("/api/v1/slos/" + enc),
    api(`/api/v1/slos/${enc}/history?from=now-${rng}&to=now${groupQuery}`),
  ]);
  const shown = groupParam ? detail.groups.find((g) => JSON.stringify(g.group) === groupParam) : null;
  const s = shown ? { ...shown, service_display_name: detail.slo.service_display_name } : detail.slo;
  const cards = el("div", { class: "cards" });
  const card = (k, v, extra) => cards.append(el("div", { class: "card" }, el("div", { class: "k", text: k }), el("div", { class: "v" }, v), extra || null));
  card("SLI", pct(s.sli));
  card("Target", s.target === null ? "composite" : pct(s.target, 4));
  card("Status", statusBadge(s.status));
  card("Budget left", pct(s.budget_remaining, 1), el("div", { class: "muted", text: duration(s.budget_remaining_seconds) + " of " + duration(s.budget_allowed_seconds) }));
  card("Window", s.window, el("div", { class: "muted", text: s.rolling ? "rolling" : Math.round(s.elapsed_fraction * 100) + " % elapsed" }));
  card("Budget runs out", s.forecast ? when(s.forecast) : "not at this rate");

  const rangeNav = el("div", { class: "controls", role: "group", "aria-label": "Chart range" });
  for (const [lab] of RANGES) {
    rangeNav.append(el("button", { type: "button", class: lab === rng ? null : "secondary", "aria-pressed": lab === rng ? "true" : "false", text: lab,
      onclick: () => { const p = new URLSearchParams(); p.set("range", lab); if (groupParam) p.set("group", groupParam); setParams("/slo/" + enc, p); route(); } }));
  }
  const shades = (hist.corrections || []).map(([a, b]) => [Date.parse(a) / 1000, Date.parse(b) / 1000]);
  const [lo, hi] = range(hist.sli, [hist.target]);
  const sliChart = lineChart({ at: hist.at, series: [{ values: hist.sli, cls: "sli" }], yMin: lo, yMax: Math.min(hi, 1),
    fmt: (v) => pct(v, 2), refLines: hist.target === null ? [] : [{ value: hist.target, cls: "target" }], shades,
    label: `SLI of ${s.display_name || s.name} over the last ${rng} against the target ${pct(hist.target, 4)}` });
  const [blo, bhi] = range(hist.budget_remaining, [0, 1]);
  const budgetChart = lineChart({ at: hist.at, series: [{ values: hist.budget_remaining, cls: "budget" }], yMin: Math.min(blo, 0), yMax: Math.max(bhi, 1),
    fmt: (v) => pct(v, 0), refLines: [{ value: 0, cls: "zero" }], shades,
    label: `Error budget remaining over the last ${rng}` });
  sliChart.id = "sli-chart"; budgetChart.id = "budget-chart";

  const ruleRows = el("tbody");
  const label = (sec) => (sec % 86400 === 0 ? sec / 86400 + "d" : sec % 3600 === 0 ? sec / 3600 + "h" : sec / 60 + "m");
  for (const r of detail.alert_rules) {
    // Windows the state does not carry (short SLO periods) come from the rule's own alert.
    const own = detail.alerts.find((a) => a.rule === r.name) || {};
    const lb = s.burn_rates[label(r.long_window_seconds)] ?? own.long_burn ?? null;
    const sb = s.burn_rates[label(r.short_window_seconds)] ?? own.short_burn ?? null;
    const breach = lb !== null && sb !== null && lb !== undefined && sb !== undefined && lb >= r.factor && sb >= r.factor;
    ruleRows.append(el("tr", {},
      el("td", { text: r.name }), el("td", {}, el("span", { class: "badge sev-" + r.severity, text: r.severity })),
      el("td", { class: "num", text: label(r.long_window_seconds) + " / " + label(r.short_window_seconds) }),
      el("td", { class: "num", text: num(lb) + " / " + num(sb) }),
      el("td", { class: "num", text: num(r.factor) }),
      el("td", { class: breach ? "breach" : null, text: breach ? "above threshold" : "below" })));
  }
  let groupsTable = null;
  if (s.group_by && s.group_by.length) {
    const groupRows = el("tbody");
    for (const g of detail.groups) {
      const burn = fastestBurn(g.burn_rates);
      const gp = new URLSearchParams(); gp.set("group", JSON.stringify(g.group));
      groupRows.append(el("tr", { "data-group": groupText(g.group) },
        el("td", {}, el("a", { href: "#/slo/" + enc + "?" + gp.toString(), text: groupText(g.group),
          onclick: (ev) => { ev.preventDefault(); setParams("/slo/" + enc, gp); route(); } })),
        el("td", { class: "num", text: pct(g.sli) }),
        el("td", {}, statusBadge(g.status)),
        budgetCell(g.budget_remaining),
        el("td", { class: "num", text: burn.value === null ? "–" : num(burn.value) + " (" + burn.label + ")" }),
        el("td", { class: "num", text: g.firing_alerts ? String(g.firing_alerts) + " firing" : "–" })));
    }
    if (!detail.groups.length) groupRows.append(el("tr", {}, el("td", { colspan: 6, class: "muted", text: "No group has data yet." })));
    groupsTable = el("div", {}, el("h2", { text: "Groups by " + s.group_by.join(", ") + " (" + detail.groups.length + ")" }),
      el("div", { class: "table-wrap" }, el("table", { id: "groups" },
        el("thead", {}, el("tr", {}, ...["Group", "SLI", "Status", "Budget left", "Fastest burn", "Alerts"].map((h, i) => el("th", { scope: "col", class: i === 0 || i === 2 ? null : "num", text: h })))),
        groupRows)));
  }
  const burnRows = el("tbody");
  for (const [w, v] of Object.entries(s.burn_rates)) burnRows.append(el("tr", {}, el("td", { text: w }), el("td", { class: "num", text: num(v) })));
  const pctl = Object.entries(s.percentiles || {});
  const timeline = el("ol", { class: "timeline", id: "alert-timeline" });
  for (const t of detail.alert_history.slice().reverse()) {
    timeline.append(el("li", {}, el("time", { datetime: t.at, text: when(t.at) }), " — ", el("strong", { text: t.rule + (t.group ? " " + t.group : "") }), " ",
      el("span", { class: "badge sev-" + t.severity, text: t.severity }), " " + t.from + " → " + t.to + (t.long_burn !== null ? " (burn " + num(t.long_burn) + ")" : "")));
  }
  if (!detail.alert_history.length) timeline.append(el("li", { class: "muted", text: "No alerts yet." }));
  const corr = el("ul", {});
  for (const c of detail.corrections) corr.append(el("li", { text: `${when(c.start)} for ${duration(c.duration_seconds)}${c.rrule ? " (" + c.rrule + ")" : ""}: ${c.reason} [${c.source}]` }));
  if (!detail.corrections.length) corr.append(el("li", { class: "muted", text: "None." }));

  $main().replaceChildren(
    el("p", {}, el("a", { href: "#/", text: "← All SLOs" })),
    groupParam ? el("p", {}, el("a", { href: "#/slo/" + enc, text: "← " + (s.display_name || s.name) + " overall",
      onclick: (ev) => { ev.preventDefault(); setParams("/slo/" + enc, new URLSearchParams()); route(); } })) : null,
    el("h1", { id: "slo-title", text: (s.display_name || s.name) + (groupParam ? " " + (shown ? groupText(shown.group) : groupParam) : "") }),
    el("p", { class: "muted", text: `${s.name} · service ${s.service_display_name || s.service} · ${s.indicator} · ${s.budgeting_method}` }),
    cards,
    el("p", { class: "muted", text: s.budget_basis }),
    groupsTable,
    el("h2", { text: "History" }), rangeNav,
    el("div", { class: "charts" },
      el("figure", {}, el("figcaption", { text: "SLI against the target" }), sliChart,
        el("div", { class: "legend" }, el("span", {}, el("i", { style: null, class: "lg-sli" }), "SLI"), el("span", { text: "dashed: target; shaded: corrections" }))),
      el("figure", {}, el("figcaption", { text: "Error budget remaining (burn-down)" }), budgetChart)),
    el("h2", { text: "Burn rates and alert thresholds" }),
    el("div", { class: "table-wrap" }, el("table", { id: "rules" },
      el("thead", {}, el("tr", {}, ...["Rule", "Severity", "Windows (long / short)", "Burn (long / short)", "Threshold", "Now"].map((h) => el("th", { scope: "col", text: h })))), ruleRows)),
    el("div", { class: "charts" },
      el("div", {}, el("h2", { text: "Burn rate per window" }), el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Window" }), el("th", { scope: "col", class: "num", text: "Burn rate" }))), burnRows))),
      el("div", {}, el("h2", { text: "Percentiles" }), pctl.length
        ? el("div", { class: "table-wrap" }, el("table", { id: "percentiles" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Percentile" }), el("th", { scope: "col", class: "num", text: "Value" }))),
            el("tbody", {}, ...pctl.map(([k, v]) => el("tr", {}, el("td", { text: k }), el("td", { class: "num", text: num(v, 1) }))))))
        : el("p", { class: "muted", text: "Not a latency indicator." }))),
    el("h2", { text: "Alert timeline" }), timeline,
    el("h2", { text: "Corrections" }), corr,
    el("h2", { text: "Spec" }), el("pre", { id: "spec-yaml", tabindex: "0", "aria-label": "SLO spec YAML", text: detail.spec_yaml || "(source not available)" }));
  document.title = (s.display_name || s.name) + " · slokit";
}

// --- alerts page ---
async function alertsPage(quiet) {
  const data = await api("/api/v1/alerts");
  showFiring(data.firing.length);
  const tokenIn = el("input", { id: "token", type: "password", autocomplete: "off", value: token(), placeholder: "needed to acknowledge" });
  tokenIn.addEventListener("change", () => sessionStorage.setItem("slokit-token", tokenIn.value.trim()));
  const status = el("p", { id: "ack-status", role: "status", "aria-live": "polite" });
  const table = (list, id, withAck) => {
    const body = el("tbody");
    for (const a of list) {
      const ack = a.acknowledged_at
        ? el("span", { text: "acknowledged " + when(a.acknowledged_at) + (a.acknowledged_by ? " by " + a.acknowledged_by : "") })
        : withAck ? el("button", { type: "button", "data-ack": a.id, text: "Acknowledge", "aria-label": `Acknowledge ${a.rule} on ${a.slo}`,
            onclick: async () => {
              sessionStorage.setItem("slokit-token", tokenIn.value.trim());
              try { await api(`/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ by: "dashboard" }) });
                status.textContent = "Acknowledged."; await alertsPage(true); document.getElementById("ack-status").textContent = "Acknowledged.";
              } catch (e) { status.textContent = "Not acknowledged: " + e.message; status.className = "error"; }
            } }) : el("span", { class: "muted", text: "–" });
      body.append(el("tr", { "data-alert": a.id },
        el("td", {}, el("a", { href: "#/slo/" + encodeURIComponent(a.slo), text: a.slo }), a.group ? el("div", { class: "muted", text: a.group }) : null),
        el("td", { text: a.rule }), el("td", {}, el("span", { class: "badge sev-" + a.severity, text: a.severity })),
        el("td", { text: a.phase }), el("td", { text: when(a.fired_at) }), el("td", { class: "num", text: num(a.peak_burn) }),
        el("td", { text: a.resolved_at ? when(a.resolved_at) : "–" }), el("td", {}, ack)));
    }
    if (!list.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "None." })));
    return el("div", { class: "table-wrap" }, el("table", { id },
      el("thead", {}, el("tr", {}, ...["SLO", "Rule", "Severity", "Phase", "Fired", "Peak burn", "Resolved", "Acknowledgement"].map((h) => el("th", { scope: "col", text: h })))), body));
  };
  const focused = document.activeElement && document.activeElement.id;
  $main().replaceChildren(
    el("h1", { text: "Alerts" }),
    el("div", { class: "controls" }, el("label", { for: "token" }, "API token", tokenIn)),
    status,
    el("h2", { text: "Firing (" + data.firing.length + ")" }), table(data.firing, "firing", true),
    el("h2", { text: "Recent" }), table(data.recent.filter((a) => a.phase !== "firing"), "recent", false));
  if (quiet && focused) { const f = document.getElementById(focused); if (f) f.focus(); }
  document.title = "Alerts · slokit";
}

function tick() { document.getElementById("clock").textContent = new Date().toISOString().slice(0, 16).replace("T", " ") + "Z"; }
window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 15000); route(); });
