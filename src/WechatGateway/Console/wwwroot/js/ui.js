// Pieces several pages share.
import { h, replace, errorBox } from './dom.js';

export const title = (text, ...actions) => h('div', { class: 'title' }, h('h1', null, text), actions);

export const confirmThen = (question, fn) => async () => { if (confirm(question)) await fn(); };

/** A list behind a cursor (?cursor=), drawn a page at a time with "Load more". */
export function cursorList(columns, load) {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'more' }, 'Load more');
  const status = h('p', { class: 'status' });
  let cursor = null;
  const next = async () => {
    more.disabled = true;
    try {
      const pageOf = await load(cursor);
      for (const row of pageOf.items) body.append(h('tr', null, columns.map(([, cell]) => h('td', null, cell(row)))));
      cursor = pageOf.next;
      more.hidden = !cursor;
      if (!body.children.length) replace(status, 'Nothing yet.');
    } catch (e) {
      replace(status, errorBox(e));
    } finally {
      more.disabled = false;
    }
  };
  more.onclick = next;
  return { el: h('div', { class: 'table' }, h('table', null, h('thead', null, h('tr', null, columns.map(([t]) => h('th', null, t)))), body), more, status), first: next };
}

/** Shows any object's fields as a definition list (for APIs whose shape this console does not know in advance). */
export const facts = (obj) => h('dl', { class: 'facts' }, flatten(obj).map(([k, v]) => [h('dt', null, k), h('dd', null, v === null ? '' : String(v))]));

/** [['a.b', 1], …] for nested objects (a queue's per-status counts); arrays are counted, not spread. */
function flatten(obj, prefix = '') {
  return Object.entries(obj ?? {}).flatMap(([k, v]) => {
    const name = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) return [[name, `${v.length} items`]];
    return v !== null && typeof v === 'object' ? flatten(v, name) : [[name, v]];
  });
}

