// Every page of the console: each is an async function of its route's arguments returning the page's element,
// drawn only once its data has arrived (no half-drawn page). Everything shown comes from /api/admin.
import { h, replace, fmtDate, parseTime, errorBox, table } from './dom.js';
import { api, get, qs, download } from './api.js';
import { title, confirmThen, cursorList, facts } from './ui.js';
import { form } from './forms.js';
import { can, session } from './session.js';
import { dashboard } from './dashboard.js';
import { fillBar } from './charts.js';
import { autoReplies, templates } from './replies.js';
import { members } from './members.js';
import { menuPage } from './menu.js';
import { feedback, events } from './aftersale.js';
import { segments } from './segments.js';
import { campaigns } from './campaigns.js';
import { journeys } from './journeys.js';
import { followers } from './followers.js';

/**
 * A list with create, edit and delete, for resources whose list comes back whole (stores, groups, rules, rewards).
 * level: who may create/edit/delete ('admin' or 'write'); the API decides again. load() fetches what the page needs
 * besides the list (alerts, accounts, stats); columns, fields and intro may be functions of it. rowActions(row, show)
 * adds a row's own buttons; show(title, element) opens a card where the editor opens.
 */
function crud({ name, path, columns, fields, toBody = (v) => v, create = 'admin', edit = 'admin', remove = 'admin', removeLabel = 'Delete', canEditRow = () => true, load = async () => ({}), intro = () => null, rowActions = () => null }) {
  return async function page() {
    const [rows, extra] = await Promise.all([get(path), load()]);
    const fieldList = typeof fields === 'function' ? fields(extra) : fields;
    const cols = typeof columns === 'function' ? columns(extra) : columns;
    const holder = h('div', { class: 'editor-slot' });
    const show = (heading, el) => replace(holder, h('section', { class: 'card' }, h('h2', null, heading), el));
    const open = (row) => {
      const f = form({
        id: `${name}-form`,
        fields: fieldList,
        initial: row ?? {},
        submit: row ? 'Save changes' : 'Create',
        onSubmit: async (values) => {
          await api(row ? 'PUT' : 'POST', row ? `${path}/${row.id}` : path, toBody(values, row));
          location.hash = `#/${name}`;
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        },
      });
      show(row ? `Edit #${row.id}` : 'New', f);
    };
    const actions = (row) => h('span', { class: 'row-actions' },
      rowActions(row, show),
      can(edit) && canEditRow(row) ? h('button', { type: 'button', class: 'edit', onclick: () => open(row) }, 'Edit') : null,
      can(remove) ? h('button', { type: 'button', class: 'danger', onclick: confirmThen(`${removeLabel} #${row.id}?`, async () => {
        await api('DELETE', `${path}/${row.id}`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      }) }, removeLabel) : null);
    return h('div', null,
      title(cols.title, can(create) ? h('button', { type: 'button', class: 'new', onclick: () => open(null) }, 'New') : null),
      intro(extra),
      holder,
      table([...cols.list, ['', actions]], rows));
  };
}

const yesNo = (v) => (v ? 'yes' : 'no');

const stores = crud({
  name: 'stores', path: '/stores', create: 'admin', edit: 'write', remove: 'admin', removeLabel: 'Deactivate',
  columns: { title: 'Stores', list: [['#', (r) => r.id], ['Name', (r) => r.name], ['City', (r) => r.city], ['Lat, lng', (r) => `${r.lat}, ${r.lng}`], ['Active', (r) => yesNo(r.active)]] },
  fields: [
    { name: 'name', label: 'Name', required: true }, { name: 'city', label: 'City', required: true },
    { name: 'district', label: 'District (members nearest this store get its city and district)' },
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
    { name: 'tags', label: 'Tags for members it matches (comma-separated)', type: 'list' },
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
    [['#', (r) => r.id], ['At', (r) => fmtDate(r.at)], ['Who', (r) => `${r.actor} (${r.role})`], ['Call', (r) => `${r.method} ${r.path}`], ['Status', (r) => (r.outcome === 'refused' ? h('span', { class: 'refused' }, `${r.statusCode} refused`) : r.statusCode ?? 'pending')],
    ['Store', (r) => (r.storeId === null || r.storeId === undefined ? '' : r.outcome === 'refused' ? `${r.storeId} (asked for; refused)` : r.storeId)], ['Body', (r) => (r.body ? h('code', null, r.body) : '')]],
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
  const depth = await get('/queue');
  const dead = cursorList(
    [['#', (r) => r.id], ['Account', (r) => r.appId], ['To', (r) => r.toUser], ['Kind', (r) => r.kind], ['Attempts', (r) => r.attempts],
      ['Last error', (r) => h('span', { class: 'errcode' }, [r.lastErrcode, r.lastError].filter((x) => x !== null && x !== undefined).join(' '))], ['Created', (r) => fmtDate(r.createdAt)],
      ['', (r) => (can('admin') ? h('button', { type: 'button', class: 'replay', onclick: async (ev) => {
        try { await api('POST', `/queue/dead/${r.id}/replay`); ev.target.replaceWith('replayed'); } catch (e) { ev.target.replaceWith(errorBox(e)); }
      } }, 'Replay') : '')]],
    (cursor) => get(`/queue/dead${qs({ limit: 50, cursor })}`));
  await dead.first();
  return h('div', null, title('Queue'),
    h('section', { class: 'card' }, h('h2', null, 'Depth'), depth.redisAvailable ? null : h('p', { class: 'notice' }, 'Redis is down: sends wait in MySQL as pending.'), facts(depth)),
    h('section', { class: 'card' }, h('h2', null, 'Dead letters'), h('p', null, 'Sends out of attempts, newest first. Replay gives one its attempts back.'), dead.el));
}

// Group QR codes last 7 days; one that expires within 24 h needs a new image now (as /groups/alerts says).
const hoursLeft = (at) => (parseTime(at) - Date.now()) / 3600000;

function qrExpiry(g) {
  const left = hoursLeft(g.qrExpiresAt);
  return h('span', { class: left < 0 ? 'qr expired' : left < 24 ? 'qr expiring' : 'qr' }, fmtDate(g.qrExpiresAt), left < 0 ? ' — expired' : left < 24 ? ' — expires within 24 h' : '');
}

function groupAlerts(alerts) {
  const items = [
    ...alerts.expiringQrCodes.map((a) => `${a.name} (store ${a.storeId}): QR ${a.expired ? 'expired' : 'expires'} ${fmtDate(a.qrExpiresAt)}; upload a new one.`),
    ...alerts.liveCodesWithoutUsableGroup.map((a) => `Live code ${a.name} (${a.code}): no usable group among its ${a.poolSize}; scans get the fallback message.`),
  ];
  return items.length ? h('section', { class: 'card warn', id: 'group-alerts' }, h('h2', null, 'Alerts'), h('ul', null, items.map((t) => h('li', null, t)))) : null;
}

/** The QR fields of a group edit are sent only when changed: left out, the API keeps the current code (even an expired one). */
const minute = (v) => (v ? Math.floor(parseTime(v).getTime() / 60000) : null);

/** Staff confirm that a member joined the group (the API takes a seat unless the member holds one already). */
const confirmJoin = (g, show) => (can('write') ? h('button', { type: 'button', class: 'join', onclick: () => show(`Confirm a join to ${g.name}`, form({
  id: 'join-form', submit: 'Confirm join',
  fields: [{ name: 'memberId', label: 'Member id', type: 'number', step: 1, required: true }],
  onSubmit: async (v) => {
    await api('POST', `/groups/${g.id}/joins`, v);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  },
})) }, 'Confirm join') : null);

const conversion = (s) => (s ? `${s.invitations} → ${s.joins}${s.invitations ? ` (${Math.round(s.conversion * 100)} %)` : ''}` : '');

const groups = crud({
  name: 'groups', path: '/groups', create: 'write', edit: 'write', remove: 'write', removeLabel: 'Deactivate',
  load: async () => {
    const [alerts, stats] = await Promise.all([get('/groups/alerts'), get('/groups/stats')]);
    return { alerts, stats: new Map(stats.groups.map((s) => [s.id, s])) };
  },
  intro: ({ alerts }) => groupAlerts(alerts),
  rowActions: confirmJoin,
  columns: ({ stats }) => ({ title: 'Groups', list: [['#', (g) => g.id], ['Store', (g) => g.storeId], ['Name', (g) => g.name], ['Fill', (g) => fillBar(g.memberCount, g.capacity)], ['Invited → joined', (g) => conversion(stats.get(g.id))], ['QR expires', qrExpiry], ['Usable', (g) => yesNo(g.usable)]] }),
  fields: () => [
    { name: 'storeId', label: 'Store id', type: 'number', step: 1, required: true, default: session.me?.storeIds?.[0] }, { name: 'name', label: 'Name', required: true },
    { name: 'capacity', label: 'Capacity (at most 500)', type: 'number', step: 1, default: 200 }, { name: 'memberCount', label: 'Seats taken', type: 'number', step: 1 },
    { name: 'tags', label: 'Tags (comma-separated)', type: 'list' }, { name: 'owner', label: 'Owner' },
    { name: 'qrImageUrl', label: 'QR image URL (https)' }, { name: 'qrMediaId', label: 'or QR media id' },
    { name: 'qrExpiresAt', label: 'QR expires (at most 7 days ahead)', type: 'datetime' },
    { name: 'intro', label: 'Invitation text ({group}, {store})', type: 'textarea', rows: 2 },
    { name: 'active', label: 'Active', type: 'checkbox', default: true },
  ],
  toBody: (v, row) => (row && v.qrImageUrl === row.qrImageUrl && v.qrMediaId === row.qrMediaId && minute(v.qrExpiresAt) === minute(row.qrExpiresAt)
    ? { ...v, qrImageUrl: null, qrMediaId: null, qrExpiresAt: null } : v),
});

const liveCodes = crud({
  name: 'live-codes', path: '/live-codes', create: 'write', edit: 'write', remove: 'write', removeLabel: 'Deactivate',
  load: async () => ({ accounts: (await get('/accounts')).filter((a) => a.type === 'OfficialAccount') }),
  columns: { title: 'Live codes', list: [['#', (c) => c.id], ['Name', (c) => c.name], ['Code', (c) => c.code], ['Store', (c) => c.storeId ?? 'all'], ['Pool (group ids, in order)', (c) => c.groupIds.join(', ')], ['Active', (c) => yesNo(c.active)],
    ['QR', (c) => h('span', { class: 'qr-cell' },
      h('img', { src: c.qrImageUrl, alt: `QR of live code ${c.name}`, class: 'qr-thumb' }),
      // WeChat's own image is on its host, where a page cannot download it: the gateway draws the same code as a PNG.
      h('button', { type: 'button', class: 'qr-download', onclick: (e) => download(`/live-codes/${c.id}/qr.png`, `live-code-${c.code}.png`)
        .catch((err) => { e.target.textContent = `Download failed: ${err.message}`; }) }, 'Download QR'))]] },
  fields: ({ accounts }) => [
    { name: 'appId', label: 'Official account', type: 'select', options: accounts.map((a) => [a.appId, a.name ? `${a.name} (${a.appId})` : a.appId]) },
    { name: 'code', label: 'Code (letters, digits, - and _; printed in the QR)', required: true }, { name: 'name', label: 'Name', required: true },
    { name: 'storeId', label: 'Store id (blank: brand-wide)', type: 'number', step: 1 }, { name: 'groupIds', label: 'Group ids, in order', type: 'list' },
    { name: 'fallbackMessage', label: 'Message when no group has a seat', type: 'textarea', rows: 2 },
    { name: 'active', label: 'Active', type: 'checkbox', default: true },
    { name: 'tags', label: 'Tags for everyone who follows or scans it (comma-separated)', type: 'list' },
  ],
  toBody: (v) => ({ ...v, groupIds: v.groupIds.map(Number) }),
});

const orderColumns = [['#', (o) => o.id], ['Order', (o) => o.orderNo], ['Paid', (o) => fmtDate(o.paidAt)], ['Amount', (o) => Number(o.amount).toFixed(2)], ['Store', (o) => o.storeId ?? ''],
  ['Member', (o) => (o.memberId ? h('a', { href: `#/members/${o.memberId}` }, o.memberId) : 'waiting for the member')], ['Points', (o) => o.awarded]];

/** Orders from POS or e-commerce: the latest 200, and (admins, store managers) a CSV or JSON file to import. */
async function orders() {
  const listed = h('div', { id: 'orders-list' });
  const reload = async () => replace(listed, table(orderColumns, await get('/orders?limit=200'), { empty: 'No orders yet.' }));
  await reload();
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'orders-file', name: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const importer = h('form', { id: 'orders-import', class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    const text = await file.files[0].text();
    replace(result, h('p', { class: 'status' }, 'Importing…'));
    try {
      // Importing is idempotent by order number: sending the same file again changes nothing.
      const r = await api('POST', '/orders/bulk', text, /^\s*\[/.test(text) ? 'application/json' : 'text/csv');
      replace(result,
        h('p', { class: 'summary' }, `${r.imported} imported · ${r.pending} waiting for their member · ${r.duplicate} already imported · ${r.invalid} invalid`),
        table([['Row', (x) => x.row], ['Order', (x) => x.orderNo ?? ''], ['Result', (x) => x.status], ['Member', (x) => x.memberId ?? ''], ['Points', (x) => x.awarded], ['Problem', (x) => x.error ?? '']], r.rows));
      await reload();
    } catch (e) {
      replace(result, errorBox(e));
    }
  } }, file, h('button', { type: 'submit' }, 'Import'));
  return h('div', null, title('Orders'),
    can('write') ? h('section', { class: 'card' }, h('h2', null, 'Import'),
      h('p', null, 'A CSV with the header orderNo,openId,appId,unionId,phone,amount,storeId,paidAt (amount in yuan, paidAt in ISO 8601), or a JSON array of the same fields.'),
      importer, result) : null,
    listed);
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
  dashboard, 'auto-replies': autoReplies, templates, members, segments, followers, stores, groups, 'live-codes': liveCodes,
  'points-rules': pointsRules, rewards, orders, pushes, queue, campaigns, journeys, 'api-keys': apiKeys, audit,
  menu: menuPage, feedback, events,
};
