// The official account's custom menu (/api/admin/accounts/{appId}/menu): edit the buttons, push them to WeChat, and see
// what WeChat serves now. The gateway checks WeChat's rules before pushing; a refusal names the button and the rule.
import { h, replace, errorBox, fmtDate } from './dom.js';
import { api, get } from './api.js';
import { title, confirmThen } from './ui.js';

const TYPES = ['click', 'view', 'miniprogram', 'scancode_push', 'location_select'];
// The fields each type needs (WeChat's menu/create): a key for the event types, a url (and mini-program page) for the others.
const NEEDS = { click: ['key'], scancode_push: ['key'], location_select: ['key'], view: ['url'], miniprogram: ['url', 'appId', 'pagePath'] };

function buttonEditor(button, onRemove, nested) {
  const fields = { name: h('input', { name: 'name', value: button.name ?? '', placeholder: 'Name', required: true }) };
  const type = h('select', { name: 'type' },
    nested ? null : h('option', { value: '' }, '(sub-menu)'),
    TYPES.map((t) => h('option', { value: t, selected: button.type === t }, t)));
  for (const f of ['key', 'url', 'appId', 'pagePath']) fields[f] = h('input', { name: f, value: button[f] ?? '', placeholder: f });
  const subs = h('div', { class: 'subs' });
  const subEditors = [];
  const addSub = (b) => {
    const ed = buttonEditor(b, () => { subEditors.splice(subEditors.indexOf(ed), 1); ed.el.remove(); }, true);
    subEditors.push(ed);
    subs.append(ed.el);
  };
  (button.subButtons ?? []).forEach(addSub);
  const addSubButton = h('button', { type: 'button', class: 'link add-sub', onclick: () => addSub({ type: 'click' }) }, '+ sub-button');
  const show = () => {
    for (const f of ['key', 'url', 'appId', 'pagePath']) fields[f].hidden = !(NEEDS[type.value] ?? []).includes(f);
    subs.hidden = addSubButton.hidden = nested || type.value !== '';
  };
  type.onchange = show;
  if (!nested && !button.type && !(button.subButtons ?? []).length) type.value = 'click';
  show();
  const el = h('fieldset', { class: nested ? 'menu-sub' : 'menu-top' },
    h('div', { class: 'button-row' }, fields.name, type, fields.key, fields.url, fields.appId, fields.pagePath,
      h('button', { type: 'button', class: 'link danger', onclick: onRemove }, 'Remove')),
    subs, nested ? null : addSubButton);
  const read = () => {
    const out = { name: fields.name.value };
    if (type.value === '') return { ...out, subButtons: subEditors.map((s) => s.read()) };
    out.type = type.value;
    for (const f of NEEDS[type.value] ?? []) if (fields[f].value) out[f] = fields[f].value;
    return out;
  };
  return { el, read };
}

function shown(buttons) {
  if (!buttons.length) return h('p', { class: 'empty' }, 'No menu.');
  return h('ul', { class: 'menu-current' }, buttons.map((b) => h('li', null, `${b.name}${b.type ? ` (${b.type}${b.key ? `: ${b.key}` : ''}${b.url ? `: ${b.url}` : ''})` : ''}`,
    b.subButtons ? shown(b.subButtons) : null)));
}

async function editor(appId, holder) {
  const menu = await get(`/accounts/${encodeURIComponent(appId)}/menu`);
  const start = menu.saved?.buttons ?? menu.current.buttons;
  const tops = h('div', { class: 'tops' });
  const editors = [];
  const addTop = (b) => {
    const ed = buttonEditor(b, () => { editors.splice(editors.indexOf(ed), 1); ed.el.remove(); }, false);
    editors.push(ed);
    tops.append(ed.el);
  };
  start.forEach(addTop);
  const conditional = h('textarea', { name: 'conditional', id: 'menu-conditional', rows: 4, value: JSON.stringify(menu.saved?.conditional ?? [], null, 1),
    placeholder: '[ { "matchRule": { "tagId": "101" }, "buttons": [ ... ] } ]' });
  const status = h('p', { class: 'status', role: 'status', id: 'menu-status' });
  const save = async (ev) => {
    ev.preventDefault();
    status.className = 'status';
    replace(status, 'Pushing to WeChat…');
    try {
      const body = { buttons: editors.map((e) => e.read()), conditional: JSON.parse(conditional.value || '[]') };
      await api('PUT', `/accounts/${encodeURIComponent(appId)}/menu`, body);
      await editor(appId, holder);
    } catch (e) {
      status.className = 'status error';
      replace(status, e instanceof SyntaxError ? `Conditional menus: ${e.message}` : e.message);
    }
  };
  replace(holder,
    h('form', { class: 'menu-editor', id: 'menu-form', onsubmit: save },
      h('h2', null, 'Buttons'), tops,
      h('button', { type: 'button', class: 'link', id: 'menu-add-top', onclick: () => addTop({ type: 'click' }) }, '+ top button'),
      h('h2', null, 'Conditional menus (by WeChat tag)'), conditional,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save and push'),
        h('button', { type: 'button', class: 'danger', onclick: confirmThen('Remove the menu from WeChat?', async () => {
          await api('DELETE', `/accounts/${encodeURIComponent(appId)}/menu`);
          await editor(appId, holder);
        }) }, 'Remove menu')),
      status),
    h('section', { class: 'card' }, h('h2', null, 'What WeChat serves now'),
      menu.pushedAt ? h('p', null, `Pushed ${fmtDate(menu.pushedAt)} by ${menu.pushedBy}.`) : null,
      shown(menu.current.isMenuOpen ? menu.current.buttons : [])));
}

export async function menuPage([appId]) {
  const accounts = (await get('/accounts')).filter((a) => a.type === 'OfficialAccount');
  const chosen = appId ?? accounts[0]?.appId;
  const holder = h('div', { id: 'menu-editor' });
  const picker = h('select', { id: 'menu-account', onchange: (ev) => { location.hash = `#/menu/${encodeURIComponent(ev.target.value)}`; } },
    accounts.map((a) => h('option', { value: a.appId, selected: a.appId === chosen }, a.name ?? a.appId)));
  if (chosen) {
    try { await editor(chosen, holder); } catch (e) { replace(holder, errorBox(e)); }
  }
  return h('div', null, title('Custom menu', picker), h('p', null, 'Up to 3 top buttons, each a button or a sub-menu of up to 5. A click button\'s key is what auto-reply event rules (click + key), steer rules and keyword points rules match.'), holder);
}
