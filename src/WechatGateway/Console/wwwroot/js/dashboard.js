// The dashboard: every number as a chart, drawn here from /api/admin/dashboard/* and the queue and groups APIs
// (their charts say so when this gateway does not serve them yet).
import { h, notAvailable, errorBox } from './dom.js';
import { get, optional } from './api.js';
import { lineChart, barChart } from './charts.js';
import { title, facts, itemsOf } from './ui.js';

const day = (d) => String(d).slice(5);

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
      return rows.length ? barChart('Members by lifecycle stage', rows.map((r, i) => ({ label: r.stage, value: r.members, color: i })))
        : h('figure', { class: 'chart-box' }, h('figcaption', null, 'Members by lifecycle stage'), h('p', { class: 'empty' }, 'No members yet.'));
    }),
    panel(async () => {
      const rows = await get('/dashboard/points?days=30');
      return lineChart('Points issued and spent per day (30 days)', rows.map((r) => day(r.day)), [
        { name: 'issued', values: rows.map((r) => r.issued) }, { name: 'spent', values: rows.map((r) => r.spent) }]);
    }),
    panel(async () => {
      const sends = await optional('/dashboard/sends');
      if (sends === null) return h('figure', { class: 'chart-box' }, h('figcaption', null, 'Sends by errcode'), notAvailable('Send statistics (/api/admin/dashboard/sends)'));
      return barChart('Sends by errcode', itemsOf(sends).map((s, i) => ({ label: s.errcode === 0 ? 'delivered (0)' : String(s.errcode), value: s.count ?? s.sends ?? 0, color: s.errcode === 0 ? 0 : 1 + (i % 4) })));
    }),
    panel(async () => {
      const groups = await optional('/groups');
      if (groups === null) return h('figure', { class: 'chart-box' }, h('figcaption', null, 'Group fill per store'), notAvailable('Store groups (/api/admin/groups)'));
      const byStore = new Map();
      for (const g of itemsOf(groups)) {
        const s = byStore.get(g.storeId) ?? { value: 0, max: 0 };
        s.value += g.memberCount ?? g.members ?? g.count ?? 0;
        s.max += g.capacity ?? 0;
        byStore.set(g.storeId, s);
      }
      return barChart('Group fill per store', [...byStore].map(([store, s]) => ({ label: `store ${store}`, ...s })));
    }),
    panel(async () => {
      const q = await optional('/queue');
      if (q === null) return h('figure', { class: 'chart-box' }, h('figcaption', null, 'Queue depth'), notAvailable('The send queue (/api/admin/queue)'));
      const numbers = Object.entries(q).filter(([k, v]) => typeof v === 'number' && !/age|seconds|ms$/i.test(k));
      return numbers.length ? barChart('Queue depth', numbers.map(([k, v], i) => ({ label: k, value: v, color: i }))) : h('figure', { class: 'chart-box' }, h('figcaption', null, 'Queue depth'), facts(q));
    }),
  ]);
  return h('div', null, title('Dashboard'), h('div', { class: 'charts', id: 'charts' }, panels));
}
