"""A self-contained interactive page: inline SVG and a small force layout in plain JavaScript.

No CDN, no fetch, no external file: the page works from a USB stick in an air-gapped room, like
the rest of graphmem. The Python layout gives the starting positions, so the page opens on the
same picture as the PNG; dragging a node lets the force layout settle its neighbours around it.
Every user-supplied string reaches the page as JSON (with ``<``, ``>`` and ``&`` escaped) and is
inserted with ``textContent``, or through ``html.escape`` in the facts table: names cannot inject
markup.
"""

from __future__ import annotations

import html
import json
from typing import Any

from graphmem.viz._layout import CLOSED_COLOUR, GraphView

PX_PER_IN = 72.0


def page(view: GraphView, title: str) -> str:
    """The whole HTML document for ``view``."""
    data = {
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "type": n.type,
                "label": n.label.split("\n"),
                "x": n.x * PX_PER_IN,
                "y": -n.y * PX_PER_IN,
                "r": n.radius_pt,
                "colour": n.colour,
                "degree": n.degree,
                "side": n.side,
            }
            for n in view.nodes
        ],
        "edges": [
            {
                "s": e.source,
                "t": e.target,
                "types": list(e.types),
                "current": e.current,
                "rad": e.rad,
                "lt": e.label_t,
                "labelled": e.labelled,
                "facts": [_fact(f) for f in e.facts],
            }
            for e in view.edges
        ],
        "legend": [{"type": t, "count": c, "colour": view.colours[t]} for t, c in view.type_counts],
        "closed": CLOSED_COLOUR,
    }
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
    # </script> or <!-- inside a name must not end the script element
    payload = payload.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    summary = f"{len(view.nodes)} entities, {sum(len(e.facts) for e in view.edges)} relations"
    return (
        _TEMPLATE.replace("__TITLE__", html.escape(title))
        .replace("__SUMMARY__", html.escape(summary))
        .replace("__TABLE__", _table(view))
        .replace("__DATA__", payload)
    )


def _fact(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in ("relationship", "fact", "actor_id", "valid_from", "valid_to")}


def _table(view: GraphView) -> str:
    """Every fact as a table row: readable without JavaScript, and searchable with Ctrl+F."""
    names = {n.id: n.name for n in view.nodes}
    rows = []
    for e in view.edges:
        for f in e.facts:
            cells = (names[e.source], f["relationship"], names[e.target], f["fact"], f["actor_id"] or "",
                     _short(f["valid_from"]), _short(f["valid_to"]))  # fmt: skip
            cls = "" if e.current else ' class="closed"'
            rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    if not rows:
        return "<p>No relations in this scope yet.</p>"
    head = "".join(
        f"<th>{h}</th>" for h in ("source", "relation", "target", "fact", "said by", "from", "until")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _short(when: Any) -> str:
    return str(when)[:16].replace("T", " ") if when else ""


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1a1a1a; }
  header { padding: 10px 16px; border-bottom: 1px solid #ddd; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 16px; margin: 0; }
  header .summary { color: #666; }
  #legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; }
  #legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 50%;
    background: var(--c); margin-right: 4px; vertical-align: -1px; }
  #legend .closed::before { border-radius: 0; height: 0; border-top: 2px dashed #9a9a9a; background: none; }
  #stage { width: 100%; height: 72vh; display: block; background: #fcfcfc; cursor: grab; touch-action: none; }
  .node circle { stroke: #fff; stroke-width: 1.5; cursor: pointer; }
  .node text { font-size: 12px; paint-order: stroke; stroke: #fff; stroke-width: 3px;
    pointer-events: none; }
  .edge path { fill: none; stroke-width: 1.4; }
  .edge .hit { stroke: transparent; stroke-width: 10; cursor: help; }
  .edge text { font-size: 9.5px; text-anchor: middle; fill: #333; paint-order: stroke; stroke: #fff;
    stroke-width: 3px; pointer-events: none; }
  .edge.closed text { fill: #9a9a9a; font-style: italic; }
  .dim { opacity: 0.15; }
  #tip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #bbb; border-radius: 4px;
    padding: 6px 8px; font-size: 12px; max-width: 360px; box-shadow: 0 2px 6px rgba(0,0,0,.15); display: none; }
  #tip .meta { color: #666; }
  details { padding: 8px 16px; }
  table { border-collapse: collapse; font-size: 12px; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; }
  tr.closed td { color: #888; }
</style>
</head>
<body>
<header><h1>__TITLE__</h1><span class="summary">__SUMMARY__</span><div id="legend"></div>
<span class="summary">drag nodes, scroll to zoom, drag the background to pan, hover for facts</span></header>
<svg id="stage" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="tip"></div>
<details><summary>All facts</summary>__TABLE__</details>
<script>
"use strict";
const DATA = __DATA__;
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("stage"), tip = document.getElementById("tip");
const el = (tag, attrs, parent) => { const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; };
const short = (t) => t ? String(t).slice(0, 16).replace("T", " ") : "";

const legend = document.getElementById("legend");
for (const item of DATA.legend) { const s = document.createElement("span");
  s.style.setProperty("--c", item.colour); s.textContent = item.type.toLowerCase() + " (" + item.count + ")";
  legend.appendChild(s); }
if (DATA.edges.some(e => !e.current)) { const s = document.createElement("span");
  s.className = "closed"; s.textContent = "closed relation"; legend.appendChild(s); }

const defs = el("defs", {}, svg);
for (const [id, colour] of [["arrow", "#555"], ["arrow-closed", DATA.closed]]) {
  const m = el("marker", {id: id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse"}, defs);
  el("path", {d: "M0,0 L10,5 L0,10 z", fill: colour}, m);
}
const world = el("g", {}, svg);
const edgeLayer = el("g", {}, world), nodeLayer = el("g", {}, world);
const byId = new Map(DATA.nodes.map(n => [n.id, n]));

if (!DATA.nodes.length) {
  el("text", {x: 0, y: 0, "text-anchor": "middle", fill: "#555"}, world).textContent = "No entities in this scope yet.";
}

for (const e of DATA.edges) {
  e.src = byId.get(e.s); e.dst = byId.get(e.t);
  e.g = el("g", {class: "edge" + (e.current ? "" : " closed")}, edgeLayer);
  e.hit = el("path", {class: "hit"}, e.g);
  e.path = el("path", {stroke: e.current ? "#555" : DATA.closed,
    "marker-end": "url(#" + (e.current ? "arrow" : "arrow-closed") + ")"}, e.g);
  if (!e.current) e.path.setAttribute("stroke-dasharray", "5 4");
  e.text = el("text", {}, e.g);
  if (!e.labelled) e.text.setAttribute("display", "none");  // no clear spot: the tooltip has it
  e.types.forEach((t, i) => { const ts = el("tspan", {dy: i ? "1.1em" : 0}, e.text); ts.textContent = t; ts.dataset.i = i; });
  e.hit.addEventListener("pointermove", ev => showTip(ev, edgeTip(e)));
  e.hit.addEventListener("pointerleave", hideTip);
}
for (const n of DATA.nodes) {
  n.vx = 0; n.vy = 0; n.edges = DATA.edges.filter(e => e.src === n || e.dst === n);
  n.g = el("g", {class: "node"}, nodeLayer);
  n.circle = el("circle", {r: n.r, fill: n.colour}, n.g);
  n.text = el("text", {}, n.g);
  placeLabel(n);
  n.circle.addEventListener("pointerdown", ev => startDrag(ev, n));
  n.circle.addEventListener("pointermove", ev => { if (!dragging) showTip(ev, nodeTip(n)); });
  n.circle.addEventListener("pointerenter", () => highlight(n));
  n.circle.addEventListener("pointerleave", () => { hideTip(); if (!dragging) highlight(null); });
}

// The label goes on the side the Python layout chose, away from the node's arrows.
function placeLabel(n) {
  const lines = n.label.length, gap = n.r + 4, lh = 13.8;
  const anchor = {below: "middle", above: "middle", right: "start", left: "end"}[n.side] || "middle";
  const x = {right: gap, left: -gap}[n.side] || 0;
  const top = n.side === "below" ? gap + 10 : n.side === "above" ? -gap - (lines - 1) * lh - 2 : 4 - (lines - 1) * lh / 2;
  n.text.setAttribute("text-anchor", anchor);
  n.label.forEach((line, i) => { const ts = el("tspan", {x: x, y: top + i * lh}, n.text); ts.textContent = line; });
}
function edgeTip(e) {
  const box = document.createElement("div");
  for (const f of e.facts) {
    const p = document.createElement("div"); const b = document.createElement("b");
    b.textContent = f.fact || (e.src.name + " " + f.relationship + " " + e.dst.name); p.appendChild(b);
    const meta = document.createElement("div"); meta.className = "meta";
    meta.textContent = f.relationship + " \u00b7 said by " + (f.actor_id || "unknown") + " \u00b7 valid from " +
      short(f.valid_from) + (f.valid_to ? " until " + short(f.valid_to) : " (current)");
    p.appendChild(meta); box.appendChild(p);
  }
  return box;
}
function nodeTip(n) {
  const box = document.createElement("div"); const b = document.createElement("b"); b.textContent = n.name;
  const meta = document.createElement("div"); meta.className = "meta";
  meta.textContent = n.type.toLowerCase() + " \u00b7 " + n.edges.length + " relation" + (n.edges.length === 1 ? "" : "s");
  box.append(b, meta); return box;
}
function showTip(ev, content) { tip.replaceChildren(content); tip.style.display = "block";
  tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 14) + "px"; }
function hideTip() { tip.style.display = "none"; }
function highlight(n) {
  const near = n ? new Set([n, ...n.edges.flatMap(e => [e.src, e.dst])]) : null;
  for (const m of DATA.nodes) m.g.classList.toggle("dim", !!near && !near.has(m));
  for (const e of DATA.edges) e.g.classList.toggle("dim", !!n && e.src !== n && e.dst !== n);
}

// Geometry: a quadratic curve bent by rad (same convention as matplotlib's arc3), cut at the circles.
function render() {
  for (const e of DATA.edges) {
    const a = e.src, b = e.dst;
    if (a === b) { const d = `M${a.x},${a.y - a.r} a${a.r},${a.r} 0 1 1 ${a.r},${a.r}`;
      e.path.setAttribute("d", d); e.hit.setAttribute("d", d); placeText(e, a.x + 2 * a.r, a.y - 2 * a.r); continue; }
    const dx = b.x - a.x, dy = b.y - a.y, rad = -e.rad;  // SVG's y axis points down
    const cx = (a.x + b.x) / 2 + rad * dy, cy = (a.y + b.y) / 2 - rad * dx;
    const s = cut(a, cx, cy, a.r + 1), t = cut(b, cx, cy, b.r + 2);
    const d = `M${s[0]},${s[1]} Q${cx},${cy} ${t[0]},${t[1]}`;
    e.path.setAttribute("d", d); e.hit.setAttribute("d", d);
    const k = e.lt, j = 1 - k;  // the label's spot on the curve, chosen by the Python layout
    placeText(e, j * j * a.x + 2 * j * k * cx + k * k * b.x, j * j * a.y + 2 * j * k * cy + k * k * b.y);
  }
  for (const n of DATA.nodes) n.g.setAttribute("transform", `translate(${n.x},${n.y})`);
}
function cut(n, towardX, towardY, by) { const dx = towardX - n.x, dy = towardY - n.y, len = Math.hypot(dx, dy) || 1;
  return [n.x + dx / len * by, n.y + dy / len * by]; }
function placeText(e, x, y) { const lines = e.types.length;
  e.text.setAttribute("transform", `translate(${x},${y - (lines - 1) * 5.5 + 3})`);
  for (const ts of e.text.children) ts.setAttribute("x", 0); }

// Force layout: springs along edges at their starting length, repulsion between nearby nodes.
const rest = new Map(DATA.edges.map(e => [e, Math.max(60, Math.hypot(e.dst.x - e.src.x, e.dst.y - e.src.y))]));
let alpha = 0, dragging = null, frame = 0;
function tick() {
  const nodes = DATA.nodes;
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) {
    const a = nodes[i], b = nodes[j]; let dx = b.x - a.x, dy = b.y - a.y, d2 = dx * dx + dy * dy;
    if (d2 > 90000) continue; if (d2 < 1) { dx = (i % 2) - 0.5; dy = 0.5; d2 = 0.5; }
    const f = 1800 * alpha / d2; a.vx -= dx * f; a.vy -= dy * f; b.vx += dx * f; b.vy += dy * f;
  }
  for (const e of DATA.edges) { if (e.src === e.dst) continue;
    const dx = e.dst.x - e.src.x, dy = e.dst.y - e.src.y, d = Math.hypot(dx, dy) || 1;
    const f = (d - rest.get(e)) / d * 0.08 * alpha;
    e.src.vx += dx * f; e.src.vy += dy * f; e.dst.vx -= dx * f; e.dst.vy -= dy * f; }
  for (const n of nodes) { if (n === dragging) { n.vx = n.vy = 0; continue; }
    n.vx *= 0.6; n.vy *= 0.6; n.x += n.vx; n.y += n.vy; }
  render();
  alpha *= 0.97;
  frame = alpha > 0.005 || dragging ? requestAnimationFrame(tick) : 0;
}
function heat() { alpha = Math.max(alpha, 0.5); if (!frame) frame = requestAnimationFrame(tick); }

// View box: fit the drawing, then pan and zoom.
let view = {x: 0, y: 0, w: 100, h: 100};
function fit() {
  if (!DATA.nodes.length) { view = {x: -200, y: -60, w: 400, h: 120}; applyView(); return; }
  const xs = DATA.nodes.map(n => n.x), ys = DATA.nodes.map(n => n.y), pad = 70;
  view = {x: Math.min(...xs) - pad, y: Math.min(...ys) - pad, w: Math.max(...xs) - Math.min(...xs) + 2 * pad,
          h: Math.max(...ys) - Math.min(...ys) + 2 * pad};
  applyView();
}
function applyView() { svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`); }
function toWorld(ev) { const p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse()); }
svg.addEventListener("wheel", ev => { ev.preventDefault(); const p = toWorld(ev), k = ev.deltaY > 0 ? 1.1 : 1 / 1.1;
  view = {x: p.x - (p.x - view.x) * k, y: p.y - (p.y - view.y) * k, w: view.w * k, h: view.h * k}; applyView(); },
  {passive: false});
let pan = null;
svg.addEventListener("pointerdown", ev => { if (ev.target === svg) { pan = toWorld(ev); svg.setPointerCapture(ev.pointerId); } });
function startDrag(ev, n) { ev.stopPropagation(); dragging = n; hideTip(); highlight(n);
  svg.setPointerCapture(ev.pointerId); heat(); }
svg.addEventListener("pointermove", ev => {
  if (dragging) { const p = toWorld(ev); dragging.x = p.x; dragging.y = p.y; heat(); }
  else if (pan) { const p = toWorld(ev); view.x -= p.x - pan.x; view.y -= p.y - pan.y; applyView(); }
});
svg.addEventListener("pointerup", () => { if (dragging) highlight(null); dragging = null; pan = null; });
render(); fit();
</script>
</body>
</html>
"""
