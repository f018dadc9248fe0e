// Charts as inline SVG, drawn here from the API's numbers: no chart library, nothing from a CDN.
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#07c160', '#fa5151', '#10aeff', '#ffc300', '#6467f0', '#888'];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function legend(series) {
  return h('ul', { class: 'legend' }, series.map((x, i) => h('li', null, h('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }), x.name)));
}

/** Lines over days: labels on x, one polyline per series. */
export function lineChart(title, labels, series) {
  const W = 560, H = 220, L = 44, B = 28, T = 10, R = 10;
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const x = (i) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart line' });
  for (const f of [0, 0.5, 1]) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: 'grid' }));
    svg.append(s('text', { x: L - 6, y: y(max * f) + 4, 'text-anchor': 'end', class: 'axis' }, Number((max * f).toFixed(1))));
  }
  const step = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((label, i) => { if (i % step === 0) svg.append(s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'axis' }, label)); });
  series.forEach((ser, n) => {
    svg.append(s('polyline', { points: ser.values.map((v, i) => `${x(i)},${y(v)}`).join(' '), fill: 'none', stroke: COLORS[n % COLORS.length], 'stroke-width': 2, 'data-series': ser.name }));
  });
  return h('figure', { class: 'chart-box' }, h('figcaption', null, title), svg, legend(series));
}

/** Horizontal bars: one per item, value and optional max (a fill bar when max is given). */
export function barChart(title, items) {
  const W = 560, row = 26, L = 150, R = 70;
  const H = Math.max(row, items.length * row) + 8;
  const max = Math.max(1, ...items.map((i) => i.max ?? i.value));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart bar' });
  items.forEach((item, i) => {
    const y = 4 + i * row;
    const scale = (W - L - R) / (item.max ?? max);
    svg.append(s('text', { x: L - 8, y: y + 16, 'text-anchor': 'end', class: 'axis' }, item.label));
    if (item.max) svg.append(s('rect', { x: L, y: y + 3, width: W - L - R, height: row - 8, class: 'track' }));
    svg.append(s('rect', { x: L, y: y + 3, width: Math.max(1, item.value * scale), height: row - 8, fill: COLORS[(item.color ?? i) % COLORS.length], class: 'bar' }));
    svg.append(s('text', { x: W - R + 6, y: y + 16, class: 'axis' }, item.max ? `${item.value}/${item.max}` : item.value));
  });
  return h('figure', { class: 'chart-box' }, h('figcaption', null, title), svg);
}

/** A bar that shows how full something is (a group); turns amber past 80 % and red when full. */
export function fillBar(value, max) {
  const pct = max > 0 ? Math.min(100, Math.round((value * 100) / max)) : 0;
  const level = pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok';
  return h('span', { class: `fill ${level}`, title: `${value} of ${max}` }, h('span', { class: 'fill-track' }, h('span', { class: 'fill-bar', style: `width:${pct}%` })), h('span', { class: 'fill-text' }, `${value}/${max} (${pct}%)`));
}

/**
 * A funnel: one centred bar per step, its width the step's count over the first step's; the count and the conversion
 * from the step before it beside it.
 */
export function funnelChart(title, steps) {
  const W = 560, row = 34, L = 110, R = 150;
  const H = steps.length * row + 8;
  const max = Math.max(1, ...steps.map((x) => x.count));
  const mid = L + (W - L - R) / 2;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart funnel' });
  steps.forEach((step, i) => {
    const y = 4 + i * row;
    const width = Math.max(2, ((W - L - R) * step.count) / max);
    const g = s('g', { 'data-step': step.step, 'data-count': step.count });
    g.append(s('text', { x: L - 8, y: y + 20, 'text-anchor': 'end', class: 'axis' }, step.label));
    g.append(s('rect', { x: mid - width / 2, y: y + 3, width, height: row - 8, fill: COLORS[i % COLORS.length], class: 'bar' }));
    const conversion = step.conversion === null || step.conversion === undefined ? '' : ` · ${+(step.conversion * 100).toFixed(2)}%`;
    g.append(s('text', { x: W - R + 8, y: y + 20, class: 'axis value' }, `${step.count}${conversion}`));
    svg.append(g);
  });
  return h('figure', { class: 'chart-box' }, h('figcaption', null, title), svg);
}
