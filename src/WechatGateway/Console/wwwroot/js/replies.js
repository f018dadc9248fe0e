// Auto-replies (with the "try a message" box) and templates (editor with live preview and errors at their line).
import { h, replace, errorBox, table, fmtDate } from './dom.js';
import { api, get, qs, ApiError } from './api.js';
import { form } from './forms.js';
import { can } from './session.js';
import { title, confirmThen } from './ui.js';

const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

const accountOptions = (accounts, blank) => [...(blank ? [['', blank]] : []), ...accounts.map((a) => [a.appId, a.name ? `${a.name} (${a.appId})` : a.appId])];

function rendered(reply) {
  if (!reply) return h('p', { class: 'empty' }, 'No reply.');
  return h('div', { class: 'rendered' },
    h('p', { class: 'reply-type' }, `${reply.type} reply`),
    reply.content !== null && reply.content !== undefined ? h('pre', { class: 'reply-content' }, reply.content) : null,
    reply.mediaId ? h('p', null, `media ${reply.mediaId}`) : null,
    (reply.articles ?? []).map((a) => h('p', null, h('strong', null, a.title ?? ''), ' ', a.description ?? '', ' ', a.url ?? '')),
    Object.entries(reply.data ?? {}).map(([k, v]) => h('p', null, h('code', null, k), ': ', v)));
}

function tryBox(accounts) {
  const result = h('div', { id: 'try-result', 'aria-live': 'polite' });
  const f = form({
    id: 'try-form', submit: 'Try', done: '', busy: '',
    fields: [
      { name: 'appId', label: 'Account', type: 'select', options: accountOptions(accounts.filter((a) => a.type === 'OfficialAccount')) },
      { name: 'text', label: 'Message text' },
      { name: 'event', label: 'Or an event', type: 'select', options: [['', '(a text message)'], ['subscribe', 'subscribe'], ['scan', 'scan'], ['click', 'click'], ['location', 'location']] },
      { name: 'eventKey', label: 'Event key / QR scene' },
      { name: 'memberId', label: 'As member id (optional)', type: 'number', step: 1 },
    ],
    onSubmit: async (v) => {
      const r = await get(`/auto-replies/try${qs(v)}`);
      replace(result, r.ruleId
        ? [h('p', { class: 'matched' }, 'Matched rule ', h('a', { href: '#/auto-replies' }, `#${r.ruleId}`), ' ', h('strong', { class: 'rule-name' }, r.ruleName)),
          r.action === 'steer' ? h('p', { class: 'steer' }, 'It steers the member to a group and sends the invitation', r.reply ? ', with this intro:' : '.') : null,
          r.reply ? rendered(r.reply) : null]
        : h('p', { class: 'matched none' }, 'No rule matches: the follower gets no automatic reply.'));
    },
  });
  return h('section', { class: 'card try' }, h('h2', null, 'Try a message'), f, result);
}

const replyOf = (r) => (r.templateId ? `template #${r.templateId}` : r.reply?.type === 'text' ? r.reply.content : `${r.reply?.type ?? ''} reply`);

export async function autoReplies() {
  const [rules, accounts, templatesList] = await Promise.all([get('/auto-replies'), get('/accounts'), get('/templates')]);
  const holder = h('div');
  const open = (rule) => {
    const f = form({
      id: 'rule-form', submit: rule ? 'Save rule' : 'Create rule',
      initial: rule ? { ...rule, appId: rule.appId ?? '', content: rule.reply?.type === 'text' ? rule.reply.content : '', templateId: rule.templateId ?? '' } : { action: 'reply', match: 'contains', priority: 10, enabled: true },
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'appId', label: 'Account', type: 'select', options: accountOptions(accounts, 'All accounts') },
        { name: 'action', label: 'Action', type: 'select', options: [['reply', 'reply'], ['steer', 'steer to a group (the reply text is the invitation intro)']] },
        { name: 'match', label: 'Match', type: 'select', options: ['exact', 'contains', 'regex', 'event', 'default'].map((m) => [m, m]) },
        { name: 'keywords', label: 'Keywords (comma-separated)', type: 'list' },
        { name: 'event', label: 'Event (event rules)', type: 'select', options: [['', ''], ...['subscribe', 'scan', 'click', 'view', 'location'].map((e) => [e, e])] },
        { name: 'eventKey', label: 'Event key / QR scene' },
        { name: 'priority', label: 'Priority (higher first)', type: 'number', step: 1 },
        { name: 'tags', label: 'Tags for members it answers (comma-separated)', type: 'list' },
        { name: 'enabled', label: 'Enabled', type: 'checkbox' },
        { name: 'templateId', label: 'Reply with template', type: 'select', options: [['', '(the text below)'], ...templatesList.map((t) => [t.id, `#${t.id} ${t.name}`])] },
        { name: 'content', label: 'Reply text (Liquid: {{ member.nickname }}, {{ member.points.balance }}; steer rules also {{ group.name }}, {{ group.store }})', type: 'textarea', rows: 4 },
      ],
      onSubmit: async (v) => {
        const keepReply = rule?.reply && rule.reply.type !== 'text' && !v.content;
        const body = {
          appId: v.appId, name: v.name, action: v.action, match: v.match, keywords: v.keywords, event: v.event, eventKey: v.eventKey,
          priority: v.priority ?? 0, enabled: v.enabled, validFrom: rule?.validFrom ?? null, validUntil: rule?.validUntil ?? null,
          templateId: v.templateId ? Number(v.templateId) : null, tags: v.tags,
          reply: v.templateId ? null : keepReply ? rule.reply : v.action === 'steer' && !v.content ? null : { type: 'text', content: v.content ?? '' },
        };
        await api(rule ? 'PUT' : 'POST', rule ? `/auto-replies/${rule.id}` : '/auto-replies', body);
        refresh();
      },
    });
    replace(holder, h('section', { class: 'card' }, h('h2', null, rule ? `Edit rule #${rule.id}` : 'New rule'), f));
  };
  return h('div', null,
    title('Auto-replies', can('admin') ? h('button', { type: 'button', class: 'new', onclick: () => open(null) }, 'New rule') : null),
    tryBox(accounts), holder,
    table([
      ['Priority', (r) => r.priority], ['Name', (r) => r.name], ['Match', (r) => r.match],
      ['Keywords / event', (r) => h('span', { class: 'clip narrow' }, r.match === 'event' ? [r.event, r.eventKey].filter(Boolean).join(' ') : r.keywords.join(', '))],
      ['Account', (r) => r.appId ?? 'all'], ['Enabled', (r) => (r.enabled ? 'yes' : 'no')], ['Reply', (r) => h('span', { class: 'clip' }, r.action === 'steer' ? `steers to a group${r.reply || r.templateId ? `: ${replyOf(r)}` : ''}` : replyOf(r))],
      ['', (r) => (can('admin') ? h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'edit', onclick: () => open(r) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', onclick: confirmThen(`Delete rule “${r.name}”?`, async () => { await api('DELETE', `/auto-replies/${r.id}`); refresh(); }) }, 'Delete')) : '')],
    ], rules, { empty: 'No rules yet.' }));
}

/** A textarea with line numbers beside it; markLine(n) flags the line a Liquid error is on. */
function lineEditor(value, readonly) {
  const area = h('textarea', { id: 'template-content', name: 'content', rows: 10, spellcheck: 'false', readonly: readonly || null, value });
  const gutter = h('ol', { class: 'gutter', 'aria-hidden': 'true' });
  let flagged = null;
  const draw = () => {
    const n = area.value.split('\n').length;
    replace(gutter, Array.from({ length: n }, (_, i) => h('li', { 'data-line': i + 1, class: i + 1 === flagged ? 'error-line' : '' }, i + 1)));
  };
  area.addEventListener('input', draw);
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  draw();
  return {
    el: h('div', { class: 'line-editor' }, gutter, area), area,
    markLine: (line) => { flagged = line; draw(); },
  };
}

function liquidError(e) {
  if (!(e instanceof ApiError) || e.status !== 400) return null;
  const p = e.problem;
  // The API's detail repeats the field and position; the console shows the position once, before the message.
  const detail = String(p.detail ?? e.message).replace(/\s*\(line \d+, column \d*\)\s*$/, '').replace(new RegExp(`^${String(p.field ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\s*`), '');
  return { line: p.line ?? null, column: p.column ?? null, detail, field: p.field };
}

export async function templates([id]) {
  if (id === undefined) {
    const list = await get('/templates');
    return h('div', null,
      title('Templates', can('admin') ? h('a', { href: '#/templates/new', class: 'button new' }, 'New template') : null),
      table([['#', (t) => t.id], ['Name', (t) => h('a', { href: `#/templates/${t.id}` }, t.name)], ['Type', (t) => t.reply.type], ['Text', (t) => h('span', { class: 'clip' }, t.reply.content ?? '')], ['Updated', (t) => fmtDate(t.updatedAt)]],
        list, { empty: 'No templates yet.' }));
  }
  const existing = id === 'new' ? null : await get(`/templates/${encodeURIComponent(id)}`);
  const isText = !existing || existing.reply.type === 'text';
  const readonly = !can('admin');
  const name = h('input', { id: 'template-name', name: 'name', required: true, value: existing?.name ?? '', readonly: readonly || null });
  const editor = lineEditor(isText ? existing?.reply.content ?? '' : JSON.stringify(existing.reply, null, 2), readonly);
  const member = h('input', { id: 'preview-member', type: 'number', step: 1, placeholder: 'member id' });
  const preview = h('div', { id: 'template-preview', 'aria-live': 'polite' });
  const problem = h('p', { id: 'template-error', class: 'error', role: 'alert' });
  const status = h('p', { class: 'status', role: 'status' });

  const showError = (err) => {
    editor.markLine(err?.line ?? null);
    replace(problem, err ? `${err.line ? `Line ${err.line}${err.column ? `, column ${err.column}` : ''}: ` : ''}${err.detail}` : '');
  };

  // Live preview: the draft is rendered by the gateway for the chosen member as it is typed (a GET: nothing is saved),
  // for keys that may write replies (the gateway refuses viewers: a render is work a template can make heavy).
  let timer = null;
  let seq = 0;
  const renderDraft = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const r = isText && can('write')
          ? await get(`/templates/render${qs({ content: editor.area.value, memberId: member.value })}`)
          : existing && can('admin') ? await api('POST', `/templates/${existing.id}/preview`, { memberId: member.value ? Number(member.value) : null }) : null;
        if (mine !== seq) return;
        showError(null);
        replace(preview, r ? rendered(r) : '');
      } catch (e) {
        if (mine !== seq) return;
        const err = liquidError(e);
        if (err) showError(err); else replace(preview, errorBox(e));
      }
    }, 250);
  };
  // A text draft is rendered as typed; other types preview the saved template, so only for another member.
  if (isText) editor.area.addEventListener('input', renderDraft);
  member.addEventListener('input', renderDraft);
  renderDraft();

  const save = async (ev) => {
    ev.preventDefault();
    replace(status, 'Saving…');
    let reply;
    try {
      reply = isText ? { type: 'text', content: editor.area.value } : JSON.parse(editor.area.value);
    } catch (e) {
      replace(status, `The reply is not valid JSON: ${e.message}`);
      return;
    }
    try {
      const saved = await api(existing ? 'PUT' : 'POST', existing ? `/templates/${existing.id}` : '/templates', { name: name.value, reply });
      showError(null);
      replace(status, 'Saved.');
      if (!existing) location.hash = `#/templates/${saved.id}`;
    } catch (e) {
      // Nothing typed is cleared: the error is shown at its line and the text stays for fixing.
      const err = liquidError(e);
      replace(status, 'Not saved.');
      if (err) showError(err); else replace(status, errorBox(e));
    }
  };

  return h('div', null,
    title(existing ? `Template #${existing.id}` : 'New template'),
    h('form', { id: 'template-form', class: 'template-editor', onsubmit: save },
      h('div', { class: 'field' }, h('label', { for: 'template-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'template-content' }, isText ? 'Text (Liquid)' : `${existing.reply.type} reply (JSON, each value Liquid)`), editor.el),
      problem,
      readonly ? h('p', { class: 'notice' }, 'Read only: your key cannot change templates.') : h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save template')),
      status),
    h('section', { class: 'card' }, h('h2', null, 'Preview'), h('label', { for: 'preview-member' }, 'For member '), member, preview),
    existing && can('admin') ? h('button', { type: 'button', class: 'danger', onclick: confirmThen('Delete this template?', async () => {
      try { await api('DELETE', `/templates/${existing.id}`); location.hash = '#/templates'; } catch (e) { replace(status, errorBox(e)); }
    }) }, 'Delete template') : null);
}
