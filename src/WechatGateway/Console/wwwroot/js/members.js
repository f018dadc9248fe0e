// Members: search, and a member's detail with its profile (tags, RFM), timeline and points ledger. Nicknames are a stranger's text: they go
// into text nodes only.
import { h, replace, fmtDate, fmtNum, errorBox, table } from './dom.js';
import { api, get, qs } from './api.js';
import { form } from './forms.js';
import { can } from './session.js';
import { title, cursorList, confirmThen } from './ui.js';

async function search() {
  const input = h('input', { id: 'member-query', type: 'search', placeholder: 'OpenID, UnionID, phone or nickname prefix' });
  const results = h('div', { id: 'member-results' });
  let limit = 50;
  const run = async () => {
    try {
      const found = await get(`/members${qs({ query: input.value.trim(), limit })}`);
      replace(results,
        table([['#', (m) => h('a', { href: `#/members/${m.memberId}` }, m.memberId)], ['Nickname', (m) => h('span', { class: 'nickname' }, m.nickname ?? '')], ['Stage', (m) => m.stage], ['Phone', (m) => (m.phoneBound ? 'bound' : '')], ['Home store', (m) => m.homeStoreId ?? ''], ['Last seen', (m) => fmtDate(m.lastInteractionAt)]],
          found, { empty: 'No member matches.', pageSize: 200 }),
        // The search answers at most 200; beyond that the query must be narrower.
        found.length === limit && limit < 200 ? h('button', { type: 'button', class: 'more', onclick: () => { limit = Math.min(200, limit + 50); run(); } }, 'Load more') : null);
    } catch (e) {
      replace(results, errorBox(e));
    }
  };
  await run();
  return h('div', null, title('Members'),
    h('form', { id: 'member-search', class: 'inline', onsubmit: (ev) => { ev.preventDefault(); limit = 50; run(); } }, input, h('button', { type: 'submit' }, 'Search')),
    results);
}

async function detail(id) {
  const d = await get(`/members/${encodeURIComponent(id)}`);
  const m = d.member;
  const phone = h('span', { id: 'member-phone' }, d.phone ?? '—');
  const ledger = cursorList(
    [['At', (l) => fmtDate(l.at)], ['Change', (l) => (l.delta > 0 ? `+${l.delta}` : l.delta)], ['Reason', (l) => l.reason], ['Balance', (l) => l.balanceAfter], ['Expires', (l) => fmtDate(l.expiresAt)]],
    (cursor) => get(`/members/${encodeURIComponent(id)}/points${qs({ limit: 50, cursor })}`));
  await ledger.first();
  const adjust = can('admin') ? form({
    id: 'points-adjust', submit: 'Adjust points',
    fields: [{ name: 'delta', label: 'Points (negative to deduct)', type: 'number', step: 1, required: true }, { name: 'reason', label: 'Reason', required: true }],
    onSubmit: async (v) => {
      await api('POST', `/members/${encodeURIComponent(id)}/points`, { ...v, requestId: crypto.randomUUID() });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
  }) : null;
  return h('div', null,
    title(h('span', { class: 'nickname' }, m.nickname ?? `Member ${m.memberId}`)),
    h('dl', { class: 'facts' },
      h('dt', null, 'Member'), h('dd', null, m.memberId), h('dt', null, 'Stage'), h('dd', null, m.stage),
      h('dt', null, 'Tier'), h('dd', null, m.tier), h('dt', null, 'Points'), h('dd', null, `${fmtNum(m.points.balance)} (lifetime ${fmtNum(m.points.lifetime)})`),
      h('dt', null, 'Phone'), h('dd', null, phone, can('admin') && d.phone ? h('button', { type: 'button', class: 'link', onclick: async (ev) => {
        try { const r = await api('POST', `/members/${encodeURIComponent(id)}/reveal-phone`); phone.textContent = r.phone ?? '—'; ev.target.remove(); } catch (e) { ev.target.replaceWith(errorBox(e)); }
      } }, 'Reveal (audited)') : null),
      h('dt', null, 'City'), h('dd', null, [m.city, d.district].filter(Boolean).join(' · ')), h('dt', null, 'Home store'), h('dd', null, m.homeStoreId ?? ''),
      h('dt', null, 'UnionID'), h('dd', null, d.unionId ?? ''), h('dt', null, 'First channel'), h('dd', null, d.firstChannel ?? ''),
      h('dt', null, 'Since'), h('dd', null, fmtDate(d.createdAt)), h('dt', null, 'Tags'), h('dd', { id: 'member-tags' }, d.tags.join(', ')),
      h('dt', null, 'RFM'), h('dd', { id: 'member-rfm' }, rfm(d.rfm))),
    can('write') ? h('section', { class: 'card' }, h('h2', null, 'Tags'), form({
      id: 'member-tags-form', submit: 'Save tags',
      fields: [{ name: 'tags', label: 'Tags (comma-separated; rules, live codes and WeChat add their own)', type: 'list' }],
      initial: { tags: d.tags },
      onSubmit: async (v) => {
        await api('PUT', `/members/${encodeURIComponent(id)}/tags`, { tags: v.tags });
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      },
    })) : null,
    h('section', { class: 'card' }, h('h2', null, 'Identities'), table([['Account', (i) => i.appId], ['OpenID', (i) => i.openId], ['Type', (i) => i.accountType], ['Since', (i) => fmtDate(i.createdAt)]], d.identities)),
    h('section', { class: 'card' }, h('h2', null, 'Follows'), table([['Account', (f) => f.appId], ['Following', (f) => (f.subscribed ? 'yes' : 'no')], ['Followed', (f) => fmtDate(f.subscribedAt)], ['Unfollowed', (f) => fmtDate(f.unsubscribedAt)], ['Re-follows', (f) => f.resubscribes], ['First scene', (f) => f.firstScene ?? '']], d.follows)),
    h('section', { class: 'card' }, h('h2', null, 'Timeline'), h('ol', { class: 'timeline', id: 'member-timeline' }, d.timeline.map((t) => h('li', null, h('time', null, fmtDate(t.at)), ' ', h('strong', null, t.kind), ' ', t.summary)))),
    h('section', { class: 'card' }, h('h2', null, 'Points ledger'), ledger.el, adjust),
    // The member's right to erasure: profile, phone and raw pushes go; points and the ledger stay (audited).
    can('admin') ? h('section', { class: 'card' }, h('h2', null, 'Personal data'),
      h('p', null, 'Erases nickname, avatar, city, gender, phone and the raw XML of this member\'s pushes. Points and the ledger stay.'),
      h('button', { type: 'button', class: 'danger', id: 'erase-personal-data', onclick: confirmThen(`Erase the personal data of member ${m.memberId}? This cannot be undone.`, async () => {
        await api('DELETE', `/members/${encodeURIComponent(id)}/personal-data`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      }) }, 'Erase personal data')) : null);
}

/** Scores 1–5 (recency, frequency, monetary) and the figures they score, or a dash before the first scored order. */
const rfm = (r) => (r ? `R${r.r} F${r.f} M${r.m} — last order ${fmtDate(r.lastOrderAt)}, ${fmtNum(r.orders)} orders, ${fmtNum(r.amount)} yuan` : '—');

export const members = ([id]) => (id ? detail(id) : search());
