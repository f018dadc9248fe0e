// Forms from a list of fields. Values are read back typed (numbers, booleans, lists); a 400 from the API is shown
// next to the field it names. A failed save never clears what was typed.
import { h, replace, parseTime } from './dom.js';
import { ApiError } from './api.js';

// datetime-local inputs show and return the browser's local time; the API's values are UTC instants.
const pad = (n) => String(n).padStart(2, '0');
const toLocal = (v) => {
  if (!v) return '';
  const d = parseTime(v);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

function input(f, value) {
  const common = { name: f.name, id: `f-${f.name}`, required: f.required, placeholder: f.placeholder, disabled: f.readonly };
  switch (f.type) {
    case 'checkbox': return h('input', { ...common, type: 'checkbox', checked: value ?? f.default ?? false });
    case 'number': return h('input', { ...common, type: 'number', step: f.step ?? 'any', value: value ?? f.default ?? '' });
    case 'textarea': return h('textarea', { ...common, rows: f.rows ?? 5, value: value ?? '' });
    case 'select': return h('select', common, (f.options ?? []).map(([v, label]) => h('option', { value: v, selected: String(value ?? f.default ?? '') === String(v) }, label)));
    case 'list': return h('input', { ...common, value: (value ?? []).join(', ') });
    case 'datetime': return h('input', { ...common, type: 'datetime-local', value: toLocal(value) });
    default: return h('input', { ...common, type: f.type ?? 'text', value: value ?? '' });
  }
}

export function readField(f, el) {
  switch (f.type) {
    case 'checkbox': return el.checked;
    case 'number': return el.value === '' ? null : Number(el.value);
    case 'list': return el.value.split(',').map((x) => x.trim()).filter(Boolean);
    case 'datetime': return el.value ? new Date(el.value).toISOString() : null;
    case 'select': return el.value === '' ? null : el.value;
    default: return el.value === '' ? null : el.value;
  }
}

/** A problem's message for a field, whichever casing the API used. */
export function fieldErrors(e) {
  const errors = e instanceof ApiError ? e.problem?.errors ?? {} : {};
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k.toLowerCase(), [v].flat().join(' ')]));
}

/**
 * A form: fields, initial values, and onSubmit(values) → a promise. On an error, the message appears under the
 * form (and beside a named field); the values stay as typed.
 */
export function form({ id, fields, initial = {}, submit = 'Save', onSubmit, extra, done = 'Saved.', busy = 'Saving…' }) {
  const els = {};
  const notes = {};
  const status = h('p', { class: 'status', role: 'status' });
  const rows = fields.map((f) => {
    els[f.name] = input(f, initial[f.name]);
    notes[f.name] = h('span', { class: 'field-error' });
    return h('div', { class: `field ${f.type ?? 'text'}` }, h('label', { for: `f-${f.name}` }, f.label), els[f.name], f.help ? h('small', null, f.help) : null, notes[f.name]);
  });
  const button = h('button', { type: 'submit' }, submit);
  const el = h('form', { id, class: 'edit', onsubmit: async (ev) => {
    ev.preventDefault();
    for (const n of Object.values(notes)) n.textContent = '';
    status.className = 'status';
    replace(status, busy);
    button.disabled = true;
    const values = Object.fromEntries(fields.map((f) => [f.name, readField(f, els[f.name])]));
    try {
      await onSubmit(values, el);
      replace(status, done);
    } catch (e) {
      status.className = 'status error';
      replace(status, e.message);
      for (const [k, msg] of Object.entries(fieldErrors(e))) (notes[Object.keys(notes).find((n) => n.toLowerCase() === k)] ?? { }).textContent = msg;
    } finally {
      button.disabled = false;
    }
  } }, rows, extra ?? null, h('div', { class: 'actions' }, button), status);
  el.fields = els;
  el.values = () => Object.fromEntries(fields.map((f) => [f.name, readField(f, els[f.name])]));
  return el;
}
