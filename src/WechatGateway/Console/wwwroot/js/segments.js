// Segments: saved member filters, each with its live count and first 20 members. The filter's fields are the API's
// (every one optional, all ANDed); a 400 names the field, shown beside it.
import { h, replace, fmtDate, fmtNum, errorBox, table } from './dom.js';
import { api, get } from './api.js';
import { title, confirmThen } from './ui.js';
import { form } from './forms.js';
import { can } from './session.js';

const STAGES = 'follower, registered, customer, repeat, dormant, lost';

const fields = [
  { name: 'name', label: 'Name', required: true },
  { name: 'filter.appId', label: 'Account appId (needed for a campaign)' },
  { name: 'filter.stages', label: `Stages (any of: ${STAGES})`, type: 'list' },
  { name: 'filter.tagsAll', label: 'Has every tag', type: 'list' },
  { name: 'filter.tagsAny', label: 'Has any tag', type: 'list' },
  { name: 'filter.tagsNone', label: 'Has none of the tags', type: 'list' },
  { name: 'filter.tiers', label: 'Tiers (any of)', type: 'list' },
  { name: 'filter.storeIds', label: 'Home stores (ids, any of)', type: 'list' },
  { name: 'filter.cities', label: 'Cities (any of)', type: 'list' },
  { name: 'filter.firstChannel', label: 'First channel (QR scene)' },
  { name: 'filter.pointsMin', label: 'Points at least', type: 'number', step: 1 },
  { name: 'filter.pointsMax', label: 'Points at most', type: 'number', step: 1 },
  { name: 'filter.rfm.r', label: 'Recency score min, max (1–5)', type: 'list' },
  { name: 'filter.rfm.f', label: 'Frequency score min, max (1–5)', type: 'list' },
  { name: 'filter.rfm.m', label: 'Monetary score min, max (1–5)', type: 'list' },
  { name: 'filter.lastInteractionAfter', label: 'Last seen after', type: 'datetime' },
  { name: 'filter.lastInteractionBefore', label: 'Last seen before', type: 'datetime' },
  { name: 'filter.subscribed', label: 'Follows', type: 'select', options: [['', 'either'], ['true', 'yes'], ['false', 'no']] },
];

const numbers = (list) => (list.length ? list.map(Number) : null);

/** The form's flat values as the API's { name, filter }: empty fields left out. */
function toBody(v) {
  const rfm = { r: numbers(v['filter.rfm.r']), f: numbers(v['filter.rfm.f']), m: numbers(v['filter.rfm.m']) };
  const filter = {
    appId: v['filter.appId'], stages: v['filter.stages'], tagsAll: v['filter.tagsAll'], tagsAny: v['filter.tagsAny'], tagsNone: v['filter.tagsNone'],
    tiers: v['filter.tiers'], storeIds: numbers(v['filter.storeIds']), cities: v['filter.cities'], firstChannel: v['filter.firstChannel'],
    pointsMin: v['filter.pointsMin'], pointsMax: v['filter.pointsMax'], rfm: rfm.r || rfm.f || rfm.m ? rfm : null,
    lastInteractionAfter: v['filter.lastInteractionAfter'], lastInteractionBefore: v['filter.lastInteractionBefore'],
    subscribed: v['filter.subscribed'] === null ? null : v['filter.subscribed'] === 'true',
  };
  return { name: v.name, filter: Object.fromEntries(Object.entries(filter).filter(([, x]) => x !== null && !(Array.isArray(x) && !x.length))) };
}

/** A saved segment as the form's flat values. */
function toForm(s) {
  const f = s.filter ?? {};
  return {
    name: s.name, 'filter.appId': f.appId, 'filter.stages': f.stages, 'filter.tagsAll': f.tagsAll, 'filter.tagsAny': f.tagsAny,
    'filter.tagsNone': f.tagsNone, 'filter.tiers': f.tiers, 'filter.storeIds': f.storeIds, 'filter.cities': f.cities,
    'filter.firstChannel': f.firstChannel, 'filter.pointsMin': f.pointsMin, 'filter.pointsMax': f.pointsMax,
    'filter.rfm.r': f.rfm?.r, 'filter.rfm.f': f.rfm?.f, 'filter.rfm.m': f.rfm?.m,
    'filter.lastInteractionAfter': f.lastInteractionAfter, 'filter.lastInteractionBefore': f.lastInteractionBefore,
    'filter.subscribed': f.subscribed === undefined || f.subscribed === null ? '' : String(f.subscribed),
  };
}

const previewOf = (p) => h('div', { id: 'segment-preview' },
  h('p', null, h('strong', { id: 'segment-count' }, fmtNum(p.count)), ' members', p.count > p.members.length ? ` — the first ${p.members.length}:` : ''),
  table([['#', (m) => h('a', { href: `#/members/${m.memberId}` }, m.memberId)], ['Nickname', (m) => h('span', { class: 'nickname' }, m.nickname ?? '')],
    ['Stage', (m) => m.stage], ['Home store', (m) => m.homeStoreId ?? ''], ['Last seen', (m) => fmtDate(m.lastInteractionAt)]], p.members, { empty: 'No member matches.' }));

export async function segments() {
  const rows = await get('/segments');
  const holder = h('div', { class: 'editor-slot' });
  const show = (heading, ...el) => replace(holder, h('section', { class: 'card' }, h('h2', null, heading), el));
  const open = (row) => {
    const result = h('div');
    const count = h('button', { type: 'button', class: 'link', id: 'segment-count-draft', onclick: async () => {
      try { replace(result, previewOf(await api('POST', '/segments/preview', toBody(f.values()).filter))); } catch (e) { replace(result, errorBox(e)); }
    } }, 'Count now');
    const f = form({
      id: 'segment-form', fields, initial: row ? toForm(row) : {}, submit: row ? 'Save changes' : 'Create',
      extra: h('div', null, count, result),
      onSubmit: async (v) => {
        await api(row ? 'PUT' : 'POST', row ? `/segments/${row.id}` : '/segments', toBody(v));
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      },
    });
    show(row ? `Edit #${row.id}` : 'New segment', f);
  };
  const preview = async (row) => {
    try { show(`${row.name}: preview`, previewOf(await get(`/segments/${row.id}/preview`))); } catch (e) { show(row.name, errorBox(e)); }
  };
  const actions = (row) => h('span', { class: 'row-actions' },
    h('button', { type: 'button', class: 'preview', onclick: () => preview(row) }, 'Preview'),
    can('write') ? h('button', { type: 'button', class: 'edit', onclick: () => open(row) }, 'Edit') : null,
    can('write') ? h('button', { type: 'button', class: 'danger', onclick: confirmThen(`Delete segment #${row.id}?`, async () => {
      await api('DELETE', `/segments/${row.id}`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }) }, 'Delete') : null);
  return h('div', null,
    title('Segments', can('write') ? h('button', { type: 'button', class: 'new', onclick: () => open(null) }, 'New') : null),
    h('p', null, 'Saved member filters: every field is optional and all of them must hold. Counts and previews are live; a store manager sees its stores\u2019 members only.'),
    holder,
    table([['#', (r) => r.id], ['Name', (r) => r.name], ['Account', (r) => r.appId ?? 'any'], ['By', (r) => r.createdBy], ['Updated', (r) => fmtDate(r.updatedAt)], ['', actions]], rows, { empty: 'No segment yet.' }));
}
