// After the purchase and at the door: survey answers with their orders, and events with the check-in screen staff use
// at the entrance (a scanner types the ticket's code into the focused field and presses Enter).
import { h, replace, fmtDate, errorBox, table } from './dom.js';
import { api, get, qs } from './api.js';
import { title, facts } from './ui.js';
import { form } from './forms.js';
import { can } from './session.js';

const stars = (n) => '★'.repeat(n) + '☆'.repeat(5 - n);

const feedbackColumns = [
  ['At', (f) => fmtDate(f.at)],
  ['Order', (f) => h('span', { class: 'order-no' }, f.orderNo)], ['Amount', (f) => f.amount.toFixed(2)], ['Paid', (f) => fmtDate(f.paidAt)],
  ['Store', (f) => f.storeName ?? f.storeId ?? ''], ['Member', (f) => h('a', { href: `#/members/${f.memberId}` }, f.memberId)],
  ['Rating', (f) => h('span', { class: f.rating <= 2 ? 'rating low' : 'rating', title: `${f.rating} of 5` }, stars(f.rating))],
  ['Comment', (f) => h('span', { class: 'comment' }, f.comment ?? '')], ['Points', (f) => f.awarded], ['Staff alerted', (f) => (f.alerted ? 'yes' : '')],
];

/** Answers newest first, each with its order, filtered by store, rating and dates. */
export async function feedback() {
  const list = h('div', { id: 'feedback-list' });
  const load = async (v = {}) => replace(list, table(feedbackColumns, await get(`/feedback${qs({ ...v, limit: 500 })}`), { empty: 'No feedback matches.' }));
  const filters = form({
    id: 'feedback-filter', submit: 'Filter', done: '', busy: 'Loading…',
    fields: [
      { name: 'storeId', label: 'Store', type: 'number', step: 1 },
      { name: 'rating', label: 'Rating', type: 'select', options: [['', 'any'], ...[1, 2, 3, 4, 5].map((r) => [r, `${r} ${stars(r)}`])] },
      { name: 'from', label: 'From', type: 'datetime' }, { name: 'to', label: 'To', type: 'datetime' },
    ],
    onSubmit: load,
  });
  await load();
  return h('div', null, title('Feedback'),
    h('p', null, 'Answers to the after-purchase survey. A rating of 2 or less alerts the store\'s staff member.'),
    filters, list);
}

const eventColumns = [
  ['#', (e) => e.id], ['Title', (e) => h('a', { href: `#/events/${e.id}` }, e.title)], ['Store', (e) => e.storeName ?? e.storeId],
  ['Starts', (e) => fmtDate(e.startsAt)], ['Seats', (e) => `${e.registered} / ${e.capacity}`], ['Waitlist', (e) => e.waitlisted],
  ['Checked in', (e) => e.checkedIn], ['Points', (e) => e.points],
];

async function eventList() {
  const rows = await get('/events?upcoming=true');
  const holder = h('div', { class: 'editor-slot' });
  const create = async () => {
    const segments = await get('/segments').catch(() => []);
    replace(holder, h('section', { class: 'card' }, h('h2', null, 'New event'), form({
      id: 'event-form', submit: 'Create',
      fields: [
        { name: 'storeId', label: 'Store', type: 'number', step: 1, required: true }, { name: 'title', label: 'Title', required: true },
        { name: 'startsAt', label: 'Starts', type: 'datetime', required: true }, { name: 'endsAt', label: 'Ends', type: 'datetime', required: true },
        { name: 'capacity', label: 'Capacity', type: 'number', step: 1, required: true }, { name: 'points', label: 'Points for attending', type: 'number', step: 1, default: 0 },
        { name: 'registrationDeadline', label: 'Registration closes', type: 'datetime', help: 'Empty: when the event starts.' },
        { name: 'segmentId', label: 'Only members of segment', type: 'select', help: 'Checked when a member registers.',
          options: [['', 'Every member'], ...segments.map((s) => [s.id, `${s.name} (#${s.id})`])] },
      ],
      onSubmit: async (v) => {
        const r = await api('POST', '/events', { ...v, segmentId: v.segmentId == null ? null : Number(v.segmentId) });
        location.hash = `#/events/${r.id}`;
      },
    })));
  };
  return h('div', null, title('Events', can('write') ? h('button', { type: 'button', class: 'new', onclick: create }, 'New') : null),
    holder, table(eventColumns, rows, { empty: 'No upcoming events.' }));
}

/** One event: its numbers, the check-in field (kept focused for the next scan) and who registered. */
async function eventDetail(id) {
  const ev = await get(`/events/${encodeURIComponent(id)}`);
  const counts = h('div', { id: 'event-counts' });
  const registrations = h('div', { id: 'event-registrations' });
  const refresh = async () => {
    const [now, regs] = await Promise.all([get(`/events/${encodeURIComponent(id)}`), get(`/events/${encodeURIComponent(id)}/registrations`)]);
    replace(counts, facts({ registered: `${now.registered} of ${now.capacity}`, waitlisted: now.waitlisted, 'checked in': now.checkedIn }));
    replace(registrations, table([
      ['#', (r) => r.position], ['Member', (r) => h('a', { href: `#/members/${r.memberId}` }, h('span', { class: 'nickname' }, r.nickname ?? r.memberId))],
      ['Status', (r) => r.status], ['Ticket', (r) => r.ticketId ?? ''], ['Checked in', (r) => fmtDate(r.checkedInAt)],
    ], regs, { empty: 'No registrations yet.', pageSize: 200 }));
  };
  await refresh();
  const result = h('div', { id: 'checkin-result', role: 'status', 'aria-live': 'assertive' });
  const code = h('input', { id: 'checkin-code', name: 'code', autocomplete: 'off', placeholder: 'Scan or type the ticket code', required: true });
  const checkin = can('write') ? h('form', { id: 'checkin', class: 'inline', onsubmit: async (ev2) => {
    ev2.preventDefault();
    const typed = code.value.trim();
    code.value = '';
    try {
      const r = await api('POST', `/events/${encodeURIComponent(id)}/checkins`, { code: typed });
      replace(result, h('p', { class: 'checkin ok' }, `Checked in: `, h('span', { class: 'nickname' }, r.nickname ?? `member ${r.memberId}`), r.awarded ? ` · +${r.awarded} points` : ''));
      await refresh();
    } catch (e) {
      replace(result, h('div', { class: 'checkin refused' }, h('strong', null, e.problem?.title ?? 'Refused'), errorBox(e)));
    }
    code.focus();
  } }, code, h('button', { type: 'submit' }, 'Check in')) : null;
  const page = h('div', null, title(ev.title),
    h('p', null, `${ev.storeName ?? `store ${ev.storeId}`} · ${fmtDate(ev.startsAt)} – ${fmtDate(ev.endsAt)}`),
    counts,
    checkin ? h('section', { class: 'card' }, h('h2', null, 'Check-in at the door'), checkin, result) : null,
    h('section', { class: 'card' }, h('h2', null, 'Registrations'), registrations));
  setTimeout(() => code.focus(), 0);
  return page;
}

export const events = ([id]) => (id ? eventDetail(id) : eventList());
