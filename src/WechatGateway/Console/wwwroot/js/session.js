// Who is signed in, and what the key's role lets the page offer. The API refuses anyway; the page just does not
// show a viewer buttons that could only fail.
export const session = { me: null };

/** 'read' (every key), 'write' (admins and store managers), 'admin'. */
export function can(level) {
  const role = session.me?.role;
  if (level === 'admin') return role === 'Admin';
  if (level === 'write') return role === 'Admin' || role === 'StoreManager';
  return Boolean(role);
}
