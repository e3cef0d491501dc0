/**
 * The dashboard page served by src/observe/server.ts: one self-contained HTML document (CSS and
 * JS inline, no external resources — the page works offline and `deno compile` carries it as
 * this string). It polls /api/snapshot every POLL_MS and draws:
 * - a header like observer_cli's home screen: node, uptime, schedulers, processes against the
 *   limit, memory, message and reduction rates;
 * - live charts on canvas (drawn here, no library): scheduler utilisation, run queues, memory,
 *   messages per second;
 * - the top-N process table, sortable (server side) by reductions, memory and mailbox length,
 *   each in total and per second over the last window; a click on a row shows the process's
 *   details (name, current file:line, links, monitors, monitored by, children);
 * - the supervision trees.
 *
 * Stable hooks for tests: `#proc-table tbody tr[data-pid]`, cells `td[data-col]` with the raw
 * number in `data-value`, headers `th[data-sort]` (the current one has class `sorted`), the
 * details panel `#detail[data-pid]`, `#status` (live / disconnected).
 *
 * Written without backquotes or dollar-brace so it can live in a template literal as is.
 */
export const POLL_MS = 500;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ttvm observer</title>
<style>
:root {
  --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #6b7383; --line: #e3e6eb;
  --accent: #3a63d8; --good: #1f9d55; --warn: #c77c02; --bad: #c8323c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 13px;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px; padding: 10px 16px;
  background: #1d2330; color: #fff; }
header h1 { font-size: 15px; margin: 0 8px 0 0; font-weight: 600; letter-spacing: .3px; }
header .kv { display: flex; flex-direction: column; }
header .k { font-size: 10px; text-transform: uppercase; color: #aab3c5; letter-spacing: .5px; }
header .v { font-size: 14px; font-variant-numeric: tabular-nums; }
#status { margin-left: auto; padding: 3px 9px; border-radius: 10px; font-size: 11px;
  background: var(--good); }
#status.down { background: var(--bad); }
main { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 12px; padding: 12px 16px; }
section, aside { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted);
  margin: 0; padding: 9px 12px; border-bottom: 1px solid var(--line); display: flex;
  align-items: center; gap: 8px; }
h2 .right { margin-left: auto; text-transform: none; letter-spacing: 0; }
#charts { grid-column: 1 / span 2; display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
  gap: 0; }
.chart { padding: 6px 10px 8px; border-right: 1px solid var(--line); }
.chart:last-child { border-right: 0; }
.chart .title { font-size: 11px; color: var(--muted); display: flex; justify-content: space-between; }
.chart canvas { width: 100%; height: 110px; display: block; }
.legend { font-size: 10px; color: var(--muted); min-height: 13px; }
.legend span { margin-right: 8px; white-space: nowrap; }
.legend i { display: inline-block; width: 8px; height: 8px; border-radius: 2px; margin-right: 3px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; text-align: right; border-bottom: 1px solid var(--line);
  white-space: nowrap; }
th { font-size: 11px; color: var(--muted); font-weight: 600; background: #fafbfc;
  position: sticky; top: 0; user-select: none; }
th[data-sort] { cursor: pointer; }
th[data-sort]:hover { color: var(--ink); }
th.sorted { color: var(--accent); }
th.sorted::after { content: " \\25BE"; }
td.l, th.l { text-align: left; }
td.cur { color: var(--muted); max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f2f5fd; }
tbody tr.sel { background: #e6ecfb; }
.st { display: inline-block; padding: 1px 6px; border-radius: 8px; font-size: 11px; }
.st.running { background: #dcf3e5; color: var(--good); }
.st.runnable { background: #fdf1dc; color: var(--warn); }
.st.waiting { background: #eceef2; color: var(--muted); }
#procs .scroll { max-height: 560px; overflow: auto; }
select { font: inherit; padding: 1px 4px; }
#detail { grid-row: span 2; }
#detail .body { padding: 10px 12px; }
#detail dl { display: grid; grid-template-columns: 110px minmax(0, 1fr); gap: 5px 8px; margin: 0; }
#detail dt { color: var(--muted); }
#detail dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.pid { color: var(--accent); cursor: pointer; }
.empty { color: var(--muted); padding: 10px 12px; }
#sup .body { padding: 6px 12px 10px; }
#sup ul { list-style: none; margin: 0; padding-left: 16px; border-left: 1px dashed var(--line); }
#sup > .body > ul { padding-left: 0; border-left: 0; }
#sup li { padding: 2px 0; }
.tag { font-size: 10px; color: var(--muted); border: 1px solid var(--line); border-radius: 3px;
  padding: 0 4px; margin-left: 4px; }
footer { padding: 0 16px 12px; color: var(--muted); font-size: 11px; }
</style>
</head>
<body>
<header>
  <h1>ttvm observer</h1>
  <div class="kv"><span class="k">node</span><span class="v" id="h-node">…</span></div>
  <div class="kv"><span class="k">uptime</span><span class="v" id="h-uptime">…</span></div>
  <div class="kv"><span class="k">schedulers</span><span class="v" id="h-scheds">…</span></div>
  <div class="kv"><span class="k">processes</span><span class="v" id="h-procs">…</span></div>
  <div class="kv"><span class="k">run queue</span><span class="v" id="h-runq">…</span></div>
  <div class="kv"><span class="k">memory</span><span class="v" id="h-mem">…</span></div>
  <div class="kv"><span class="k">messages/s</span><span class="v" id="h-msgs">…</span></div>
  <div class="kv"><span class="k">reductions/s</span><span class="v" id="h-reds">…</span></div>
  <span id="status">connecting</span>
</header>
<main>
  <section id="charts">
    <div class="chart"><div class="title"><span>scheduler utilisation</span><span id="c-util-v"></span></div>
      <canvas id="c-util"></canvas><div class="legend" id="c-util-l"></div></div>
    <div class="chart"><div class="title"><span>run queue</span><span id="c-runq-v"></span></div>
      <canvas id="c-runq"></canvas><div class="legend" id="c-runq-l"></div></div>
    <div class="chart"><div class="title"><span>memory</span><span id="c-mem-v"></span></div>
      <canvas id="c-mem"></canvas><div class="legend"></div></div>
    <div class="chart"><div class="title"><span>messages / s</span><span id="c-msgs-v"></span></div>
      <canvas id="c-msgs"></canvas><div class="legend"></div></div>
  </section>
  <section id="procs">
    <h2>processes <span id="p-count"></span>
      <span class="right">top <select id="top-n"><option>10</option><option selected>25</option>
      <option>50</option><option>100</option><option>500</option></select></span></h2>
    <div class="scroll">
    <table id="proc-table">
      <thead><tr>
        <th data-sort="pid">pid</th><th class="l">name</th><th class="l">status</th>
        <th data-sort="reductions">reductions</th><th data-sort="reductions_rate">reds/s</th>
        <th data-sort="memory">memory</th><th data-sort="memory_rate">mem &#916;/s</th>
        <th data-sort="mailbox">mailbox</th><th data-sort="mailbox_rate">mbox &#916;/s</th>
        <th class="l">current</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    </div>
  </section>
  <aside id="detail"><h2>process</h2><div class="body"><div class="empty">Click a process.</div></div></aside>
  <section id="sup"><h2>supervision trees</h2><div class="body"></div></section>
</main>
<footer id="foot"></footer>
<script>
"use strict";
var POLL_MS = __POLL_MS__;
var COLORS = ["#3a63d8", "#1f9d55", "#c77c02", "#c8323c", "#7a4bd1", "#0f8b8d", "#b5487f", "#556070"];
var sortKey = "reductions_rate";
var topN = 25;
var selected = 0;
var lastData = null;
var lastOk = 0;

function $(id) { return document.getElementById(id); }
function esc(s) {
  return String(s).replace(/[&<>"]/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;" }[c];
  });
}
function num(n) { return Math.round(n).toLocaleString("en-US"); }
function bytes(n) {
  var u = ["B", "KiB", "MiB", "GiB"], i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : 1)) + " " + u[i];
}
function rate(n, fmt) { return n === 0 ? "0" : (n > 0 ? "+" : "") + (fmt ? fmt(n) : num(n)); }
function dur(ms) {
  var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  return (h > 0 ? h + "h " : "") + (h > 0 || m > 0 ? m + "m " : "") + (s % 60) + "s";
}

function drawChart(id, series, opts) {
  var c = $(id), dpr = window.devicePixelRatio || 1;
  var w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
  var g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  var n = 0, max = opts.max || 0;
  series.forEach(function (s) {
    n = Math.max(n, s.values.length);
    if (!opts.max) s.values.forEach(function (v) { if (v > max) max = v; });
  });
  if (max <= 0) max = 1;
  var left = 2, top = 4, bottom = h - 2, right = w - 2;
  g.strokeStyle = "#e3e6eb"; g.lineWidth = 1;
  for (var k = 0; k <= 4; k++) {
    var y = Math.round(top + (bottom - top) * k / 4) + 0.5;
    g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
  }
  g.fillStyle = "#6b7383"; g.font = "10px system-ui, sans-serif"; g.textBaseline = "top";
  g.fillText(opts.fmt(max), left + 2, top + 1);
  var span = Math.max(1, (opts.points || 120) - 1);
  series.forEach(function (s, si) {
    var vals = s.values, off = Math.max(0, (opts.points || 120) - vals.length);
    g.strokeStyle = s.color || COLORS[si % COLORS.length]; g.lineWidth = 1.5;
    g.beginPath();
    vals.forEach(function (v, i) {
      var x = left + (right - left) * (i + off) / span;
      var yy = bottom - (bottom - top) * Math.min(1, Math.max(0, v / max));
      if (i === 0) g.moveTo(x, yy); else g.lineTo(x, yy);
    });
    g.stroke();
    if (opts.fill && vals.length > 1) {
      g.lineTo(left + (right - left) * (vals.length - 1 + off) / span, bottom);
      g.lineTo(left + (right - left) * off / span, bottom);
      g.closePath(); g.globalAlpha = 0.12; g.fillStyle = g.strokeStyle; g.fill(); g.globalAlpha = 1;
    }
  });
}

function legend(id, labels) {
  $(id).innerHTML = labels.map(function (l, i) {
    return "<span><i style=\\"background:" + COLORS[i % COLORS.length] + "\\"></i>" + esc(l) + "</span>";
  }).join("");
}

function column(rows, k) { return rows.map(function (r) { return r[k]; }); }
function perScheduler(rows, n) {
  var out = [];
  for (var i = 0; i < n; i++) out.push(rows.map(function (r) { return r[i] || 0; }));
  return out;
}

function renderCharts(d) {
  var h = d.history, n = d.schedulers, pts = 120;
  var util = perScheduler(h.util.slice(-pts), n).map(function (v) {
    return { values: v.map(function (x) { return x * 100; }) };
  });
  drawChart("c-util", util, { max: 100, fmt: function (v) { return v + "%"; }, points: pts });
  legend("c-util-l", util.map(function (_, i) { return "scheduler " + (i + 1); }));
  var last = h.util[h.util.length - 1] || [];
  $("c-util-v").textContent = last.length ? last.map(function (u) { return Math.round(u * 100) + "%"; }).join(" / ") : "";
  var rq = perScheduler(h.run_queue.slice(-pts), n).map(function (v) { return { values: v }; });
  drawChart("c-runq", rq, { fmt: num, points: pts });
  legend("c-runq-l", rq.map(function (_, i) { return "scheduler " + (i + 1); }));
  $("c-runq-v").textContent = num(d.run_queue);
  drawChart("c-mem", [{ values: h.memory.slice(-pts), color: COLORS[4] }], { fmt: bytes, fill: true, points: pts });
  $("c-mem-v").textContent = bytes(d.memory_bytes);
  drawChart("c-msgs", [{ values: h.messages_per_s.slice(-pts), color: COLORS[1] }], { fmt: num, fill: true, points: pts });
  $("c-msgs-v").textContent = num(d.messages_per_s);
}

function renderHeader(d) {
  $("h-node").textContent = d.node;
  $("h-uptime").textContent = dur(d.uptime_ms);
  $("h-scheds").textContent = d.schedulers;
  $("h-procs").textContent = num(d.process_count) + " / " + num(d.process_limit);
  $("h-runq").textContent = num(d.run_queue);
  $("h-mem").textContent = bytes(d.memory_bytes) + " of " + bytes(d.buffer_bytes);
  $("h-msgs").textContent = num(d.messages_per_s);
  $("h-reds").textContent = num(d.reductions_per_s);
}

function cell(col, value, text, cls) {
  return "<td data-col=\\"" + col + "\\" data-value=\\"" + esc(value) + "\\"" +
    (cls ? " class=\\"" + cls + "\\"" : "") + ">" + text + "</td>";
}

function renderTable(d) {
  document.querySelectorAll("#proc-table th[data-sort]").forEach(function (th) {
    th.classList.toggle("sorted", th.getAttribute("data-sort") === d.sort);
  });
  $("p-count").textContent = "(" + d.processes.length + " of " + num(d.process_count) + ")";
  $("proc-table").querySelector("tbody").innerHTML = d.processes.map(function (p) {
    return "<tr data-pid=\\"" + p.pid + "\\"" + (p.pid === selected ? " class=\\"sel\\"" : "") + ">" +
      cell("pid", p.pid, p.pid) +
      cell("name", p.name || "", esc(p.name || ""), "l") +
      cell("status", p.status, "<span class=\\"st " + p.status + "\\">" + p.status + "</span>", "l") +
      cell("reductions", p.reductions, num(p.reductions)) +
      cell("reductions_rate", p.reductions_rate, num(p.reductions_rate)) +
      cell("memory", p.memory, bytes(p.memory)) +
      cell("memory_rate", p.memory_rate, rate(p.memory_rate, bytes)) +
      cell("mailbox", p.mailbox, num(p.mailbox)) +
      cell("mailbox_rate", p.mailbox_rate, rate(p.mailbox_rate)) +
      cell("current", p.current, esc(p.current), "l cur") + "</tr>";
  }).join("");
}

function pidList(list) {
  if (!list || list.length === 0) return "<span class=\\"empty\\" style=\\"padding:0\\">none</span>";
  return list.map(function (p) { return "<span class=\\"pid\\" data-pid=\\"" + p + "\\">" + p + "</span>"; }).join(", ");
}

function renderDetail(p) {
  var box = $("detail");
  if (!p) {
    box.removeAttribute("data-pid");
    box.querySelector(".body").innerHTML = "<div class=\\"empty\\">" +
      (selected ? "Process " + selected + " is not alive." : "Click a process.") + "</div>";
    return;
  }
  box.setAttribute("data-pid", p.pid);
  var rows = [
    ["pid", p.pid], ["name", esc(p.names.length ? p.names.join(", ") : "(none)")],
    ["status", "<span class=\\"st " + p.status + "\\">" + p.status + "</span>"],
    ["current", esc(p.current)], ["parent", p.parent ? pidList([p.parent]) : "(none)"],
    ["reductions", num(p.reductions)], ["memory", bytes(p.memory)],
    ["mailbox", num(p.mailbox)], ["stack depth", num(p.stack_depth)],
    ["trap_exit", String(p.trap_exit)], ["links", pidList(p.links)],
    ["monitors", pidList(p.monitors)], ["monitored by", pidList(p.monitored_by)]
  ];
  if (p.children) {
    rows.push(["children", p.children.length ? p.children.map(function (c) {
      return esc(c.id) + " " + (c.pid ? pidList([c.pid]) : "(not running)");
    }).join("<br>") : "(none)"]);
  }
  box.querySelector(".body").innerHTML = "<dl>" + rows.map(function (r) {
    return "<dt>" + r[0] + "</dt><dd>" + r[1] + "</dd>";
  }).join("") + "</dl>";
}

function renderTree(nodes) {
  return "<ul>" + nodes.map(function (n) {
    var label = (n.pid ? "<span class=\\"pid\\" data-pid=\\"" + n.pid + "\\">" + n.pid + "</span>" : "&#8211;") +
      (n.id ? " <b>" + esc(n.id) + "</b>" : "") + (n.name && n.name !== n.id ? " " + esc(n.name) : "") +
      (n.supervisor ? "<span class=\\"tag\\">supervisor</span>" : "") +
      " <span class=\\"st " + esc(n.status) + "\\">" + esc(n.status) + "</span>";
    return "<li>" + label + (n.children.length ? renderTree(n.children) : "") + "</li>";
  }).join("") + "</ul>";
}

function renderSup(d) {
  var body = $("sup").querySelector(".body");
  body.innerHTML = d.supervision.length ? renderTree(d.supervision) : "<div class=\\"empty\\" style=\\"padding:4px 0\\">No supervisors.</div>";
}

function setStatus(ok) {
  var s = $("status");
  s.textContent = ok ? "live" : "disconnected";
  s.classList.toggle("down", !ok);
}

function poll() {
  fetch("/api/snapshot?sort=" + sortKey + "&n=" + topN, { cache: "no-store" })
    .then(function (r) { return r.json(); })
    .then(function (d) {
      lastOk = Date.now(); setStatus(true);
      renderHeader(d); renderCharts(d); renderSup(d);
      // An answer for the previous sort order (asked before a click) is not shown.
      if (d.sort === sortKey) { lastData = d; renderTable(d); }
      $("foot").textContent = "sampled in " + d.sample_ms + " ms · updated " + new Date().toLocaleTimeString();
      if (selected) loadDetail(selected);
    })
    .catch(function () { setStatus(false); })
    .finally(function () { setTimeout(poll, POLL_MS); });
}

function loadDetail(pid) {
  fetch("/api/process?pid=" + pid, { cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (p) { if (pid === selected) renderDetail(p); })
    .catch(function () {});
}

function select(pid) {
  selected = pid;
  document.querySelectorAll("#proc-table tbody tr").forEach(function (tr) {
    tr.classList.toggle("sel", Number(tr.getAttribute("data-pid")) === pid);
  });
  loadDetail(pid);
}

document.querySelector("#proc-table thead").addEventListener("click", function (e) {
  var th = e.target.closest("th[data-sort]");
  if (!th) return;
  sortKey = th.getAttribute("data-sort");
  if (lastData) {
    // Sort what is shown at once; the server's top N by this key follows.
    lastData.sort = sortKey;
    lastData.processes.sort(function (a, b) {
      return sortKey === "pid" ? a.pid - b.pid : (b[sortKey] - a[sortKey]) || a.pid - b.pid;
    });
    renderTable(lastData);
  }
  fetch("/api/snapshot?sort=" + sortKey + "&n=" + topN, { cache: "no-store" })
    .then(function (r) { return r.json(); })
    .then(function (d) { if (d.sort === sortKey) { lastData = d; renderTable(d); } })
    .catch(function () {});
});
document.querySelector("#proc-table tbody").addEventListener("click", function (e) {
  var tr = e.target.closest("tr[data-pid]");
  if (tr) select(Number(tr.getAttribute("data-pid")));
});
document.body.addEventListener("click", function (e) {
  var p = e.target.closest(".pid[data-pid]");
  if (p) select(Number(p.getAttribute("data-pid")));
});
$("top-n").addEventListener("change", function () { topN = Number(this.value); });
window.addEventListener("resize", function () { if (lastData) renderCharts(lastData); });
poll();
</script>
</body>
</html>
`.replace("__POLL_MS__", String(POLL_MS));
