// The job graph as SVG: vertices as boxes in columns by their depth from the sources, edges
// as arrows labelled with their partitioning. Boxes keep their elements between refreshes;
// only their figures change.

import { html, setHtml, percent, pressureLevel, rate } from "./format.js";

const BOX_W = 288;
const BOX_H = 104;
const GAP_X = 112;
const GAP_Y = 30;
const PAD = 18;

// Column (longest path from a source) and row of each vertex, rows ordered so that a vertex
// sits near the vertices that feed it.
export function layout(vertices, edges) {
  const ids = vertices.map((v) => v.id);
  const known = new Set(ids);
  const inputs = new Map(ids.map((id) => [id, []]));
  const outputs = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.target)) continue;
    outputs.get(e.source).push(e.target);
    inputs.get(e.target).push(e.source);
  }
  // Kahn's order; a vertex on a cycle (not expected) keeps depth 0.
  const depth = new Map(ids.map((id) => [id, 0]));
  const pending = new Map(ids.map((id) => [id, inputs.get(id).length]));
  const ready = ids.filter((id) => pending.get(id) === 0);
  while (ready.length) {
    const id = ready.shift();
    for (const t of outputs.get(id)) {
      depth.set(t, Math.max(depth.get(t), depth.get(id) + 1));
      pending.set(t, pending.get(t) - 1);
      if (pending.get(t) === 0) ready.push(t);
    }
  }
  const columns = [];
  for (const id of ids) {
    const d = depth.get(id);
    (columns[d] = columns[d] || []).push(id);
  }
  const row = new Map();
  columns.forEach((col, c) => {
    const key = (id) => {
      const ins = inputs.get(id).filter((s) => row.has(s));
      return c === 0 || !ins.length ? id : ins.reduce((a, s) => a + row.get(s), 0) / ins.length;
    };
    col.sort((a, b) => key(a) - key(b) || a - b);
    col.forEach((id, r) => row.set(id, r));
  });
  const rows = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * GAP_Y;
  const width = PAD * 2 + columns.length * BOX_W + Math.max(0, columns.length - 1) * GAP_X;
  const pos = new Map();
  columns.forEach((col, c) => {
    if (!col) return;
    const colHeight = col.length * BOX_H + (col.length - 1) * GAP_Y;
    const top = (height - colHeight) / 2;
    col.forEach((id, r) => pos.set(id, { x: PAD + c * (BOX_W + GAP_X), y: top + r * (BOX_H + GAP_Y) }));
  });
  return { pos, width, height };
}

// Cuts the text of an SVG element to `width` pixels, with an ellipsis.
function fit(node, width) {
  const full = node.textContent;
  let n = full.length;
  while (n > 1 && node.getComputedTextLength() > width) node.textContent = full.slice(0, --n) + "\u2026";
}

function edgePath(a, b) {
  const x1 = a.x + BOX_W;
  const y1 = a.y + BOX_H / 2;
  const x2 = b.x - 2;
  const y2 = b.y + BOX_H / 2;
  const bend = Math.max(30, (x2 - x1) / 2);
  if (x2 <= x1) {
    // A backward edge (a cycle): around below the boxes.
    const low = Math.max(a.y, b.y) + BOX_H + GAP_Y / 2;
    return { d: `M${x1},${y1} C${x1 + 40},${low} ${x2 - 40},${low} ${x2},${y2}`,
             mx: (x1 + x2) / 2, my: low };
  }
  return { d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
           mx: (x1 + x2) / 2, my: (y1 + y2) / 2 };
}

// The figures a box shows: records in (none for a source) and out (a sink's are the records
// it writes, which are its records in).
function figures(v) {
  const m = v.metrics || {};
  return {
    inText: v.is_source ? "\u2014" : rate(m.records_in_per_s),
    outKey: v.is_sink ? "written" : "out",
    outText: rate(v.is_sink ? m.records_in_per_s : m.records_out_per_s),
    outValue: v.is_sink ? m.records_in_per_s : m.records_out_per_s,
    bp: m.backpressured_ratio,
    bar: ((BOX_W - 32) * Math.max(0, Math.min(1, m.backpressured_ratio || 0))).toFixed(1),
    busy: m.busy_ratio,
  };
}

function vertexBox(v, p, color) {
  const f = figures(v);
  const kind = v.is_source ? " \u00b7 source" : v.is_sink ? " \u00b7 sink" : "";
  return html`<g class="vertex bp-${pressureLevel(f.bp)}" transform="translate(${p.x},${p.y})"
      data-test="graph-vertex" data-vertex-id="${v.id}" data-vertex-name="${v.name}">
    <title>${v.name}</title>
    <rect class="box" width="${BOX_W}" height="${BOX_H}" rx="6"></rect>
    <rect class="stripe" width="5" height="${BOX_H}" rx="2"></rect>
    <circle cx="20" cy="20" r="4.5" fill="${color}"></circle>
    <text class="name" x="31" y="24" data-test="vertex-name">${v.name}</text>
    <text class="sub" x="16" y="44">parallelism ${v.parallelism}${kind}</text>
    <text class="figure" x="16" y="66"><tspan class="k">in</tspan> <tspan
      data-field="in">${f.inText}</tspan></text>
    <text class="figure" x="${BOX_W - 14}" y="66" text-anchor="end"><tspan class="k"
      data-field="out-key">${f.outKey}</tspan> <tspan data-field="out" data-test="vertex-throughput"
      data-value="${f.outValue}">${f.outText}</tspan></text>
    <rect class="track" x="16" y="77" width="${BOX_W - 32}" height="5" rx="2.5"></rect>
    <rect class="level" data-field="bar" x="16" y="77" height="5" rx="2.5" width="${f.bar}"></rect>
    <text class="sub" x="16" y="96" data-field="bp" data-test="vertex-backpressure">backpressure ${
      percent(f.bp)}</text>
    <text class="sub" x="${BOX_W - 14}" y="96" text-anchor="end" data-field="busy">busy ${
      percent(f.busy)}</text>
  </g>`;
}

export class JobGraph {
  constructor(container) {
    this.container = container;
    this.shape = null;
  }

  // job: the answer of GET /v1/jobs/{id}; colors: vertex id -> its series colour.
  update(job, colors) {
    const vertices = job.vertices || [];
    const edges = job.edges || [];
    const withOut = new Set(edges.map((e) => e.source));
    for (const v of vertices) v.is_sink = !v.is_source && !withOut.has(v.id);
    const shape = JSON.stringify([vertices.map((v) => [v.id, v.name, v.parallelism]), edges]);
    if (shape !== this.shape) {
      this.shape = shape;
      this.draw(vertices, edges, colors);
      return;
    }
    for (const v of vertices) this.refresh(v);
  }

  draw(vertices, edges, colors) {
    if (!vertices.length) {
      setHtml(this.container, html`<p class="muted">This job has no vertices.</p>`);
      return;
    }
    const { pos, width, height } = layout(vertices, edges);
    const arrows = edges.filter((e) => pos.has(e.source) && pos.has(e.target)).map((e) => {
      const { d, mx, my } = edgePath(pos.get(e.source), pos.get(e.target));
      const w = e.partition.length * 7 + 14;
      return html`<g class="edge" data-test="graph-edge" data-source="${e.source}"
          data-target="${e.target}" data-partition="${e.partition}">
        <path d="${d}" marker-end="url(#arrow)"></path>
        <rect x="${mx - w / 2}" y="${my - 10}" width="${w}" height="20" rx="10"></rect>
        <text x="${mx}" y="${my + 4}" text-anchor="middle">${e.partition}</text>
      </g>`;
    });
    const boxes = vertices.map((v) => vertexBox(v, pos.get(v.id), colors.get(v.id)));
    // Narrower windows scale the graph down to 3/4 at most, then scroll it.
    setHtml(this.container, html`<svg class="graph" width="${width}" height="${height}"
        style="min-width:${Math.round(width * 0.75)}px"
        viewBox="0 0 ${width} ${height}" role="img" aria-label="job graph">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
        markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"></path></marker>
      </defs>${arrows}${boxes}</svg>`);
    for (const name of this.container.querySelectorAll("text.name")) fit(name, BOX_W - 45);
  }

  // New figures into an existing box.
  refresh(v) {
    const g = this.container.querySelector(`g.vertex[data-vertex-id="${Number(v.id)}"]`);
    if (!g) return;
    const f = figures(v);
    const set = (field, text) => {
      const node = g.querySelector(`[data-field="${field}"]`);
      if (node.textContent !== text) node.textContent = text;
      return node;
    };
    set("in", f.inText);
    set("out-key", f.outKey);
    set("out", f.outText).dataset.value = String(f.outValue);
    set("bp", "backpressure " + percent(f.bp));
    set("busy", "busy " + percent(f.busy));
    g.querySelector('[data-field="bar"]').setAttribute("width", f.bar);
    g.setAttribute("class", "vertex bp-" + pressureLevel(f.bp));
  }
}
