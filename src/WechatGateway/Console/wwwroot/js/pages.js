// Every page of the console: each is an async function of its route's arguments returning the page's element,
// drawn only once its data has arrived (no half-drawn page). Everything shown comes from /api/admin.
import { h, replace, fmtDate, notAvailable, errorBox, table } from './dom.js';
import { api, get, optional, qs } from './api.js';
import { title, confirmThen, cursorList, facts, itemsOf } from './ui.js';
import { form } from './forms.js';
import { can } from './session.js';
import { dashboard } from './dashboard.js';
import { autoReplies, templates } from './replies.js';
import { members } from './members.js';

/**
 * A list with create, edit and delete, for resources whose list comes back whole (stores, rules, rewards).
 * level: who may create/edit/delete ('admin' or 'write'); the API decides again.
 */
function crud({ name, path, columns, fields, toBody = (v) => v, create = 'admin', edit = 'admin', remove = 'admin', removeLabel = 'Delete', canEditRow = () => true }) {
  return async function page() {
    const rows = await get(path);
    const holder = h('div', { class: 'editor-slot' });
    const open = (row) => {
      const f = form({
        id: `${name}-form`,
        fields,
        initial: row ?? {},
        submit: row ? 'Save changes' : 'Create',
        onSubmit: async (values) => {
          await api(row ? 'PUT' : 'POST', row ? `${path}/${row.id}` : path, toBody(values, row));
          location.hash = `#/${name}`;
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        },
      });
      replace(holder, h('section', { class: 'card' }, h('h2', null, row ? `Edit #${row.id}` : 'New'), f));
    };
    const actions = (row) => h('span', { class: 'row-actions' },
      can(edit) && canEditRow(row) ? h('button', { type: 'button', class: 'edit', onclick: () => open(row) }, 'Edit') : null,
      can(remove) ? h('button', { type: 'button', class: 'danger', onclick: confirmThen(`${removeLabel} #${row.id}?`, async () => {
        await api('DELETE', `${path}/${row.id}`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      }) }, removeLabel) : null);
    return h('div', null,
      title(columns.title, can(create) ? h('button', { type: 'button', class: 'new', onclick: () => open(null) }, 'New') : null),
      holder,
      table([...columns.list, ['', actions]], rows));
  };
}

const yesNo = (v) => (v ? 'yes' : 'no');

const stores = crud({
  name: 'stores', path: '/stores', create: 'admin', edit: 'write', remove: 'admin', removeLabel: 'Deactivate',
  columns: { title: 'Stores', list: [['#', (r) => r.id], ['Name', (r) => r.name], ['City', (r) => r.city], ['Lat, lng', (r) => `${r.lat}, ${r.lng}`], ['Active', (r) => yesNo(r.active)]] },
  fields: [
    { name: 'name', label: 'Name', required: true }, { name: 'city', label: 'City', required: true },
    { name: 'lat', label: 'Latitude', type: 'number' }, { name: 'lng', label: 'Longitude', type: 'number' },
    { name: 'active', label: 'Active', type: 'checkbox', default: true },
    { name: 'staffAppId', label: 'Staff alerts: official account appId (blank: none)' }, { name: 'staffOpenId', label: 'Staff alerts: staff member OpenID' },
  ],
});

const triggers = ['subscribe', 'checkin', 'keyword', 'scan', 'order', 'feedback'].map((t) => [t, t]);

const pointsRules = crud({
  name: 'points-rules', path: '/points/rules',
  columns: { title: 'Points rules', list: [['#', (r) => r.id], ['Name', (r) => r.name], ['Trigger', (r) => r.trigger], ['Points', (r) => r.points], ['Match key', (r) => r.matchKey ?? ''], ['Daily cap', (r) => r.dailyCap ?? ''], ['Enabled', (r) => yesNo(r.enabled)]] },
  fields: [
    { name: 'name', label: 'Name', required: true }, { name: 'trigger', label: 'Trigger', type: 'select', options: triggers },
    { name: 'points', label: 'Points (per yuan for orders)', type: 'number', step: 1 }, { name: 'appId', label: 'Account (blank: all)' },
    { name: 'matchKey', label: 'Match key (keyword or QR scene)' }, { name: 'dailyCap', label: 'Daily cap', type: 'number', step: 1 },
    { name: 'streakDays', label: 'Streak days', type: 'number', step: 1 }, { name: 'streakBonus', label: 'Streak bonus', type: 'number', step: 1 },
    { name: 'validFrom', label: 'Valid from', type: 'datetime' }, { name: 'validTo', label: 'Valid to', type: 'datetime' },
    { name: 'enabled', label: 'Enabled', type: 'checkbox', default: true },
  ],
});

const rewards = crud({
  name: 'rewards', path: '/rewards',
  columns: { title: 'Rewards', list: [['#', (r) => r.id], ['Name', (r) => r.name], ['Points', (r) => r.points], ['Stock', (r) => r.stock ?? '∞'], ['Per member', (r) => r.perMemberLimit ?? ''], ['Valid to', (r) => fmtDate(r.validTo)], ['Enabled', (r) => yesNo(r.enabled)]] },
  fields: [
    { name: 'name', label: 'Name', required: true }, { name: 'description', label: 'Description', type: 'textarea', rows: 2 },
    { name: 'points', label: 'Points', type: 'number', step: 1 }, { name: 'stock', label: 'Stock (blank: unlimited)', type: 'number', step: 1 },
    { name: 'perMemberLimit', label: 'Per member limit', type: 'number', step: 1 },
    { name: 'validFrom', label: 'Valid from', type: 'datetime' }, { name: 'validTo', label: 'Valid to', type: 'datetime' },
    { name: 'enabled', label: 'Enabled', type: 'checkbox', default: true },
  ],
});

async function audit() {
  const list = cursorList(
    [['#', (r) => r.id], ['At', (r) => fmtDate(r.at)], ['Who', (r) => `${r.actor} (${r.role})`], ['Call', (r) => `${r.method} ${r.path}`], ['Status', (r) => r.statusCode ?? ''], ['Store', (r) => r.storeId ?? ''], ['Body', (r) => (r.body ? h('code', null, r.body) : '')]],
    (cursor) => get(`/audit${qs({ limit: 50, cursor })}`));
  await list.first();
  return h('div', null, title('Audit log'), h('p', null, 'Every admin write and every read of personal data, newest first.'), list.el);
}

async function pushes([status = 'failed']) {
  const list = cursorList(
    [['#', (r) => r.id], ['Received', (r) => fmtDate(r.receivedAt)], ['Account', (r) => r.appId], ['Type', (r) => [r.msgType, r.event].filter(Boolean).join(' / ')], ['Status', (r) => r.status], ['Problem', (r) => r.problem ?? r.lastError ?? ''], ['Attempts', (r) => r.attempts],
      ['', (r) => (can('admin') && (r.status === 'failed' || r.status === 'unparsed')
        ? h('button', { type: 'button', onclick: async (ev) => {
          try { await api('POST', `/pushes/${r.id}/replay`); ev.target.replaceWith('replayed'); } catch (e) { ev.target.replaceWith(errorBox(e)); }
        } }, 'Replay') : '')]],
    (cursor) => get(`/pushes${qs({ status: status === 'all' ? null : status, limit: 50, cursor })}`));
  await list.first();
  return h('div', null, title('Pushes'),
    h('p', { class: 'tabs' }, ['failed', 'unparsed', 'recorded', 'processed', 'all'].map((s) => h('a', { href: `#/pushes/${s}`, class: s === status ? 'current' : '' }, s))),
    list.el);
}

async function queue() {
  const depth = await optional('/queue');
  if (depth === null) return h('div', null, title('Queue'), notAvailable('The send queue (/api/admin/queue)'));
  // Issue 9 names the dead-letter list /queue/dead; /queue/dead-letters is read too, whichever lands.
  const deadPath = (await optional('/queue/dead')) !== null ? '/queue/dead' : '/queue/dead-letters';
  const dead = await optional(deadPath);
  const rows = itemsOf(dead);
  return h('div', null, title('Queue'), h('section', { class: 'card' }, h('h2', null, 'Depth'), facts(depth)),
    h('section', { class: 'card' }, h('h2', null, 'Dead letters'),
      table([['#', (r) => r.id], ['Account', (r) => r.appId ?? ''], ['Kind', (r) => r.kind ?? r.type ?? ''], ['Error', (r) => [r.errcode, r.errmsg ?? r.lastError ?? r.error].filter((x) => x !== undefined && x !== null).join(' ')], ['Failed', (r) => fmtDate(r.failedAt ?? r.at ?? r.createdAt)],
        ['', (r) => (can('admin') ? h('button', { type: 'button', onclick: async (ev) => {
          try { await api('POST', `${deadPath}/${r.id}/replay`); ev.target.replaceWith('replayed'); } catch (e) { ev.target.replaceWith(errorBox(e)); }
        } }, 'Replay') : '')]], rows, { empty: 'No dead letters.' })));
}

const daysLeft = (at) => (at ? (new Date(at) - Date.now()) / 86400000 : Infinity);

async function groups() {
  const data = await optional('/groups');
  if (data === null) return h('div', null, title('Groups'), notAvailable('Store groups (/api/admin/groups)'));
  const alerts = itemsOf(await optional('/groups/alerts'));
  const { fillBar } = await import('./charts.js');
  return h('div', null, title('Groups'),
    alerts.length ? h('section', { class: 'card warn' }, h('h2', null, 'Alerts'), h('ul', null, alerts.map((a) => h('li', null, a.message ?? a.summary ?? a.kind ?? JSON.stringify(a))))) : null,
    table([['#', (g) => g.id], ['Store', (g) => g.storeId], ['Name', (g) => g.name], ['Fill', (g) => fillBar(g.memberCount ?? g.members ?? g.count ?? 0, g.capacity ?? 0)],
      ['QR expires', (g) => {
        const left = daysLeft(g.qrExpiresAt);
        // Group QR codes last 7 days; one that expires within 24 h needs a new image now.
        return h('span', { class: left < 0 ? 'qr expired' : left < 1 ? 'qr expiring' : 'qr' }, g.qrExpiresAt ? fmtDate(g.qrExpiresAt) : '', left < 0 ? ' — expired' : left < 1 ? ' — expires within 24 h' : '');
      }]], itemsOf(data)));
}

async function liveCodes() {
  const data = await optional('/live-codes');
  if (data === null) return h('div', null, title('Live codes'), notAvailable('Live codes (/api/admin/live-codes)'));
  return h('div', null, title('Live codes'),
    table([['#', (c) => c.id], ['Name', (c) => c.name ?? ''], ['Store', (c) => c.storeId ?? ''], ['Scans', (c) => c.scans ?? c.scanCount ?? ''],
      ['QR', (c) => {
        const src = c.qrImageUrl ?? c.imageUrl ?? c.qrUrl;
        return src && /^https?:|^\//.test(src) ? h('span', null, h('img', { src, alt: `QR of live code ${c.id}`, class: 'qr-thumb' }), h('a', { href: src, download: `live-code-${c.id}.png` }, 'Download')) : '';
      }]], itemsOf(data)));
}

async function apiKeys() {
  const keys = await get('/api-keys');
  const shown = h('div');
  const create = form({
    id: 'api-key-form', submit: 'Create key',
    fields: [
      { name: 'name', label: 'Name', required: true },
      { name: 'role', label: 'Role', type: 'select', options: [['Viewer', 'Viewer'], ['StoreManager', 'StoreManager'], ['Admin', 'Admin']] },
      { name: 'storeIds', label: 'Store ids (store managers)', type: 'list' },
    ],
    onSubmit: async (v) => {
      const made = await api('POST', '/api-keys', { ...v, storeIds: v.storeIds.map(Number) });
      replace(shown, h('p', { class: 'notice' }, 'The new key, shown only now: ', h('code', { class: 'new-key' }, made.key)));
    },
  });
  return h('div', null, title('API keys'), h('section', { class: 'card' }, h('h2', null, 'New key'), create, shown),
    table([['#', (k) => k.id], ['Name', (k) => k.name], ['Role', (k) => k.role], ['Stores', (k) => k.storeIds.join(', ')], ['Prefix', (k) => k.keyPrefix], ['Created', (k) => `${fmtDate(k.createdAt)} by ${k.createdBy}`], ['Revoked', (k) => fmtDate(k.revokedAt)],
      ['', (k) => (k.revokedAt ? '' : h('button', { type: 'button', class: 'danger', onclick: confirmThen(`Revoke key ${k.name}?`, async () => {
        await api('DELETE', `/api-keys/${k.id}`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      }) }, 'Revoke'))]], keys));
}

export const pages = {
  dashboard, 'auto-replies': autoReplies, templates, members, stores, groups, 'live-codes': liveCodes,
  'points-rules': pointsRules, rewards, pushes, queue, 'api-keys': apiKeys, audit,
};

