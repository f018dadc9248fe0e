// The dashboard: every number as a chart, drawn here from /api/admin/dashboard/*, /groups and /queue. A chart whose
// API fails shows the error in its place; the others still draw.
import { h, errorBox } from './dom.js';
import { get } from './api.js';
import { lineChart, barChart } from './charts.js';
import { title } from './ui.js';
import { funnelPanel } from './funnel.js';

const day = (d) => String(d).slice(5);

/** A chart with nothing to draw says so, instead of an empty frame. */
const orEmpty = (title, items, draw, none) => (items.length ? draw(title, items) : h('figure', { class: 'chart-box' }, h('figcaption', null, title), h('p', { class: 'empty' }, none)));

async function panel(load) {
  try { return await load(); } catch (e) { return h('div', { class: 'chart-box' }, errorBox(e)); }
}

export async function dashboard() {
  const panels = await Promise.all([
    panel(async () => {
      const rows = await get('/dashboard/follows?days=30');
      return lineChart('Follows and unfollows per day (30 days)', rows.map((r) => day(r.day)), [
        { name: 'follows', values: rows.map((r) => r.follows) }, { name: 'unfollows', values: rows.map((r) => r.unfollows) }]);
    }),
    panel(async () => {
      const rows = await get('/dashboard/stages');
      return orEmpty('Members by lifecycle stage', rows.map((r, i) => ({ label: r.stage, value: r.members, color: i })), barChart, 'No members yet.');
    }),
    panel(async () => {
      const rows = await get('/dashboard/points?days=30');
      return lineChart('Points issued and spent per day (30 days)', rows.map((r) => day(r.day)), [
        { name: 'issued', values: rows.map((r) => r.issued) }, { name: 'spent', values: rows.map((r) => r.spent) }]);
    }),
    panel(async () => {
      const sends = await get('/dashboard/sends');
      return orEmpty('Sends by errcode (30 days)', sends.map((x, i) => ({ label: x.errcode === 0 ? 'delivered (0)' : String(x.errcode), value: x.count, color: x.errcode === 0 ? 0 : 1 + (i % 4) })), barChart, 'No finished sends yet.');
    }),
    panel(async () => {
      const byStore = new Map();
      for (const g of await get('/groups')) {
        const s = byStore.get(g.storeId) ?? { value: 0, max: 0 };
        s.value += g.memberCount;
        s.max += g.capacity;
        byStore.set(g.storeId, s);
      }
      return orEmpty('Group fill per store', [...byStore].map(([store, s]) => ({ label: `store ${store}`, ...s })), barChart, 'No groups yet.');
    }),
    panel(async () => {
      const q = await get('/queue');
      // Sent is the outbox's history, not depth; what waits or needs a hand is.
      return barChart(q.redisAvailable ? 'Queue depth' : 'Queue depth (Redis is down: MySQL figures only)', [
        ['pending', q.statuses.pending], ['queued', q.statuses.queued], ['in flight', q.inFlight], ['failed', q.statuses.failed], ['dead', q.statuses.dead],
      ].map(([label, value], i) => ({ label, value: value ?? 0, color: i })));
    }),
    panel(funnelPanel),
    panel(async () => {
      const rows = await get('/feedback/ratings');
      return orEmpty('Average rating per store (after-purchase surveys)', rows.map((r) => ({ label: `${r.storeName ?? 'no store'} (${r.answers})`, value: r.average, max: 5, color: r.average <= 2 ? 1 : 0 })), barChart, 'No survey answers yet.');
    }),
  ]);
  return h('div', null, title('Dashboard'), h('div', { class: 'charts', id: 'charts' }, panels));
}
