// The only way the console builds markup: elements and text nodes, never HTML strings. Nicknames, template text and
// everything else the API returns may be written by strangers; as text nodes they cannot become markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v; // through CSSOM: the CSP refuses inline style attributes
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

/** The gateway's times are UTC; some come without a zone (MySQL DATETIME), which Date would read as local time. */
export const parseTime = (v) => new Date(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);

/** ISO 8601 in UTC to the minute (2026-12-04 07:58 UTC): unambiguous whatever the reader's locale. */
export const fmtDate = (v) => (v ? `${parseTime(v).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '');

export const fmtNum = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en-US'));

export const errorBox = (e) => h('p', { class: 'error', role: 'alert' }, e?.message ?? String(e));

/** A table of rows; each column is [heading, row => cell]. Shows a page of rows, then "Show more". */
export function table(columns, rows, { pageSize = 50, empty = 'Nothing yet.' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  const body = h('tbody');
  const wrap = h('div', { class: 'table' }, h('table', null, h('thead', null, h('tr', null, columns.map(([title]) => h('th', null, title)))), body));
  let shown = 0;
  const more = h('button', { type: 'button', class: 'more', onclick: () => page() }, 'Show more');
  const page = () => {
    for (const row of rows.slice(shown, shown + pageSize)) body.append(h('tr', null, columns.map(([, cell]) => h('td', null, cell(row)))));
    shown = Math.min(rows.length, shown + pageSize);
    more.hidden = shown >= rows.length;
    more.textContent = `Show more (${rows.length - shown} left)`;
  };
  page();
  wrap.append(more);
  return wrap;
}
