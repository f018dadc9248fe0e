// Lifecycle journeys: a campaign for one member, started by a stage move, a first follow (a welcome series) or a
// points expiry, in steps sent after their delays. The list shows each step's figures and refreshes every 2 s; admins
// create one here with up to three steps (the API takes ten).
import { h, replace, fmtNum, errorBox, table } from './dom.js';
import { api, get } from './api.js';
import { title } from './ui.js';
import { form } from './forms.js';
import { can } from './session.js';
import { messageOf } from './campaigns.js';

const FormSteps = 3;

const triggers = [
  ['event:follow', 'First follow (welcome series)'], ['stage:dormant', 'Moved to dormant (win-back)'], ['stage:customer', 'First order (customer)'],
  ['stage:repeat', 'Second order (repeat)'], ['stage:registered', 'Phone bound (registered)'], ['stage:follower', 'Back to follower'],
  ['stage:lost', 'Unfollowed (lost)'], ['event:points-expiry', 'Points about to expire (one step)'],
];

const triggerText = (t) => (triggers.find(([v]) => v === `event:${t}` || v === `stage:${t}`)?.[1] ?? t);

const channels = [['template', 'Template message (followers)'], ['customer-service', 'Customer-service text (48-hour window)'], ['subscribe', 'Subscribe message (consent per send)']];

/** A delay in seconds as people say it. */
function delayText(seconds) {
  if (!seconds) return 'at once';
  for (const [size, unit] of [[86400, 'day'], [3600, 'hour'], [60, 'minute']]) {
    if (seconds % size === 0) return `after ${seconds / size} ${unit}${seconds / size === 1 ? '' : 's'}`;
  }
  return `after ${seconds} seconds`;
}

const reasons = (byReason) => Object.entries(byReason ?? {}).map(([k, n]) => `${k}: ${fmtNum(n)}`).join(', ');

/** One line per step: its delay, channel and figures. */
const stepsOf = (j) => h('ol', { class: 'journey-steps' }, j.steps.map((s) => h('li', { 'data-step': s.stepNo },
  `${delayText(s.afterSeconds)}, ${s.channel}: pending ${fmtNum(s.pending)}, queued ${fmtNum(s.queued)}, sent ${fmtNum(s.sent)}, failed ${fmtNum(s.failed)}, skipped ${fmtNum(s.skipped)}`
    + (s.skipped ? ` (${reasons(s.skippedByReason)})` : ''))));

/** The fields of step i, named as the API names them so a 400 lands beside its field. */
const stepFields = (i) => [
  { name: `steps[${i}].after`, label: `Step ${i + 1}: delay (ISO-8601: PT0S at once, PT12H, P3D)`, placeholder: i === 0 ? 'PT0S' : 'P3D' },
  { name: `steps[${i}].channel`, label: `Step ${i + 1}: channel`, type: 'select', options: i === 0 ? channels : [['', '— no such step —'], ...channels] },
  { name: `steps[${i}].content`, label: `Step ${i + 1}: text (customer-service; Liquid)`, type: 'textarea', rows: 2, placeholder: "Welcome, {{ member.nickname | default: 'friend' }}" },
  { name: `steps[${i}].template.templateId`, label: `Step ${i + 1}: template id (template, subscribe)` },
  { name: `steps[${i}].template.data`, label: `Step ${i + 1}: keywords, one per line as key: value (Liquid)`, type: 'textarea', rows: 2, placeholder: 'first: Welcome {{ member.nickname }}' },
];

/** The API's journey body from the form's values: the steps given, in order. */
function toBody(v) {
  const [kind, trigger] = (v.trigger ?? 'event:follow').split(':');
  const steps = [];
  for (let i = 0; i < FormSteps; i++) {
    const channel = v[`steps[${i}].channel`];
    if (!channel) continue;
    steps.push({
      after: v[`steps[${i}].after`] ?? 'PT0S',
      channel,
      ...messageOf(channel, { content: v[`steps[${i}].content`], templateId: v[`steps[${i}].template.templateId`], data: v[`steps[${i}].template.data`] }),
    });
  }
  return { appId: v.appId, name: v.name, trigger: kind === 'event' ? { event: trigger } : { stage: trigger }, steps };
}

export async function journeys() {
  const listed = h('div', { id: 'journey-list' });
  const refresh = async () => {
    try {
      replace(listed, table([
        ['#', (j) => j.id], ['Name', (j) => j.name], ['Account', (j) => j.appId], ['Started by', (j) => triggerText(j.triggerStage)], ['Steps', stepsOf],
      ], await get('/journeys'), { empty: 'No journey yet.' }));
    } catch (e) {
      replace(listed, errorBox(e));
    }
  };
  await refresh();
  const timer = setInterval(() => (listed.isConnected ? refresh() : clearInterval(timer)), 2000);

  if (!can('admin')) return h('div', null, title('Journeys'), listed);

  const accounts = (await get('/accounts')).filter((a) => a.type === 'OfficialAccount');
  const editor = form({
    id: 'journey-form', submit: 'Create', done: 'Created: it starts with the next member who meets its trigger.',
    fields: [
      { name: 'name', label: 'Name', required: true },
      { name: 'appId', label: 'Official account', type: 'select', options: accounts.map((a) => [a.appId, a.name ? `${a.name} (${a.appId})` : a.appId]) },
      { name: 'trigger', label: 'Started by', type: 'select', options: triggers },
      ...Array.from({ length: FormSteps }, (_, i) => stepFields(i)).flat(),
    ],
    onSubmit: async (values) => {
      await api('POST', '/journeys', toBody(values));
      await refresh();
    },
  });
  return h('div', null, title('Journeys'), h('section', { class: 'card' }, h('h2', null, 'New journey'), editor), listed);
}
