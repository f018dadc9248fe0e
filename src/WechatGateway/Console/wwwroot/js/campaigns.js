// Campaigns: create one from a segment, preview its message for one member, start it, pause it, and watch its counts
// move (the list refreshes every 2 s while the page is open).
import { h, replace, fmtDate, fmtNum, errorBox, table } from './dom.js';
import { api, get } from './api.js';
import { title, confirmThen } from './ui.js';
import { form, readField } from './forms.js';
import { can } from './session.js';

const channels = [['template', 'Template message (followers)'], ['customer-service', 'Customer-service text (48-hour window)'], ['subscribe', 'Subscribe message (consent per send)'],
  ['mass', 'Mass send (service accounts; 4 a month per follower)']];

/** The form's fields; the segment is picked from the saved segments (their account beside their name). */
const fieldsFor = (segments) => [
  { name: 'name', label: 'Name', required: true },
  { name: 'segmentId', label: 'Segment', type: 'select', required: true,
    options: [['', segments.length ? '— choose a segment —' : 'No segment yet: make one on the Segments page'],
      ...segments.map((s) => [s.id, `${s.name} (#${s.id}${s.appId ? `, ${s.appId}` : ''})`])] },
  { name: 'channel', label: 'Channel', type: 'select', options: channels },
  { name: 'content', label: 'Text (customer-service, mass; Liquid)', type: 'textarea', rows: 3, placeholder: "Hi {{ member.nickname | default: 'friend' }}" },
  { name: 'templateId', label: 'Template id (template, subscribe)' },
  { name: 'data', label: 'Keywords, one per line as key: value (Liquid)', type: 'textarea', rows: 4, placeholder: 'first: Hi {{ member.nickname }}\nkeyword1: {{ member.points.balance }} points' },
  { name: 'url', label: 'Link (template) or page (subscribe)' },
  { name: 'at', label: 'Start at (blank: now)', type: 'datetime' },
  { name: 'cron', label: 'Or repeat on a cron (five fields)', placeholder: '0 10 * * 1' },
  { name: 'timeZone', label: 'Time zone', placeholder: 'Asia/Shanghai' },
  { name: 'ratePerSecond', label: 'Sends per second (blank: the most the account allows)', type: 'number', step: 1 },
  { name: 'quietFrom', label: 'Quiet from (HH:mm)', placeholder: '22:00' },
  { name: 'quietTo', label: 'Quiet to (HH:mm)', placeholder: '08:00' },
];

/**
 * A channel's message from the form's values, as campaigns and journeys send it: a text reply for customer-service and
 * mass, a template (keywords one per line as key: value) for template and subscribe.
 */
export function messageOf(channel, { content, templateId, data, url }) {
  const keywords = Object.fromEntries((data ?? '').split('\n').map((line) => line.split(/:(.*)/s)).filter((p) => p.length > 1 && p[0].trim()).map(([k, val]) => [k.trim(), val.trim()]));
  const text = ['customer-service', 'mass'].includes(channel);
  return {
    reply: text ? { type: 'text', content: content ?? '' } : null,
    template: text ? null
      : { templateId, data: keywords, url: channel === 'template' ? url : null, page: channel === 'subscribe' ? url : null },
  };
}

/** The API's campaign body from the form's values. */
function toBody(v) {
  return {
    name: v.name,
    segmentId: v.segmentId == null ? null : Number(v.segmentId),
    channel: v.channel,
    ...messageOf(v.channel, v),
    schedule: v.cron ? { cron: v.cron, timeZone: v.timeZone } : v.at ? { at: v.at } : null,
    ratePerSecond: v.ratePerSecond,
    quietHours: v.quietFrom || v.quietTo ? { from: v.quietFrom, to: v.quietTo } : null,
  };
}

// A mass campaign's run beside WeChat's MASSSENDJOBFINISH totals (summed over its calls), once they came.
const wechatTotals = (w) => (!w ? '' : w.reported === 0 ? `mass send ${w.state}, no report yet`
  : `total ${fmtNum(w.totalCount)}, filtered to ${fmtNum(w.filterCount)}, sent ${fmtNum(w.sentCount)}, errors ${fmtNum(w.errorCount)}`);

const reasons = (byReason) => Object.entries(byReason ?? {}).map(([k, n]) => `${k}: ${fmtNum(n)}`).join(', ');

function actions(c, refresh) {
  if (!can('admin')) return '';
  const post = (action, question) => h('button', { type: 'button', class: action === 'cancel' ? 'danger' : action, onclick: confirmThen(question, async () => {
    await api('POST', `/campaigns/${c.id}/${action}`);
    await refresh();
  }) }, action[0].toUpperCase() + action.slice(1));
  return h('span', { class: 'row-actions' },
    ['scheduled', 'running'].includes(c.status) ? post('pause', `Pause campaign #${c.id}?`) : null,
    c.status === 'paused' ? post('resume', `Resume campaign #${c.id}?`) : null,
    !['completed', 'cancelled'].includes(c.status) ? post('cancel', `Cancel campaign #${c.id} for good?`) : null);
}

export async function campaigns() {
  const listed = h('div', { id: 'campaign-list' });
  const refresh = async () => {
    try {
      const rows = await get('/campaigns');
      replace(listed, table([
        ['#', (c) => c.id], ['Name', (c) => c.name], ['Channel', (c) => c.channel], ['Status', (c) => h('span', { class: `status-${c.status}` }, c.status)],
        ['Targeted', (c) => fmtNum(c.targeted)], ['Sent', (c) => fmtNum(c.sent)], ['Failed', (c) => fmtNum(c.failed)], ['Queued', (c) => fmtNum(c.queued)],
        ['Skipped', (c) => fmtNum(c.skipped)], ['Skipped because', (c) => reasons(c.skippedByReason)], ['Failed by errcode', (c) => reasons(c.failedByErrcode)],
        ['WeChat report', (c) => wechatTotals(c.wechat)], ['Next run', (c) => fmtDate(c.nextRunAt)], ['', (c) => actions(c, refresh)],
      ], rows, { empty: 'No campaign yet.' }));
    } catch (e) {
      replace(listed, errorBox(e));
    }
  };
  await refresh();
  // Counts move while a run goes on; the timer stops once the page is left.
  const timer = setInterval(() => (listed.isConnected ? refresh() : clearInterval(timer)), 2000);

  if (!can('admin')) return h('div', null, title('Campaigns'), listed);

  const fields = fieldsFor(await get('/segments'));

  const preview = h('div', { class: 'preview', id: 'campaign-preview' });
  const memberId = h('input', { id: 'preview-member', type: 'number', step: 1, placeholder: 'member id' });
  let editor;
  const previewButton = h('button', { type: 'button', id: 'campaign-preview-button', onclick: async () => {
    const values = Object.fromEntries(fields.map((f) => [f.name, readField(f, editor.fields[f.name])]));
    try {
      const shown = await api('POST', `/campaigns/preview?memberId=${encodeURIComponent(memberId.value)}`, toBody(values));
      replace(preview, h('p', null, `What WeChat would receive for member ${shown.memberId} (${shown.openId}):`), h('pre', null, JSON.stringify(shown.body, null, 2)));
    } catch (e) {
      replace(preview, errorBox(e));
    }
  } }, 'Preview for member');
  editor = form({
    id: 'campaign-form', fields, submit: 'Create and start', done: 'Created: it starts at its schedule.',
    extra: h('div', { class: 'field' }, h('label', { for: 'preview-member' }, 'Preview the message for one member'), memberId, previewButton, preview),
    onSubmit: async (values) => {
      await api('POST', '/campaigns', toBody(values));
      await refresh();
    },
  });
  return h('div', null, title('Campaigns'), h('section', { class: 'card' }, h('h2', null, 'New campaign'), editor), listed);
}
