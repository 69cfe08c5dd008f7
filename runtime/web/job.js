// The job page (#/jobs/ID): header and actions, the job graph, the vertex table with its
// subtasks, throughput and watermark-lag charts, checkpoints and restarts.

import { get, post } from "./api.js";
import { BarChart, LineChart, PALETTE } from "./charts.js";
import {
  badge, bytes, clock, count, duration, figure, html, int, meter, millis, percent,
  recordRate, setHtml, stateClass,
} from "./format.js";
import { JobGraph } from "./graph.js";

const ACTIONS = {
  checkpoint: {
    label: "Trigger checkpoint",
    path: "checkpoints",
    question: (job) => `Trigger a checkpoint of \u201c${job.name}\u201d now?`,
    confirm: "Trigger checkpoint",
    working: "Taking a checkpoint\u2026",
    done: (r) => r.status === "FAILED"
      ? { kind: "bad", text: `Checkpoint ${r.id} failed: ${r.reason || "no reason given"}` }
      : { kind: "ok", text: `Checkpoint ${r.id} completed in ${millis(r.duration_ms)} (${bytes(r.bytes)}).` },
  },
  savepoint: {
    label: "Savepoint",
    path: "savepoints",
    question: (job) => `Take a savepoint of \u201c${job.name}\u201d? The job keeps running.`,
    confirm: "Take savepoint",
    working: "Taking a savepoint\u2026",
    done: (r) => ({ kind: "ok", text: `Savepoint ${r.savepoint} taken.` }),
  },
  stop: {
    label: "Stop with savepoint",
    path: "stop",
    danger: true,
    question: (job) => `Stop \u201c${job.name}\u201d? A savepoint is taken, then the job is canceled.`,
    confirm: "Stop job",
    working: "Stopping with a savepoint\u2026",
    done: (r) => ({ kind: "ok", text: `Job stopped; savepoint ${r.savepoint}.` }),
  },
  cancel: {
    label: "Cancel",
    path: "cancel",
    danger: true,
    question: (job) => `Cancel \u201c${job.name}\u201d? What it did since its last checkpoint is lost.`,
    confirm: "Cancel job",
    working: "Canceling\u2026",
    done: () => ({ kind: "ok", text: "Job canceled." }),
  },
};

// Resolves true when the person confirms in the page's dialog.
function confirmAction(question, label, danger) {
  const dialog = document.getElementById("confirm");
  dialog.querySelector(".question").textContent = question;
  const ok = dialog.querySelector('button[value="ok"]');
  ok.textContent = label;
  ok.classList.toggle("danger", !!danger);
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

const SKELETON = html`<div class="job-page">
  <div class="job-head">
    <div class="job-title" data-part="title"></div>
    <div class="job-actions" data-part="actions"></div>
    <div class="job-meta" data-part="meta"></div>
  </div>
  <div data-part="reason"></div>
  <div data-part="notice"></div>
  <div class="figures" data-part="figures"></div>
  <section class="card"><header><h2>Job graph</h2>
    <span class="muted">records per second now; the bar is backpressure</span></header>
    <div class="card-body graph-wrap" data-part="graph"></div></section>
  <section class="card"><header><h2>Vertices</h2>
    <span class="muted">summed over subtasks; ratios and lag are the worst subtask's</span></header>
    <div class="card-body flush scroll-x" data-part="vertices"></div></section>
  <div class="two">
    <section class="card"><header><h2>Throughput</h2>
      <span class="muted">records out per second (sinks: records written)</span></header>
      <div class="card-body" data-part="throughput"></div></section>
    <section class="card"><header><h2>Watermark lag</h2>
      <span class="muted">behind the wall clock</span></header>
      <div class="card-body" data-part="lag"></div></section>
  </div>
  <section class="card"><header><h2>Checkpoints</h2><span data-part="cp-counts"></span></header>
    <div class="card-body">
      <div class="two tight" data-part="cp-charts">
        <div><h3>Duration</h3><div data-part="cp-duration"></div></div>
        <div><h3>Size</h3><div data-part="cp-size"></div></div>
      </div>
    </div>
    <div class="card-body flush scroll-x" data-part="checkpoints"></div></section>
  <section class="card"><header><h2>Restarts</h2><span class="muted" data-part="restart-count"></span></header>
    <div class="card-body flush scroll-x" data-part="restarts"></div></section>
</div>`;

function metricCells(m) {
  return html`<td class="num">${count(m.records_in)}</td>
    <td class="num">${count(m.records_out)}</td>
    <td class="num">${count(m.records_in_per_s)}</td>
    <td class="num">${count(m.records_out_per_s)}</td>
    <td class="num">${percent(m.busy_ratio)}</td>
    <td class="num">${percent(m.idle_ratio)}</td>
    <td class="num bp-${m.backpressured_ratio >= 0.5 ? "high" : m.backpressured_ratio >= 0.1
      ? "low" : "ok"}">${percent(m.backpressured_ratio)}</td>
    <td class="num">${int(m.queued_batches)}</td>
    <td class="num">${millis(m.watermark_lag_ms)}</td>
    <td class="num${m.dead_letters ? " bad-text" : ""}">${int(m.dead_letters)}</td>
    <td class="num">${int(m.late_records)}</td>
    <td class="num">${count(m.state_entries)}</td>`;
}

export class JobPage {
  constructor(main, id) {
    this.main = main;
    this.id = id;
    this.nav = "jobs";
    this.title = `Job ${id}`;
    this.expanded = new Set();
    this.busy = null;     // the action under way
    this.notice = null;   // {kind, text}: the last action's outcome
    this.root = null;
    this.last = null;
  }

  load() {
    const base = `v1/jobs/${this.id}`;
    return Promise.all([get(base), get(base + "/history"), get(base + "/checkpoints"),
      get(base + "/restarts")]);
  }

  part(name) {
    return this.root.querySelector(`[data-part="${name}"]`);
  }

  build() {
    setHtml(this.main, SKELETON);
    this.root = this.main.querySelector(".job-page");
    this.graph = new JobGraph(this.part("graph"));
    this.throughput = new LineChart(this.part("throughput"), { format: count,
      test: "chart-throughput", emptyText: "No samples in the last 5 minutes" });
    this.lag = new LineChart(this.part("lag"), { format: millis, test: "chart-lag",
      emptyText: "No watermarks yet" });
    this.cpDuration = new BarChart(this.part("cp-duration"), { format: millis, height: 150,
      test: "chart-checkpoint-duration", emptyText: "No checkpoints yet" });
    this.cpSize = new BarChart(this.part("cp-size"), { format: bytes, height: 150, binary: true,
      test: "chart-checkpoint-size", emptyText: "No checkpoints yet" });
    this.root.addEventListener("click", (e) => this.click(e));
  }

  click(event) {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle) {
      const id = Number(toggle.dataset.toggle);
      if (this.expanded.has(id)) this.expanded.delete(id);
      else this.expanded.add(id);
      this.renderVertices(this.last[0]);
      return;
    }
    const action = event.target.closest("[data-action]");
    if (action && !this.busy) this.act(action.dataset.action);
    if (event.target.closest("[data-dismiss]")) {
      this.notice = null;
      this.renderNotice();
    }
  }

  async act(name) {
    const spec = ACTIONS[name];
    const job = this.last[0];
    if (!(await confirmAction(spec.question(job), spec.confirm, spec.danger))) return;
    this.busy = name;
    this.notice = { kind: "busy", text: spec.working };
    this.renderActions();
    this.renderNotice();
    try {
      const answer = await post(`v1/jobs/${this.id}/${spec.path}`);
      this.notice = spec.done(answer);
    } catch (error) {
      this.notice = { kind: "bad", text: `${spec.label} failed: ${error.message}` };
    }
    this.busy = null;
    if (this.root.isConnected) {
      this.renderActions();
      this.renderNotice();
      if (this.refresh) this.refresh();
    }
  }

  render(data, ov) {
    if (!this.root || !this.root.isConnected) this.build();
    this.last = data;
    this.ov = ov;
    const [job, history, checkpoints, restarts] = data;
    this.title = job.name;
    document.title = job.name + " \u00b7 Nagare";
    this.colors = new Map((job.vertices || []).map((v, i) => [v.id, PALETTE[i % PALETTE.length]]));
    this.renderHead(job, checkpoints);
    this.renderActions();
    this.renderNotice();
    this.graph.update(job, this.colors);
    this.renderVertices(job);
    this.renderHistory(job, history);
    this.renderCheckpoints(checkpoints);
    this.renderRestarts(restarts);
  }

  renderHead(job, checkpoints) {
    const running = job.state === "RUNNING";
    setHtml(this.part("title"), html`<h1 data-test="job-name">${job.name}</h1>
      ${badge(job.state, "job-state")}${job.restarting
        ? html`<span class="badge busy" data-test="job-restarting">RESTARTING</span>` : ""}`);
    const n = job.restarts || 0;
    setHtml(this.part("meta"), html`<span>Job ${job.id}</span>
      <span>started ${clock(job.start_unix_s)}</span>
      <span data-test="job-duration">${running ? "running for" : "ran for"} ${duration(job.duration_s)}</span>
      <span>parallelism ${job.parallelism}</span>
      <span data-test="job-restarts" class="${n ? "warn-text" : ""}">${n} ${n === 1 ? "restart" : "restarts"}</span>`);
    setHtml(this.part("reason"), job.reason ? html`<div class="reason-box ${stateClass(job.state)}"
      data-test="job-reason">${job.reason}</div>` : "");

    const vs = job.vertices || [];
    const withOut = new Set((job.edges || []).map((e) => e.source));
    const ingest = vs.filter((v) => v.is_source)
      .reduce((a, v) => a + (v.metrics.records_out_per_s || 0), 0);
    const written = vs.filter((v) => !v.is_source && !withOut.has(v.id))
      .reduce((a, v) => a + (v.metrics.records_in_per_s || 0), 0);
    const lags = vs.map((v) => v.metrics.watermark_lag_ms).filter((x) => typeof x === "number");
    const bp = Math.max(0, ...vs.map((v) => v.metrics.backpressured_ratio || 0));
    const latest = checkpoints.latest_completed;
    setHtml(this.part("figures"), html`
      ${figure("Ingest", recordRate(ingest), "read by the sources", "job-ingest")}
      ${figure("Output", recordRate(written), "written by the sinks")}
      ${figure("Watermark lag", lags.length ? millis(Math.max(...lags)) : "\u2014", "worst vertex")}
      ${figure("Backpressure", html`${percent(bp)}`, html`${meter(bp, bp >= 0.5 ? "high"
        : bp >= 0.1 ? "low" : "")} worst vertex`)}
      ${figure("Last checkpoint", latest ? `#${latest.id}` : "\u2014", latest
        ? `${clock(latest.started_unix_s)} \u00b7 ${millis(latest.duration_ms)} \u00b7 ${bytes(latest.bytes)}`
        : "none completed yet", "job-latest-checkpoint")}`);
  }

  renderActions() {
    const job = this.last[0];
    const allowed = this.ov && this.ov.actions_allowed && job.state === "RUNNING";
    if (!allowed) {
      setHtml(this.part("actions"), "");
      return;
    }
    setHtml(this.part("actions"), Object.entries(ACTIONS).map(([name, spec]) => html`<button
      type="button" class="btn${spec.danger ? " danger" : ""}" data-action="${name}"
      data-test="action-${name}"${this.busy ? html` disabled` : ""}>${this.busy === name
        ? html`<span class="spinner"></span>` : ""}${spec.label}</button>`));
  }

  renderNotice() {
    const n = this.notice;
    setHtml(this.part("notice"), n ? html`<div class="notice ${n.kind}" data-test="action-result"
      data-kind="${n.kind}" role="status">${n.kind === "busy" ? html`<span class="spinner"></span>`
      : ""}<span>${n.text}</span>${n.kind === "busy" ? "" : html`<button type="button"
      class="dismiss" data-dismiss="1" aria-label="dismiss">\u00d7</button>`}</div>` : "");
  }

  renderVertices(job) {
    const rows = (job.vertices || []).map((v) => {
      const open = this.expanded.has(v.id);
      const subtasks = open ? (v.subtasks || []).map((s) => html`<tr class="subtask"
          data-test="subtask-row">
        <td></td><td class="name">#${s.subtask} <span class="muted">on ${s.node}</span>
          ${badge(s.state)}</td><td></td>${metricCells(s.metrics || {})}</tr>`) : "";
      return html`<tr data-test="vertex-row" data-vertex-name="${v.name}">
        <td class="toggle-cell"><button type="button" class="toggle" data-toggle="${v.id}"
          aria-expanded="${open ? "true" : "false"}" title="subtasks">${open ? "\u25be" : "\u25b8"}</button></td>
        <td class="name"><i class="dot" style="background:${this.colors.get(v.id)}"></i><span
          class="cut" title="${v.name}">${v.name}</span></td>
        <td class="num">${v.parallelism}</td>${metricCells(v.metrics || {})}</tr>${subtasks}`;
    });
    setHtml(this.part("vertices"), html`<table class="data vertices">
      <thead><tr><th></th><th>Vertex</th><th class="num">Par.</th>
        <th class="num">Records in</th><th class="num">Records out</th>
        <th class="num">In/s</th><th class="num">Out/s</th><th class="num">Busy</th>
        <th class="num">Idle</th><th class="num">Backpr.</th><th class="num">Queued</th>
        <th class="num">WM lag</th><th class="num">Dead letters</th><th class="num">Late</th>
        <th class="num">State entries</th></tr></thead>
      <tbody>${rows}</tbody></table>`);
  }

  renderHistory(job, history) {
    const samples = history.samples || [];
    const vs = job.vertices || [];
    const withOut = new Set((job.edges || []).map((e) => e.source));
    const last = samples.length ? samples[samples.length - 1].t_unix_s : Date.now() / 1000;
    const first = samples.length ? samples[0].t_unix_s : last - 60;
    const domain = [Math.max(first, last - 300), last];
    const series = (pick, label) => vs.map((v) => ({
      key: String(v.id),
      label: label(v),
      color: this.colors.get(v.id),
      points: samples.map((s) => {
        const sv = (s.vertices || []).find((x) => x.id === v.id);
        return [s.t_unix_s, sv ? pick(v, sv) : null];
      }),
    }));
    const sink = (v) => !v.is_source && !withOut.has(v.id);
    this.throughput.update(series((v, sv) => (sink(v) ? sv.records_in_per_s
      : sv.records_out_per_s), (v) => (sink(v) ? v.name + " (written)" : v.name)), domain);
    this.lag.update(series((v, sv) => (typeof sv.watermark_lag_ms === "number"
      ? sv.watermark_lag_ms : null), (v) => v.name), domain);
  }

  renderCheckpoints(cp) {
    const list = cp.history || [];
    const c = cp.counts || {};
    setHtml(this.part("cp-counts"), html`<span class="counts" data-test="checkpoint-counts">
      <span class="ok-text">${c.completed || 0} completed</span> \u00b7
      <span class="${c.failed ? "bad-text" : ""}">${c.failed || 0} failed</span> \u00b7
      <span>${c.in_progress || 0} in progress</span></span>`);
    const cls = (s) => ({ COMPLETED: "ok", FAILED: "bad", IN_PROGRESS: "busy" }[s] || "");
    const tip = (e) => `${e.kind === "SAVEPOINT" ? "Savepoint" : "Checkpoint"} ${e.id}: ${e.status}, ${
      millis(e.duration_ms)}, ${bytes(e.bytes)}`;
    this.part("cp-charts").parentElement.hidden = !list.length;
    const recent = list.slice(-40);
    this.cpDuration.update(recent.map((e) => ({ key: e.id, label: String(e.id),
      value: e.duration_ms, cls: cls(e.status), title: tip(e) })));
    this.cpSize.update(recent.map((e) => ({ key: e.id, label: String(e.id),
      value: e.status === "FAILED" ? 0 : e.bytes, cls: cls(e.status), title: tip(e) })));
    if (!list.length) {
      setHtml(this.part("checkpoints"), html`<p class="muted empty-note">No checkpoints yet.</p>`);
      return;
    }
    const rows = [...list].reverse().slice(0, 50).map((e) => html`<tr data-test="checkpoint-row"
        data-checkpoint-id="${e.id}" data-status="${e.status}">
      <td class="num">${e.id}</td>
      <td>${e.kind === "SAVEPOINT" ? html`<span class="tag">savepoint</span>` : "checkpoint"}</td>
      <td>${badge(e.status, "checkpoint-status")}</td>
      <td class="num">${clock(e.started_unix_s)}</td>
      <td class="num">${e.status === "IN_PROGRESS" ? "\u2026" : millis(e.duration_ms)}</td>
      <td class="num">${e.status === "FAILED" ? "\u2014" : bytes(e.bytes)}</td>
      <td class="num">${millis(e.alignment_ms)}</td>
      <td class="reason-cell">${e.reason}</td></tr>`);
    setHtml(this.part("checkpoints"), html`<table class="data checkpoints">
      <thead><tr><th class="num">ID</th><th>Kind</th><th>Status</th><th class="num">Started</th>
        <th class="num">Duration</th><th class="num">Size</th><th class="num">Alignment</th>
        <th>Reason</th></tr></thead><tbody>${rows}</tbody></table>`);
  }

  renderRestarts(r) {
    const list = r.restarts || [];
    setHtml(this.part("restart-count"), list.length === 1 ? "1 restart" : `${list.length} restarts`);
    if (!list.length) {
      setHtml(this.part("restarts"), html`<p class="muted empty-note">No restarts.</p>`);
      return;
    }
    const rows = [...list].reverse().map((x) => html`<tr data-test="restart-row"
        data-attempt="${x.attempt}">
      <td class="num">${x.attempt}</td><td class="num">${clock(x.at_unix_s)}</td>
      <td class="reason-cell" data-test="restart-reason">${x.reason}</td>
      <td class="num">${x.restored_checkpoint === null || x.restored_checkpoint === undefined
        ? "none" : "#" + x.restored_checkpoint}</td>
      <td class="num">${millis(x.downtime_ms)}</td>
      <td>${badge(x.outcome, "restart-outcome")}</td></tr>`);
    setHtml(this.part("restarts"), html`<table class="data restarts">
      <thead><tr><th class="num">Attempt</th><th class="num">At</th><th>Cause</th>
        <th class="num">Restored checkpoint</th><th class="num">Downtime</th><th>Outcome</th>
      </tr></thead><tbody>${rows}</tbody></table>`);
  }
}
