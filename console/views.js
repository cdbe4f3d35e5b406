// Building blocks of the console's pages: elements made with text nodes only (no HTML from data, ever), formats,
// and the lifecycle map with the order's path highlighted.

/** An element: attributes (`on*` become listeners, `false`/null are left out) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const STATUS_TONE = {
  NEEDS_CORRECTION: 'attention',
  PARKED: 'attention',
  RISK_REVIEW: 'attention',
  FORWARDED: 'done',
  CANCELLED: 'closed',
  EXPIRED: 'closed',
};

export function statusBadge(status) {
  return h('span', { class: `badge badge-${STATUS_TONE[status] ?? 'open'}` }, status);
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

/** "4 min", "2 h 5 min", "3 d 4 h": how long something has been waiting. */
export function formatAge(iso, now = Date.now()) {
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

export function formatAmount(cents) {
  return typeof cents === 'number' ? (cents / 100).toFixed(2) : '—';
}

/** Since when the order is in its current status: the latest history entry of that status, else its last update. */
export function inStatusSince(record) {
  const history = record.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) if (history[i].status === record.status) return history[i].at;
  return record.updated_at;
}

/** Why the order waits, in one line: the record's reason, the parked step, or the validation codes. */
export function reasonOf(record) {
  if (record.status_reason) return record.status_reason;
  const parked = record.parked_steps?.[0];
  if (parked) return `${parked.step}: ${parked.error}`;
  if (record.validation_errors?.length) return record.validation_errors.map((e) => e.code).join(', ');
  return '—';
}

/**
 * The phases the order went through, from its history: PARKED is not a phase (its step comes back to the phase it
 * left), so it is skipped, and repeats collapse. The current phase is the last one.
 */
export function pathOf(record) {
  const phases = [];
  for (const entry of record.history ?? []) {
    if (entry.status === 'PARKED') continue;
    if (phases[phases.length - 1] !== entry.status) phases.push(entry.status);
  }
  if (record.status !== 'PARKED' && phases[phases.length - 1] !== record.status) phases.push(record.status);
  return phases;
}

/** The lifecycle SVG (parsed from its file) with the order's path and current state marked; null without one. */
export function lifecycleMap(svgText, record) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') return null;
  const node = document.importNode(svg, true);
  node.removeAttribute('width');
  node.removeAttribute('height');
  if (!record) return node;
  const path = pathOf(record);
  const current = path[path.length - 1];
  const visited = new Set(path);
  const moves = new Set(path.slice(1).map((to, i) => `${path[i]}>${to}`));
  if (path.length > 0) moves.add(`START>${path[0]}`);
  for (const g of node.querySelectorAll('g.state, g.start')) {
    const state = g.getAttribute('data-state');
    if (state === current) g.classList.add('is-current');
    else if (visited.has(state) || state === 'START') g.classList.add('is-visited');
  }
  for (const g of node.querySelectorAll('g.move')) {
    if (moves.has(`${g.getAttribute('data-from')}>${g.getAttribute('data-to')}`)) g.classList.add('is-taken');
  }
  // The map's name says what is highlighted, for those who cannot see it.
  const title = node.querySelector('title');
  if (title) title.textContent = `Order lifecycle. This order's path: ${path.join(' → ') || 'none yet'}; current state ${record.status}.`;
  return node;
}
