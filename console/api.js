// The console's one way to the gateway: the support API with the Bearer token of this browser session.
// The token and the agent's name live in sessionStorage only (gone when the tab closes), never in a URL or a cookie:
// a request carries them only because this code adds the header, so another site cannot make the browser send them
// (no ambient credentials, hence no CSRF). See docs/console.md.

const TOKEN_KEY = 'oms.console.token';
const AGENT_KEY = 'oms.console.agent';

export function session() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const agent = sessionStorage.getItem(AGENT_KEY);
  return token && agent ? { token, agent } : null;
}

export function signIn(token, agent) {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(AGENT_KEY, agent);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(AGENT_KEY);
}

/** Raised when the token is refused: the app sends the agent back to the sign-in form. */
export class SignedOut extends Error {
  constructor(message) {
    super(message);
    this.name = 'SignedOut';
  }
}

/**
 * One API call. Resolves with `{status, ok, body}` for every HTTP answer (a 409 or a 422 is an outcome to show, not a
 * failure); rejects only when the network fails, or with SignedOut on a 401.
 */
export async function call(method, path, body, token = session()?.token) {
  const headers = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    // Nothing ambient: no cookies, and the token never leaves this origin.
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text };
  }
  if (res.status === 401) throw new SignedOut(parsed?.detail ?? 'the token was refused');
  return { status: res.status, ok: res.ok, body: parsed };
}

const enc = encodeURIComponent;

export const api = {
  settings: (token) => call('GET', '/v1/support/console-settings', undefined, token),
  queue: (status) => call('GET', `/v1/support/orders?status=${enc(status)}&limit=200`),
  remediation: () => call('GET', '/v1/support/remediation'),
  order: (id) => call('GET', `/v1/orders/${enc(id)}`),
  customerOrders: (id) => call('GET', `/v1/customers/${enc(id)}/orders?limit=100`),
  commerce: (id) => call('GET', `/v1/support/orders/${enc(id)}/commerce`),
  correct: (id, body) => call('POST', `/v1/support/orders/${enc(id)}/correction`, body),
  cancel: (id, body) => call('POST', `/v1/orders/${enc(id)}/cancel`, body),
  retry: (id, body) => call('POST', `/v1/support/orders/${enc(id)}/retry`, body),
  decideRisk: (id, body) => call('POST', `/v1/support/orders/${enc(id)}/risk-decision`, body),
  lifecycleSvg: async () => (await fetch('/console/lifecycle.svg', { credentials: 'omit' })).text(),
};
