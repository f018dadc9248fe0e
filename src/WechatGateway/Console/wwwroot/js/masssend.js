// Mass send (群发) of one official account, a card beside its Followers card: WeChat's limits now, a message to every follower or
// to a mirrored tag (a segment goes through a campaign with the "mass" channel), a preview to one follower first, and
// the send's status with WeChat's totals, read again every 3 s until its report comes. Text nodes only.
import { h, replace, fmtNum, errorBox, table } from './dom.js';
import { api, get } from './api.js';
import { form } from './forms.js';
import { can } from './session.js';

const fields = [
  { name: 'massTarget', label: 'To', type: 'select', options: [['all', 'Every follower'], ['tag', 'A mirrored tag']] },
  { name: 'massTag', label: 'Mirrored tag (when "to" is a tag)' },
  { name: 'massType', label: 'Message', type: 'select', options: [['text', 'Text'], ['image', 'Image (media id)'], ['news', 'Article (mpnews media id)']] },
  { name: 'massContent', label: 'Text', type: 'textarea', rows: 3 },
  { name: 'massMediaId', label: 'Media id (image, article)' },
  { name: 'massPreviewOpenId', label: 'Preview to one follower (OpenID)' },
];

const text = (v) => v.massType === 'text';
const message = (v) => ({ type: v.massType, content: text(v) ? v.massContent ?? '' : null, mediaId: text(v) ? null : v.massMediaId });

function limitsLine(l) {
  const daily = l.dailyLimit == null ? '' : `, ${fmtNum(l.sentToday)} of ${fmtNum(l.dailyLimit)} send today`;
  return `${l.serviceType} account${daily}: a follower receives at most ${fmtNum(l.monthlyPerFollower)} a month ` +
    `(${fmtNum(l.followersAtMonthlyLimit)} followers at that limit now, skipped), ${fmtNum(l.callsPerMinute)} calls a minute.`;
}

function sendView(s) {
  const sum = (k) => s.calls.reduce((n, c) => (c[k] == null ? n : n + c[k]), null);
  // The MASSSENDJOBFINISH report carries the totals; message/mass/get (asked when no report came) only a status.
  const wechat = s.calls.every((c) => c.reportedAt) ? 'reported'
    : s.calls.every((c) => c.reportedAt || c.wechatStatus) ? `polled: ${s.calls.map((c) => c.wechatStatus ?? 'reported').join(', ')}` : 'waiting for the report';
  const audience = s.target === 'openids' ? `${fmtNum(s.addressed)} addressed, ${fmtNum(s.skippedMonthly)} skipped for the monthly limit` : `to ${s.target}`;
  return h('div', { class: 'mass-send', 'data-mass-send': s.id },
    h('p', null, `Mass send #${s.id}: ${s.state}, ${fmtNum(s.calls.length)} call(s), ${audience}.`),
    table([['WeChat', () => wechat], ['Total', () => fmtNum(sum('totalCount'))], ['After filtering', () => fmtNum(sum('filterCount'))],
      ['Sent', () => fmtNum(sum('sentCount'))], ['Errors', () => fmtNum(sum('errorCount'))]], [s]));
}

export async function massSendCard(account) {
  const path = `/accounts/${encodeURIComponent(account.appId)}/mass-sends`;
  const limits = h('p', { class: 'mass-limits' });
  const status = h('div', { class: 'mass-status' });
  try {
    replace(limits, limitsLine(await get(`${path}/limits`)));
  } catch (e) {
    replace(limits, errorBox(e));
  }

  const card = (...body) => h('section', { class: 'card', 'data-mass-app-id': account.appId },
    h('h2', null, 'Mass send ', h('small', null, account.appId)), limits, ...body);
  if (!can('admin')) return card();

  const watch = async (id) => {
    try {
      const s = await get(`${path}/${id}`);
      replace(status, sendView(s));
      const over = s.state !== 'sending' && s.calls.every((c) => c.reportedAt || c.wechatStatus || c.state === 'failed');
      if (!over && status.isConnected) setTimeout(() => watch(id), 3000);
    } catch (e) {
      replace(status, errorBox(e));
    }
  };
  let editor;
  const previewNote = h('span', { class: 'mass-preview-note', role: 'status' });
  const preview = h('button', { type: 'button', class: 'mass-preview', onclick: async () => {
    const v = editor.values();
    try {
      await api('POST', `${path}/preview`, { openId: v.massPreviewOpenId, message: message(v) });
      replace(previewNote, `Preview sent to ${v.massPreviewOpenId}.`);
    } catch (e) {
      replace(previewNote, errorBox(e));
    }
  } }, 'Send preview');
  editor = form({
    id: `mass-${account.appId}`, fields, submit: 'Send', done: 'Planned: it goes out within WeChat\'s limits.',
    extra: h('div', { class: 'field' }, preview, previewNote),
    onSubmit: async (v) => {
      const to = v.massTarget === 'tag' ? { tag: v.massTag } : { all: true };
      // One request id per click: a retried click of the same form plans once.
      const planned = await api('POST', path, { requestId: `console-${Date.now()}`, to, message: message(v) });
      await watch(planned.id);
      replace(limits, limitsLine(await get(`${path}/limits`)));
    },
  });
  return card(editor, status);
}
