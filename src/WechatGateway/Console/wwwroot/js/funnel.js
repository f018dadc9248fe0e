// The channel funnel on the dashboard (GET /api/admin/dashboard/funnel): scan → follow → member → group → purchase for
// the members who first scanned a live code in a date range, for all the key's stores, one store or one live code.
import { h, replace, errorBox } from './dom.js';
import { get, qs } from './api.js';
import { funnelChart } from './charts.js';

const LABELS = { scan: 'Scans', follow: 'Follows', member: 'Members', group: 'Group joins', purchase: 'First purchase' };
const iso = (d) => d.toISOString().slice(0, 10);

export async function funnelPanel() {
  const [stores, codes] = await Promise.all([get('/stores').catch(() => []), get('/live-codes').catch(() => [])]);
  const today = new Date();
  const from = h('input', { type: 'date', name: 'from', id: 'funnel-from', value: iso(new Date(today.getTime() - 29 * 86400000)) });
  const to = h('input', { type: 'date', name: 'to', id: 'funnel-to', value: iso(today) });
  const store = h('select', { name: 'storeId', id: 'funnel-store' }, h('option', { value: '' }, 'All my stores'), stores.map((x) => h('option', { value: x.id }, x.name)));
  const code = h('select', { name: 'liveCodeId', id: 'funnel-code' }, h('option', { value: '' }, 'All live codes'), codes.map((x) => h('option', { value: x.id }, x.name)));
  const chart = h('div', { id: 'funnel-chart' });
  const draw = async () => {
    try {
      const f = await get(`/dashboard/funnel${qs({ storeId: store.value, liveCodeId: code.value, from: from.value, to: to.value })}`);
      replace(chart, funnelChart(`Channel funnel (${f.from} to ${f.to})`, f.steps.map((x) => ({ ...x, label: LABELS[x.step] ?? x.step }))));
    } catch (e) {
      replace(chart, errorBox(e));
    }
  };
  const filters = h('form', { class: 'filters', id: 'funnel-filters', onsubmit: (ev) => { ev.preventDefault(); draw(); } },
    h('label', null, 'Store ', store), h('label', null, 'Live code ', code), h('label', null, 'From ', from), h('label', null, 'To ', to),
    h('button', { type: 'submit' }, 'Show'));
  await draw();
  return h('div', { class: 'funnel-panel' }, filters, chart);
}
