// The admin API client. The key lives in sessionStorage (this tab, until it closes) and goes only into the
// Authorization header: never into a URL, where it would end up in logs and history.

import { h } from './dom.js';

const STORE = 'wg.adminKey';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The gateway answered ${status}.`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

let reauthenticate = null;

export const key = () => sessionStorage.getItem(STORE);
export const setKey = (k) => sessionStorage.setItem(STORE, k);
export const forgetKey = () => sessionStorage.removeItem(STORE);
export const onSessionEnded = (fn) => { reauthenticate = fn; };

// A body is sent as JSON, unless a content type is given: then it is sent as it is (a CSV file's text).
async function send(method, path, body, withKey, type) {
  const headers = { Accept: 'application/json' };
  if (withKey) headers.Authorization = `Bearer ${withKey}`;
  if (body !== undefined) headers['Content-Type'] = type ?? 'application/json';
  const res = await fetch(`/api/admin${path}`, { method, headers, body: body === undefined ? undefined : type ? body : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  return { res, data };
}

/** Who a key is; throws ApiError (401 for a wrong key, 429 when this address tried too many). */
export async function whoIs(candidate) {
  const { res, data } = await send('GET', '/me', undefined, candidate);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/**
 * Calls the admin API. A 401 in the middle of work does not throw the work away: the user is asked to sign in again
 * and the same call is sent once they are back, so a form being edited keeps what was typed.
 */
export async function api(method, path, body, type) {
  for (;;) {
    const { res, data } = await send(method, path, body, key(), type);
    if (res.status === 401 && reauthenticate) {
      await reauthenticate();
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}

export const get = (path) => api('GET', path);

export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};

/**
 * Saves a file the admin API answers (a live code's QR image) under `filename`: fetched with the key, like api(),
 * since a plain link could carry no Authorization header.
 */
export async function download(path, filename) {
  for (;;) {
    const res = await fetch(`/api/admin${path}`, { headers: { Authorization: `Bearer ${key()}` } });
    if (res.status === 401 && reauthenticate) {
      await reauthenticate();
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    const url = URL.createObjectURL(await res.blob());
    const link = h('a', { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return;
  }
}
