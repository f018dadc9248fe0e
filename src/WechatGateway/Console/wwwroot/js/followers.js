// Followers: for each official account, the imports of its existing followers (with their progress, refreshed while
// one runs), its WeChat tags with the member tags mirrored there, and its mass sends (masssend.js). Tag names are a stranger's text: text nodes only.
import { h, replace, fmtDate, fmtNum, errorBox, table } from './dom.js';
import { api, get } from './api.js';
import { form } from './forms.js';
import { can } from './session.js';
import { title } from './ui.js';
import { massSendCard } from './masssend.js';

const done = (s) => s.imported + s.updated + s.unchanged + s.failed;

function syncTable(syncs) {
  return table([
    ['#', (s) => s.id], ['State', (s) => (s.resumeAt ? `paused until ${fmtDate(s.resumeAt)}` : s.state)],
    ['Progress', (s) => `${fmtNum(done(s))} of ${fmtNum(s.total)}`], ['Imported', (s) => fmtNum(s.imported)], ['Updated', (s) => fmtNum(s.updated)],
    ['Unchanged', (s) => fmtNum(s.unchanged)], ['Unfollowed', (s) => fmtNum(s.unfollowed)], ['Failed', (s) => fmtNum(s.failed)],
    ['Started', (s) => `${fmtDate(s.createdAt)} by ${s.requestedBy ?? ''}`], ['Finished', (s) => fmtDate(s.finishedAt)], ['Note', (s) => s.error ?? ''],
  ], syncs, { empty: 'No sync yet.' });
}

async function accountCard(account) {
  const path = `/accounts/${encodeURIComponent(account.appId)}`;
  const syncs = h('div', { class: 'syncs', 'data-app-id': account.appId });
  const status = h('p', { class: 'status', role: 'status' });
  const drawSyncs = async () => {
    try {
      const list = await get(`${path}/sync`);
      replace(syncs, syncTable(list));
      // While a sync runs, its counts are read again every 3 seconds, as long as this card is on the page.
      if (list.some((s) => s.state === 'running') && syncs.isConnected) setTimeout(drawSyncs, 3000);
    } catch (e) {
      replace(syncs, errorBox(e));
    }
  };
  const start = can('admin') ? h('button', { type: 'button', class: 'new', onclick: async () => {
    try {
      const started = await api('POST', `${path}/sync`);
      replace(status, `Sync ${started.id} started.`);
    } catch (e) {
      replace(status, errorBox(e));
    }
    await drawSyncs();
  } }, 'Import followers') : null;

  const tags = await get(`${path}/tags`);
  const mirror = can('admin') ? form({
    id: `mirror-${account.appId}`, submit: 'Mirror on WeChat',
    fields: [{ name: 'tag', label: 'Member tag to mirror', required: true }],
    onSubmit: async (v) => {
      await api('POST', `${path}/tags/mirrors`, v);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
  }) : null;
  await drawSyncs();
  return h('section', { class: 'card' },
    h('h2', null, account.name ?? account.appId, ' ', h('small', null, account.appId)),
    h('h3', null, 'Follower imports'), start, status, syncs,
    h('h3', null, 'WeChat tags'),
    table([['Id', (t) => t.tagId], ['Name', (t) => t.name], ['Mirrors member tag', (t) => t.mirrors ?? '']], tags, { empty: 'No tag read yet: an import reads them.' }),
    mirror);
}

export async function followers() {
  const accounts = (await get('/accounts')).filter((a) => a.type === 'OfficialAccount');
  return h('div', null, title('Followers'),
    h('p', null, 'Import an official account\'s existing followers as members (one member per UnionID, no points, no welcome), and keep member tags mirrored as WeChat tags.'),
    await Promise.all(accounts.map(async (a) => [await accountCard(a), await massSendCard(a)])));
}
