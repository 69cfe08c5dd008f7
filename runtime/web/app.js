// The dashboard: hash routes, a refresh every 2 s, the banner when the coordinator cannot be
// reached, and the overview, jobs and nodes pages (the job page is job.js).
//
// For headless browsers: document.body.dataset.ready is "1" once the current page has been
// drawn with data; data-error holds the message of the last failed refresh (removed when a
// refresh succeeds).

import { get } from "./api.js";
import {
  badge, bytes, clock, count, duration, figure, html, int, meter, percent, section, setHtml,
} from "./format.js";
import { JobPage } from "./job.js";

const REFRESH_MS = 2000;

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const status = document.getElementById("status");

// -- tables shared by several pages -------------------------------------------------------

const STATE_ORDER = { RUNNING: 0, FAILED: 1, STOPPED: 2, CANCELED: 3, FINISHED: 4 };

function jobsTable(jobs, { compact } = {}) {
  if (!jobs.length) return html`<p class="muted empty-note">No jobs yet.</p>`;
  const sorted = [...jobs].sort((a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9)
    || (b.start_unix_s || 0) - (a.start_unix_s || 0));
  const rows = sorted.map((j) => html`<tr data-test="job-row" data-job-id="${j.id}">
      ${compact ? "" : html`<td class="num muted">${j.id}</td>`}
      <td class="name"><a href="#/jobs/${encodeURIComponent(j.id)}"
        data-test="job-row-name">${j.name}</a>${j.reason
        ? html`<div class="reason ${j.state === "FAILED" ? "bad-text" : "muted"}"
          title="${j.reason}">${j.reason}</div>` : ""}</td>
      <td>${badge(j.state, "job-row-state")}${j.restarting
        ? html` <span class="badge busy">RESTARTING</span>` : ""}</td>
      <td class="num">${clock(j.start_unix_s)}</td>
      <td class="num">${duration(j.duration_s)}</td>
      <td class="num">${j.parallelism}</td>
    </tr>`);
  return html`<table class="data">
    <thead><tr>${compact ? "" : html`<th class="num">ID</th>`}<th>Job</th><th>State</th>
      <th class="num">Started</th><th class="num">Duration</th><th class="num">Parallelism</th>
    </tr></thead><tbody>${rows}</tbody></table>`;
}

function nodesTable(nodes) {
  if (!nodes.length) return html`<p class="muted empty-note">No node has registered.</p>`;
  const rows = nodes.map((n) => {
    const slots = n.slots_total ? n.slots_used / n.slots_total : 0;
    const cpu = typeof n.cpu_ratio === "number" ? n.cpu_ratio : null;
    return html`<tr data-test="node-row" data-node-name="${n.name}">
      <td class="name" data-test="node-name">${n.name}</td>
      <td class="mono muted">${n.address}</td>
      <td>${badge(n.state, "node-state")}</td>
      <td class="num">${meter(slots)} ${n.slots_used} / ${n.slots_total}</td>
      <td class="num" title="CPU seconds per second (100% = one core); ${n.cpu_seconds} s in all"
        >${cpu === null ? "\u2014" : html`${meter(Math.min(1, cpu), cpu > 0.9 ? "high" : "")} ${
        percent(cpu)}`}</td>
      <td class="num" data-test="node-rss">${bytes(n.rss_bytes)}</td>
      <td class="num">${int(n.threads)}</td>
      <td class="num">${int(n.open_files)}</td>
      <td class="num">${duration(n.uptime_s)}</td>
    </tr>`;
  });
  return html`<table class="data">
    <thead><tr><th>Node</th><th>Address</th><th>State</th><th class="num">Slots</th>
      <th class="num">CPU</th><th class="num">Memory (RSS)</th><th class="num">Threads</th>
      <th class="num">Open files</th><th class="num">Uptime</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

// -- pages -------------------------------------------------------------------------------

// A page: load() fetches what it shows (and throws ApiError when it cannot); render() draws
// it into main, in place on later calls.
const overviewPage = {
  nav: "overview",
  title: "Overview",
  load: () => Promise.all([get("v1/jobs"), get("v1/nodes")]),
  render([jobs, nodes], ov) {
    const alive = nodes.nodes.filter((n) => n.state === "ALIVE").length;
    const lost = nodes.nodes.length - alive;
    const c = ov.jobs || {};
    const ended = ["finished", "canceled", "stopped"].reduce((a, k) => a + (c[k] || 0), 0);
    const slots = ov.slots_total ? ov.slots_used / ov.slots_total : 0;
    setHtml(main, html`<h1 class="page-title">Cluster overview</h1>
      <div class="figures">
        ${figure("Nodes", html`<span data-test="overview-nodes">${alive}</span>`,
          lost ? html`<span class="bad-text">${lost} lost</span>` : "all alive")}
        ${figure("Task slots", html`${ov.slots_used} <small>/ ${ov.slots_total}</small>`,
          html`${meter(slots)} ${percent(slots)} in use`)}
        ${figure("Running jobs", html`<span data-test="overview-running">${c.running || 0}</span>`,
          `${ended} ended`)}
        ${figure("Failed jobs", c.failed || 0, c.failed ? "see the jobs below" : "none")}
        ${figure("Coordinator", `v${ov.version}`, `up ${duration(ov.uptime_s)}`)}
      </div>
      ${section("Jobs", jobsTable(jobs.jobs, { compact: true }), html`<a class="more"
        href="#/jobs">All jobs \u2192</a>`)}
      ${section("Nodes", nodesTable(nodes.nodes), html`<a class="more"
        href="#/nodes">Nodes \u2192</a>`)}`);
  },
};

const jobsPage = {
  nav: "jobs",
  title: "Jobs",
  load: () => get("v1/jobs"),
  render(jobs, ov) {
    const c = ov.jobs || {};
    const counts = ["running", "finished", "failed", "canceled", "stopped"]
      .filter((k) => c[k]).map((k) => `${c[k]} ${k}`).join(" \u00b7 ");
    setHtml(main, html`<h1 class="page-title">Jobs</h1>
      ${section("All jobs", jobsTable(jobs.jobs), html`<span class="muted">${counts}</span>`)}`);
  },
};

// The subtasks of the running jobs, by node.
function tasksTable(details, nodes) {
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  const rows = [];
  for (const job of details) {
    for (const v of job.vertices || []) {
      for (const s of v.subtasks || []) rows.push({ job, v, s, m: s.metrics || {} });
    }
  }
  if (!rows.length) return html`<p class="muted empty-note">No running tasks.</p>`;
  rows.sort((a, b) => (order.get(a.s.node) ?? 1e9) - (order.get(b.s.node) ?? 1e9)
    || a.job.id - b.job.id || a.v.id - b.v.id || a.s.subtask - b.s.subtask);
  return html`<table class="data">
    <thead><tr><th>Node</th><th>Job</th><th>Vertex</th><th class="num">Subtask</th>
      <th>State</th><th class="num">In/s</th><th class="num">Out/s</th><th class="num">Busy</th>
      <th class="num">Backpr.</th><th class="num">State entries</th></tr></thead>
    <tbody>${rows.map(({ job, v, s, m }) => html`<tr data-test="task-row">
      <td class="name">${s.node}</td>
      <td><a href="#/jobs/${encodeURIComponent(job.id)}">${job.name}</a></td>
      <td>${v.name}</td><td class="num">${s.subtask}</td><td>${badge(s.state)}</td>
      <td class="num">${count(m.records_in_per_s)}</td>
      <td class="num">${count(m.records_out_per_s)}</td>
      <td class="num">${percent(m.busy_ratio)}</td>
      <td class="num">${percent(m.backpressured_ratio)}</td>
      <td class="num">${count(m.state_entries)}</td></tr>`)}</tbody></table>`;
}

const nodesPage = {
  nav: "nodes",
  title: "Nodes",
  async load() {
    const [nodes, jobs] = await Promise.all([get("v1/nodes"), get("v1/jobs")]);
    const running = jobs.jobs.filter((j) => j.state === "RUNNING");
    const details = await Promise.all(running.map((j) => get(`v1/jobs/${j.id}`)));
    return [nodes, details];
  },
  render([nodes, details], ov) {
    const list = nodes.nodes;
    const cpu = list.reduce((a, n) => a + (n.cpu_ratio || 0), 0);
    const rss = list.reduce((a, n) => a + (n.rss_bytes || 0), 0);
    const threads = list.reduce((a, n) => a + (n.threads || 0), 0);
    setHtml(main, html`<h1 class="page-title">Nodes</h1>
      <div class="figures">
        ${figure("Nodes", list.length, `${list.filter((n) => n.state === "ALIVE").length} alive`)}
        ${figure("Task slots", html`${ov.slots_used} <small>/ ${ov.slots_total}</small>`,
          "used / offered")}
        ${figure("CPU", percent(cpu), "100% = one core; all nodes")}
        ${figure("Memory", bytes(rss), "resident, all nodes")}
        ${figure("Threads", count(threads), "all nodes")}
      </div>
      ${section("Nodes", nodesTable(list))}
      ${section("Tasks", tasksTable(details, list), html`<span class="muted">subtasks of
        the running jobs, by node</span>`)}`);
  },
};

function notFoundPage(hash) {
  return {
    nav: "",
    title: "Not found",
    load: async () => null,
    render() {
      setHtml(main, html`<div class="page-error"><h1>Nothing here</h1>
        <p>The dashboard has no page <code>${hash}</code>.
        <a href="#/">Back to the overview</a>.</p></div>`);
    },
  };
}

function route() {
  let hash = location.hash.replace(/^#/, "");
  try {
    hash = decodeURIComponent(hash);
  } catch (e) {
    // a malformed %-sequence: the route as typed, which matches no page
  }
  hash = hash || "/";
  const parts = hash.split("/").filter(Boolean);
  if (parts.length === 0) return overviewPage;
  if (parts[0] === "jobs" && parts.length === 1) return jobsPage;
  if (parts[0] === "jobs" && parts.length === 2 && /^\d+$/.test(parts[1])) {
    return new JobPage(main, Number(parts[1]));
  }
  if (parts[0] === "nodes" && parts.length === 1) return nodesPage;
  return notFoundPage(hash);
}

// -- the refresh loop ---------------------------------------------------------------------

let page = null;
let generation = 0;
let timer = null;
let lastContact = null;
let inFlight = false;
let again = false;

function showStatus(ov) {
  setHtml(status, html`<span title="coordinator version">v${ov.version}</span>
    <span class="sep">\u00b7</span><span>up ${duration(ov.uptime_s)}</span>
    <span class="sep">\u00b7</span>${ov.actions_allowed
      ? html`<span class="ok-text" title="this listener is on a loopback address">actions allowed</span>`
      : html`<span title="actions need a listener on a loopback address">read-only</span>`}`);
}

// The banner, and the page dimmed, while the coordinator cannot be reached.
function showBanner(error) {
  document.body.classList.toggle("offline", !!error);
  if (!error) {
    banner.hidden = true;
    return;
  }
  const since = lastContact ? html` Last answer at ${clock(lastContact / 1000)} (${
    duration((Date.now() - lastContact) / 1000)} ago).` : "";
  setHtml(banner, html`<strong>Cannot reach the coordinator</strong> at ${location.host}.
    Retrying every ${REFRESH_MS / 1000} s.${since}`);
  banner.hidden = false;
}

function showPageError(error) {
  let box = main.querySelector(".page-error.api");
  if (!box) {
    box = document.createElement("div");
    box.className = "page-error api";
    box.dataset.test = "page-error";
    main.prepend(box);
  }
  setHtml(box, html`<strong>${page.title}:</strong> ${error.message}`);
}

// One refresh of the current page. Only one runs at a time; a refresh asked for meanwhile
// (navigation, an action) runs right after it.
async function tick() {
  timer = null;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  const gen = generation;
  const current = page;
  try {
    const [ov, data] = await Promise.all([get("v1/overview"), current.load()]);
    if (gen === generation) {
      lastContact = Date.now();
      showBanner(null);
      showStatus(ov);
      const stale = main.querySelector(".page-error.api");
      if (stale) stale.remove();
      current.render(data, ov);
      document.body.dataset.ready = "1";
      delete document.body.dataset.error;
    }
  } catch (error) {
    if (gen === generation) {
      if (!(error && typeof error.status === "number")) console.error(error);
      document.body.dataset.error = (error && error.message) || String(error);
      showBanner(error.status === 0 ? error : null);
      if (error.status !== 0) showPageError(error);
    }
  }
  inFlight = false;
  if (again || gen !== generation) {
    again = false;
    tick();
  } else {
    schedule();
  }
}

function schedule() {
  if (timer !== null) return;
  if (document.hidden) return; // resumed by visibilitychange
  timer = setTimeout(tick, REFRESH_MS);
}

function refreshNow() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  tick();
}

function navigate() {
  generation++;
  page = route();
  delete document.body.dataset.ready;
  delete document.body.dataset.error;
  document.title = page.title + " \u00b7 Nagare";
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.nav === page.nav);
  }
  setHtml(main, html`<p class="loading muted">Loading\u2026</p>`);
  page.refresh = refreshNow;
  refreshNow();
}

window.addEventListener("hashchange", navigate);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && timer === null && !inFlight && page) refreshNow();
});
navigate();
