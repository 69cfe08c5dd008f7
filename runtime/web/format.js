// Markup that escapes what it is given, and the units people read.
//
// Every string from the coordinator (job and vertex names, failure reasons, node names) is
// untrusted: it only reaches the DOM through html`...`, which escapes each interpolated value
// unless it is itself a fragment made by html`...`.

export class Html {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function piece(value) {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join("");
  if (value === null || value === undefined || value === false) return "";
  return esc(value);
}

// A template tag: html`<td>${name}</td>` escapes name; fragments and arrays of fragments nest.
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Html(out);
}

const shown = new WeakMap();

// Puts a fragment into an element (the only way markup enters the page); nothing happens when
// the element already shows exactly that markup.
export function setHtml(element, fragment) {
  const text = piece(fragment);
  if (shown.get(element) === text) return;
  shown.set(element, text);
  element.innerHTML = text;
}

const isNum = (x) => typeof x === "number" && Number.isFinite(x);
const DASH = "\u2014";

// 950, 12.3 K, 1.2 M, 4.56 G: three significant digits at most.
export function count(n) {
  if (!isNum(n)) return DASH;
  const a = Math.abs(n);
  if (a < 1000) return a >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
  const units = ["K", "M", "G", "T", "P"];
  let v = a;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  const text = v.toFixed(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return (n < 0 ? "-" : "") + text + " " + units[i];
}

export function rate(perSecond) {
  return isNum(perSecond) ? count(perSecond) + "/s" : DASH;
}

// Records per second in a sentence: "1.2 M records/s".
export function recordRate(perSecond) {
  return isNum(perSecond) ? count(perSecond) + " records/s" : DASH;
}

// 512 B, 10.0 KiB, 3.25 MiB.
export function bytes(n) {
  if (!isNum(n)) return DASH;
  if (Math.abs(n) < 1024) return Math.round(n) + " B";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toFixed(digits === 2 && i === 0 ? 1 : digits) + " " + units[i];
}

// 0.4 ms, 35 ms, 1.25 s, then as a duration.
export function millis(ms) {
  if (!isNum(ms)) return DASH;
  if (ms < 10) return ms.toFixed(1).replace(/\.0$/, "") + " ms";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  return duration(ms / 1000);
}

const pad = (n) => String(n).padStart(2, "0");

// 42s, 5m 07s, 1h 02m, 3d 04h.
export function duration(seconds) {
  if (!isNum(seconds)) return DASH;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + pad(s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60)) + "m";
  return Math.floor(s / 86400) + "d " + pad(Math.floor((s % 86400) / 3600)) + "h";
}

// 0.4 -> "40%"; below 1% one decimal.
export function percent(ratio) {
  if (!isNum(ratio)) return DASH;
  const p = ratio * 100;
  return (p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)) + "%";
}

// A wall-clock time: 14:03:07 today, "Mar 4, 14:03" otherwise.
export function clock(unixSeconds) {
  if (!isNum(unixSeconds)) return DASH;
  const d = new Date(unixSeconds * 1000);
  const now = new Date();
  const hms = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  if (d.toDateString() === now.toDateString()) return hms;
  const month = d.toLocaleString("en", { month: "short" });
  return month + " " + d.getDate() + ", " + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

// Time of day for chart axes: 14:03 or 14:03:10.
export function axisTime(unixSeconds, withSeconds) {
  const d = new Date(unixSeconds * 1000);
  const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
  return withSeconds ? hm + ":" + pad(d.getSeconds()) : hm;
}

export function int(n) {
  return isNum(n) ? Math.round(n).toLocaleString("en") : DASH;
}

// The CSS class of a state's badge.
export function stateClass(state) {
  switch (state) {
    case "RUNNING":
    case "ALIVE":
    case "COMPLETED":
      return "ok";
    case "FAILED":
    case "LOST":
    case "GAVE_UP":
    case "UNREACHABLE":
      return "bad";
    case "IN_PROGRESS":
    case "RESTARTING":
    case "DRAINING":
    case "CREATED":
      return "busy";
    case "STOPPED":
      return "warn";
    default:
      return "done";
  }
}

export function badge(state, test) {
  const cls = "badge " + stateClass(state);
  if (!test) return html`<span class="${cls}">${state}</span>`;
  return html`<span class="${cls}" data-test="${test}" data-state="${state}">${state}</span>`;
}

// Backpressure level as Flink shows it: ok below 10%, low below 50%, high above.
export function pressureLevel(ratio) {
  if (!isNum(ratio) || ratio < 0.1) return "ok";
  return ratio < 0.5 ? "low" : "high";
}

// A thin horizontal bar for a ratio in [0, 1].
export function meter(ratio, level) {
  const w = isNum(ratio) ? Math.max(0, Math.min(1, ratio)) * 100 : 0;
  return html`<span class="meter ${level || ""}"><span style="width:${w.toFixed(1)}%"></span></span>`;
}

// A figure card: a label, a big value and a note under it.
export function figure(label, value, note, test) {
  return html`<div class="figure-card"${test ? html` data-test="${test}"` : ""}>
    <div class="label">${label}</div><div class="value">${value}</div>
    <div class="note">${note || "\u00a0"}</div></div>`;
}

// A titled card; `extra` goes to the right of the title.
export function section(title, body, extra) {
  return html`<section class="card"><header><h2>${title}</h2>${extra || ""}</header>
    <div class="card-body">${body}</div></section>`;
}
