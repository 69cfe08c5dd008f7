// Line and bar charts as plain SVG. A chart keeps its elements and changes their attributes on
// update(), so a refresh redraws nothing from scratch and nothing flickers.

import { axisTime, html, setHtml } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

// Series colours: distinguishable, not loud.
export const PALETTE = ["#2f6fdf", "#e08a1e", "#1a9c74", "#c2418a", "#7a5bd6", "#1593b0",
                        "#7d9b24", "#d0483c"];

function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// 0 and a few round steps (1, 2, 2.5 or 5 times a power of ten) covering max; with `binary`,
// round in the power of 1024 that suits max (bytes: 0, 16 KiB, 32 KiB...).
export function niceTicks(max, wanted = 4, binary = false) {
  if (!(max > 0)) return [0, 1];
  if (binary && max >= 1024) {
    const base = Math.pow(1024, Math.floor(Math.log(max) / Math.log(1024)));
    return niceTicks(max / base, wanted).map((t) => t * base);
  }
  const raw = max / wanted;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// Time ticks on whole 15 s, 30 s, 1 min... boundaries.
function timeTicks(from, to, width) {
  const span = Math.max(1, to - from);
  const wanted = Math.max(2, Math.floor(width / 110));
  const step = [5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((s) => span / s <= wanted)
    || 7200;
  const ticks = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return { ticks, seconds: step < 60 };
}

// "2.00 s" -> "2 s", "1.50 s" -> "1.5 s": axis labels without trailing zeros.
function axisLabel(text) {
  return text.replace(/(\.\d*?)0+(?=\D|$)/, "$1").replace(/\.(?=\D|$)/, "");
}

const MARGIN = { top: 10, right: 14, bottom: 24, left: 58 };

// The frame shared by both kinds: an SVG with grid, axes and a plot group, sized to its box.
class Frame {
  constructor(container, options) {
    this.options = Object.assign({ height: 190, format: String }, options);
    this.root = document.createElement("div");
    this.root.className = "chart";
    if (this.options.test) this.root.dataset.test = this.options.test;
    this.svg = el("svg", { class: "chart-svg", height: this.options.height });
    this.grid = el("g", { class: "grid" }, this.svg);
    this.xAxis = el("g", { class: "axis" }, this.svg);
    this.plot = el("g", { class: "plot" }, this.svg);
    this.overlay = el("g", { class: "overlay" }, this.svg);
    this.empty = el("text", { class: "empty", "text-anchor": "middle" }, this.svg);
    this.root.appendChild(this.svg);
    this.legend = document.createElement("div");
    this.legend.className = "legend";
    this.root.appendChild(this.legend);
    container.appendChild(this.root);
    this.last = null;
    new ResizeObserver(() => this.last && this.draw(...this.last)).observe(this.root);
  }

  size() {
    const width = Math.max(240, Math.floor(this.root.clientWidth || 600));
    const height = this.options.height;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    return {
      width,
      height,
      x0: MARGIN.left,
      x1: width - MARGIN.right,
      y0: height - MARGIN.bottom,
      y1: MARGIN.top,
    };
  }

  // Horizontal grid lines with their labels; returns y(value).
  yScale(box, max) {
    const ticks = niceTicks(max, 4, this.options.binary);
    const top = ticks[ticks.length - 1];
    const y = (v) => box.y0 - (v / top) * (box.y0 - box.y1);
    this.grid.replaceChildren();
    for (const t of ticks) {
      el("line", { x1: box.x0, x2: box.x1, y1: y(t), y2: y(t) }, this.grid);
      const label = el("text", { x: box.x0 - 8, y: y(t) + 4, "text-anchor": "end" }, this.grid);
      label.textContent = axisLabel(this.options.format(t));
    }
    return y;
  }

  showEmpty(box, message) {
    this.empty.setAttribute("x", (box.x0 + box.x1) / 2);
    this.empty.setAttribute("y", (box.y0 + box.y1) / 2);
    this.empty.textContent = message || "";
  }
}

// Lines over time, one per series: [{key, label, color, points: [[unixSeconds, value|null]]}].
export class LineChart extends Frame {
  constructor(container, options) {
    super(container, options);
    this.paths = new Map();
    this.cursor = el("line", { class: "cursor", visibility: "hidden" }, this.overlay);
    this.tip = document.createElement("div");
    this.tip.className = "chart-tip";
    this.tip.hidden = true;
    this.root.appendChild(this.tip);
    this.svg.addEventListener("mousemove", (e) => this.hover(e));
    this.svg.addEventListener("mouseleave", () => this.unhover());
  }

  update(series, domain) {
    this.last = [series, domain];
    this.draw(series, domain);
  }

  draw(series, domain) {
    const box = this.size();
    let [from, to] = domain || [0, 1];
    if (!(to > from)) to = from + 1;
    let max = 0;
    for (const s of series) for (const [, v] of s.points) if (v > max) max = v;
    const y = this.yScale(box, max * 1.05);
    const x = (t) => box.x0 + ((t - from) / (to - from)) * (box.x1 - box.x0);
    this.scale = { x, from, to, box, series };

    this.xAxis.replaceChildren();
    el("line", { x1: box.x0, x2: box.x1, y1: box.y0, y2: box.y0, class: "base" }, this.xAxis);
    const { ticks, seconds } = timeTicks(from, to, box.x1 - box.x0);
    for (const t of ticks) {
      const label = el("text", { x: x(t), y: box.y0 + 16, "text-anchor": "middle" }, this.xAxis);
      label.textContent = axisTime(t, seconds);
    }

    const seen = new Set();
    for (const s of series) {
      seen.add(s.key);
      let path = this.paths.get(s.key);
      if (!path) {
        path = el("path", { class: "line", fill: "none" }, this.plot);
        this.paths.set(s.key, path);
      }
      let d = "";
      let pen = false;
      for (const [t, v] of s.points) {
        if (v === null || v === undefined || t < from) {
          pen = false;
          continue;
        }
        d += (pen ? "L" : "M") + x(t).toFixed(1) + "," + y(v).toFixed(1);
        pen = true;
      }
      path.setAttribute("d", d || "M0,0");
      path.setAttribute("stroke", s.color);
    }
    for (const [key, path] of this.paths) {
      if (!seen.has(key)) {
        path.remove();
        this.paths.delete(key);
      }
    }
    const points = series.reduce((n, s) => n + s.points.length, 0);
    this.showEmpty(box, points ? "" : this.options.emptyText || "No samples yet");

    setHtml(this.legend, series.map((s) => {
      const latest = [...s.points].reverse().find(([, v]) => v !== null && v !== undefined);
      return html`<span class="item"><i style="background:${s.color}"></i>${s.label}
        <b>${latest ? this.options.format(latest[1]) : "\u2014"}</b></span>`;
    }));
    if (this.hoverX !== undefined) this.hover({ offsetX: this.hoverX });
  }

  hover(event) {
    const sc = this.scale;
    if (!sc || !sc.series.length) return;
    const px = event.offsetX;
    this.hoverX = px;
    if (px < sc.box.x0 || px > sc.box.x1) return this.unhover();
    const t = sc.from + ((px - sc.box.x0) / (sc.box.x1 - sc.box.x0)) * (sc.to - sc.from);
    let best = null;
    for (const [tt] of sc.series[0].points) {
      if (best === null || Math.abs(tt - t) < Math.abs(best - t)) best = tt;
    }
    if (best === null) return this.unhover();
    const cx = sc.x(best);
    Object.entries({ x1: cx, x2: cx, y1: sc.box.y1, y2: sc.box.y0, visibility: "visible" })
      .forEach(([k, v]) => this.cursor.setAttribute(k, v));
    const rows = sc.series.map((s) => {
      const p = s.points.find(([tt]) => tt === best);
      const v = p && p[1] !== null && p[1] !== undefined ? this.options.format(p[1]) : "\u2014";
      return html`<div><i style="background:${s.color}"></i>${s.label} <b>${v}</b></div>`;
    });
    setHtml(this.tip, html`<div class="when">${axisTime(best, true)}</div>${rows}`);
    this.tip.hidden = false;
    const left = cx + 12 + 220 > sc.box.width ? cx - 232 : cx + 12;
    this.tip.style.left = Math.max(0, left) + "px";
  }

  unhover() {
    this.hoverX = undefined;
    this.cursor.setAttribute("visibility", "hidden");
    this.tip.hidden = true;
  }
}

// One bar per item, in order: [{key, label, value, cls, title}]; cls colours the bar.
export class BarChart extends Frame {
  update(bars) {
    this.last = [bars];
    this.draw(bars);
  }

  draw(bars) {
    const box = this.size();
    const max = bars.reduce((m, b) => Math.max(m, b.value || 0), 0);
    const y = this.yScale(box, max * 1.05);
    const band = (box.x1 - box.x0) / Math.max(bars.length, 1);
    const width = Math.max(2, Math.min(28, band * 0.7));

    this.xAxis.replaceChildren();
    el("line", { x1: box.x0, x2: box.x1, y1: box.y0, y2: box.y0, class: "base" }, this.xAxis);
    const every = Math.max(1, Math.ceil(bars.length / Math.floor((box.x1 - box.x0) / 36)));
    bars.forEach((b, i) => {
      if ((bars.length - 1 - i) % every) return;
      const label = el("text", {
        x: box.x0 + band * (i + 0.5), y: box.y0 + 16, "text-anchor": "middle",
      }, this.xAxis);
      label.textContent = b.label;
    });

    const rects = this.plot.children;
    while (rects.length > bars.length) rects[rects.length - 1].remove();
    bars.forEach((b, i) => {
      let rect = rects[i];
      if (!rect) {
        rect = el("rect", { rx: 2 }, this.plot);
        el("title", {}, rect);
      }
      const top = y(b.value || 0);
      rect.setAttribute("x", (box.x0 + band * (i + 0.5) - width / 2).toFixed(1));
      rect.setAttribute("width", width.toFixed(1));
      rect.setAttribute("y", Math.min(top, box.y0 - 1).toFixed(1));
      rect.setAttribute("height", Math.max(1, box.y0 - top).toFixed(1));
      rect.setAttribute("class", "bar " + (b.cls || ""));
      rect.firstChild.textContent = b.title || "";
    });
    this.showEmpty(box, bars.length ? "" : this.options.emptyText || "Nothing yet");
  }
}
