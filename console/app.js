// The support console: sign-in, the work queues, the order page and its actions. Plain ES modules on the support
// API (docs/console.md); every page is drawn from what the API returns, with text nodes only.
import { api, session, signIn, signOut, SignedOut } from './api.js';
import { formatAge, formatAmount, formatTime, h, inStatusSince, lifecycleMap, pathOf, reasonOf, replace, statusBadge } from './views.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
const who = document.getElementById('who');
const nav = document.getElementById('nav');

const QUEUES = [
  { status: 'NEEDS_CORRECTION', title: 'Needs correction', hint: 'Orders that do not match the Commerce App: correct the items.' },
  { status: 'PARKED', title: 'Parked and refunds owed', hint: 'Orders with a step that exhausted its retries (it retries by itself; retry it now once the cause is fixed), and refunds the sweeper found owed.' },
  { status: 'RISK_REVIEW', title: 'Risk review', hint: 'Paid orders the Risk API asked a person to decide: approve or reject.' },
];
/** Statuses the order passes through by itself: after an action the page follows them for a few seconds. */
const MOVING = new Set(['VALIDATING', 'ENRICHING', 'ASSESSING_RISK', 'FORWARDING']);
const TERMINAL = new Set(['FORWARDED', 'CANCELLED', 'EXPIRED']);

let settings = { workflow_url_template: null };
let lifecycleSvgText = null;
/** Bumped on every navigation, so that a slow answer for a page left behind is dropped. */
let generation = 0;

function announce(text) {
  // Cleared first, so the same words said twice are announced twice.
  live.textContent = '';
  setTimeout(() => (live.textContent = text), 50);
}

function go(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

/** A page's heading takes the focus, so keyboard and screen-reader users start at the top of what changed. */
function page(title, ...content) {
  document.title = `${title} — OMS support console`;
  const heading = h('h1', { tabindex: '-1', id: 'page-title' }, title);
  replace(main, heading, ...content);
  heading.focus();
  return heading;
}

function drawHeader() {
  const s = session();
  replace(who, s ? [h('span', {}, 'Signed in as ', h('strong', {}, s.agent)), ' ', h('button', { type: 'button', class: 'link-button', onclick: () => { signOut(); announce('Signed out.'); go('#/signin'); } }, 'Sign out')] : '');
  nav.hidden = !s;
  const current = location.hash || '#/queue/NEEDS_CORRECTION';
  for (const a of nav.querySelectorAll('a')) {
    if (current.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// --- Sign-in ---------------------------------------------------------------------------------------------------------

function signInPage(message) {
  const error = h('p', { class: 'error', id: 'signin-error', role: 'alert' }, message ?? '');
  const agent = h('input', { id: 'agent', name: 'agent', autocomplete: 'username', required: true, maxlength: '128', 'aria-describedby': 'agent-hint' });
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-hint' });
  const form = h(
    'form',
    { class: 'card narrow', novalidate: true, onsubmit: (e) => { e.preventDefault(); void submit(); } },
    h('div', { class: 'field' }, h('label', { for: 'agent' }, 'Your name'), agent, h('p', { class: 'hint', id: 'agent-hint' }, 'Goes with each action into the order\'s history.')),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Support API token'), token, h('p', { class: 'hint', id: 'token-hint' }, 'Kept in this browser tab only, until you sign out or close it.')),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  async function submit() {
    const name = agent.value;
    if (!name || name.trim() !== name || !token.value) {
      error.textContent = !token.value ? 'Enter the support API token.' : 'Enter your name, without spaces at either end.';
      (token.value ? agent : token).focus();
      return;
    }
    try {
      const res = await api.settings(token.value);
      if (!res.ok) throw new Error(res.body?.detail ?? `HTTP ${res.status}`);
      signIn(token.value, name);
      announce(`Signed in as ${name}.`);
      go('#/queue/NEEDS_CORRECTION');
    } catch (err) {
      error.textContent = err instanceof SignedOut ? 'That token was refused (401). Check it and try again.' : `Could not sign in: ${err.message}`;
      token.focus();
    }
  }
  page('Sign in', form);
  agent.focus();
}

// --- Queues ----------------------------------------------------------------------------------------------------------

function orderLink(id) {
  return h('a', { href: `#/order/${encodeURIComponent(id)}` }, id);
}

function ordersTable(caption, orders, { ageFrom = inStatusSince } = {}) {
  if (orders.length === 0) return h('p', { class: 'empty' }, `${caption}: none.`);
  return h(
    'table',
    { class: 'orders' },
    h('caption', {}, `${caption} (${orders.length})`),
    h('thead', {}, h('tr', {}, ['Order', 'Customer', 'Status', 'Reason', 'Age', 'Submitted'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      orders.map((o) =>
        h('tr', {}, h('th', { scope: 'row' }, orderLink(o.order_id)), h('td', {}, o.customer_id), h('td', {}, statusBadge(o.status)), h('td', { class: 'reason' }, reasonOf(o)), h('td', {}, formatAge(ageFrom(o))), h('td', {}, formatTime(o.submitted_at))),
      ),
    ),
  );
}

function searchForm(onCustomer) {
  const orderId = h('input', { id: 'search-order', name: 'order_id', autocomplete: 'off', spellcheck: 'false' });
  const customerId = h('input', { id: 'search-customer', name: 'customer_id', autocomplete: 'off', spellcheck: 'false' });
  return h(
    'form',
    { class: 'search', role: 'search', 'aria-label': 'Find orders', onsubmit: (e) => {
      e.preventDefault();
      if (orderId.value) go(`#/order/${encodeURIComponent(orderId.value)}`);
      else if (customerId.value) onCustomer(customerId.value);
    } },
    h('div', { class: 'field inline' }, h('label', { for: 'search-order' }, 'Order id'), orderId),
    h('div', { class: 'field inline' }, h('label', { for: 'search-customer' }, 'or customer id'), customerId),
    h('button', { type: 'submit' }, 'Find'),
  );
}

async function queuePage(status) {
  const queue = QUEUES.find((q) => q.status === status) ?? QUEUES[0];
  const mine = generation;
  const results = h('div', { id: 'search-results' });
  const body = h('div', { id: 'queue-body', 'aria-busy': 'true' }, h('p', {}, 'Loading…'));
  const showCustomer = async (customerId) => {
    const res = await api.customerOrders(customerId);
    if (mine !== generation) return;
    replace(results, res.ok ? ordersTable(`Orders of customer ${customerId}`, res.body.orders, { ageFrom: (o) => o.updated_at }) : problemText(res));
    announce(res.ok ? `${res.body.orders.length} orders of customer ${customerId}.` : `Search failed: ${res.status}`);
  };
  page(queue.title, h('p', { class: 'hint' }, queue.hint), searchForm((id) => void showCustomer(id)), results, body);
  const res = await api.queue(queue.status);
  if (mine !== generation) return;
  const parts = [res.ok ? ordersTable(queue.status === 'PARKED' ? 'Parked orders' : queue.title, res.body.orders) : problemText(res)];
  if (queue.status === 'PARKED') parts.push(await refundsOwed());
  if (mine !== generation) return;
  replace(body, parts);
  body.removeAttribute('aria-busy');
}

/** The sweeper's findings (GET /v1/support/remediation): refunds owed, failed late events, stuck orders. */
async function refundsOwed() {
  const section = h('section', { 'aria-labelledby': 'owed-title' }, h('h2', { id: 'owed-title' }, 'Refunds owed'));
  const res = await api.remediation();
  if (res.status === 404) {
    const notRun = String(res.body?.type ?? '').endsWith('remediation-not-run');
    section.append(
      h('p', { class: 'hint' }, notRun
        ? 'The remediation sweeper has not reported yet (it runs every few minutes once its schedule exists).'
        : 'This gateway has no remediation report (GET /v1/support/remediation).',
      ' Until then a refund that keeps failing shows above, as a parked refund step of its order.'),
    );
    return section;
  }
  if (!res.ok) {
    section.append(problemText(res));
    return section;
  }
  const report = res.body;
  const findings = report.findings ?? [];
  const owed = findings.filter((f) => f.kind === 'refund_owed' || f.kind === 'late_event_failure');
  const stuck = findings.filter((f) => f.kind === 'stuck');
  const totals = report.totals ?? {};
  section.append(
    h('p', { class: 'hint' }, 'From the sweep of ', formatTime(report.run_at), ` (${formatAge(report.run_at)} ago): `,
      `${totals.refunds_owed?.count ?? owed.length} refunds owed, ${totals.late_event_failures?.count ?? 0} failed late events, `,
      `${(totals.stuck ?? []).reduce((n, t) => n + t.count, 0)} stuck orders${report.truncated ? ' (lists truncated)' : ''}.`),
    findingsTable('Refunds owed and failed late events', owed),
    h('h2', { id: 'stuck-title' }, 'Stuck orders'),
    findingsTable('Orders in one status longer than its threshold', stuck),
  );
  return section;
}

function findingsTable(caption, findings) {
  if (findings.length === 0) return h('p', { class: 'empty' }, `${caption}: none.`);
  return h(
    'table',
    { class: 'orders' },
    h('caption', {}, `${caption} (${findings.length})`),
    h('thead', {}, h('tr', {}, ['Order', 'Kind', 'Status', 'Reason', 'Age'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, findings.map((f) => h('tr', {}, h('th', { scope: 'row' }, f.order_id ? orderLink(f.order_id) : (f.workflow_id ?? '—')), h('td', {}, f.kind.replace(/_/g, ' ')), h('td', {}, f.status), h('td', { class: 'reason' }, f.reason), h('td', {}, formatAge(f.since))))),
  );
}

function problemText(res) {
  const b = res.body ?? {};
  return h('p', { class: 'error', role: 'alert' }, `${res.status} ${b.title ?? ''}: ${b.detail ?? 'the request failed'}`);
}

// --- The order page -------------------------------------------------------------------------------------------------

async function orderPage(orderId) {
  const mine = generation;
  page(`Order ${orderId}`, h('p', { 'aria-busy': 'true' }, 'Loading…'));
  const [res, commerce, svg] = await Promise.all([api.order(orderId), api.commerce(orderId), lifecycleSvgText ?? api.lifecycleSvg()]);
  lifecycleSvgText = svg;
  if (mine !== generation) return;
  if (!res.ok) {
    page(`Order ${orderId}`, problemText(res), h('p', {}, h('a', { href: '#/queue/NEEDS_CORRECTION' }, 'Back to the queues')));
    return;
  }
  const view = new OrderView(orderId, res.body, commerce, mine);
  view.draw();
}

class OrderView {
  constructor(orderId, record, commerce, gen) {
    this.orderId = orderId;
    this.record = record;
    this.commerce = commerce;
    this.gen = gen;
    this.outcome = h('div', { class: 'outcome', id: 'outcome', tabindex: '-1' });
    this.regions = {
      summary: h('section', { 'aria-labelledby': 'summary-title', class: 'card' }),
      map: h('section', { 'aria-labelledby': 'map-title', class: 'card wide' }),
      validation: h('section', { 'aria-labelledby': 'validation-title', class: 'card' }),
      timeline: h('section', { 'aria-labelledby': 'timeline-title', class: 'card' }),
      payments: h('section', { 'aria-labelledby': 'payments-title', class: 'card' }),
      actions: h('section', { 'aria-labelledby': 'actions-title', class: 'card' }),
    };
    this.actionsKey = '';
  }

  draw() {
    const r = this.regions;
    page(`Order ${this.orderId}`, h('div', { class: 'order-grid' }, r.summary, r.actions, r.validation, r.payments, r.timeline, r.map));
    this.drawData();
    this.drawActions(true);
  }

  drawData() {
    const rec = this.record;
    const url = settings.workflow_url_template?.replace('{order_id}', encodeURIComponent(rec.order_id));
    replace(
      this.regions.summary,
      h('h2', { id: 'summary-title' }, 'Record'),
      h(
        'dl',
        { class: 'facts' },
        fact('Status', statusBadge(rec.status)),
        fact('Reason', reasonOf(rec)),
        fact('Customer', rec.customer_id),
        rec.customer_email !== undefined ? fact('E-mail', rec.customer_email ?? 'forgotten (erased)') : null,
        fact('Submitted', formatTime(rec.submitted_at)),
        fact('Expires', formatTime(rec.expires_at)),
        fact('Updated', formatTime(rec.updated_at)),
        fact('Items', h('ul', { class: 'plain' }, rec.items.map((i) => h('li', {}, `${i.item_id} × ${i.quantity}`, i.sku_id ? ` (${i.sku_id}, ${i.brand_code})` : '')))),
        rec.parked_steps?.length ? fact('Parked steps', h('ul', { class: 'plain' }, rec.parked_steps.map((p) => h('li', {}, `${p.step}: ${p.error} — since `, formatTime(p.since))))) : null,
      ),
      h('p', {}, url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', id: 'workflow-link' }, `Open workflow order-${rec.order_id} in the Temporal Web UI`, h('span', { class: 'sr-only' }, ' (opens a new tab)')) : `Workflow: order-${rec.order_id} (no Temporal Web UI configured)`),
      h('button', { type: 'button', onclick: () => void this.refresh('Refreshed.') }, 'Refresh'),
    );

    const path = pathOf(rec);
    const map = lifecycleSvgText ? lifecycleMap(lifecycleSvgText, rec) : null;
    replace(this.regions.map, h('h2', { id: 'map-title' }, 'Where the order is'), h('p', { id: 'path-text' }, 'Path taken: ', h('strong', {}, path.join(' → ') || '—'), '. Current state: ', h('strong', {}, rec.status), '.'), map ? h('div', { class: 'map' }, map) : null);

    replace(this.regions.timeline, h('h2', { id: 'timeline-title' }, 'Timeline'), h('ol', { class: 'timeline' }, rec.history.map((e) => h('li', {}, formatTime(e.at), ' ', statusBadge(e.status), e.reason ? h('span', { class: 'reason' }, ` ${e.reason}`) : ''))));

    const refunds = rec.history.filter((e) => /refund/i.test(e.reason ?? ''));
    const parkedRefunds = (rec.parked_steps ?? []).filter((p) => /refund/i.test(p.step));
    replace(
      this.regions.payments,
      h('h2', { id: 'payments-title' }, 'Payments and refunds'),
      rec.payment ? h('dl', { class: 'facts' }, fact('RRN', rec.payment.rrn), fact('Amount', formatAmount(rec.payment.amount_cents)), fact('Captured', formatTime(rec.payment.captured_at))) : h('p', { class: 'empty' }, 'No capture accepted yet.'),
      h('h3', {}, 'Refunds'),
      refunds.length || parkedRefunds.length
        ? h('ul', { class: 'plain' }, refunds.map((e) => h('li', {}, formatTime(e.at), ` ${e.status}: ${e.reason}`)), parkedRefunds.map((p) => h('li', { class: 'error' }, `Refund retrying by itself: ${p.error}`)))
        : h('p', { class: 'empty' }, TERMINAL.has(rec.status) && rec.status !== 'FORWARDED' ? 'No refund noted on the history.' : 'None.'),
    );

    this.drawValidation();
  }

  drawValidation() {
    const rec = this.record;
    const c = this.commerce;
    const errors = rec.validation_errors ?? [];
    let commercePart;
    if (!c) commercePart = h('p', { class: 'empty' }, 'Not read.');
    else if (!c.ok) commercePart = problemText(c);
    else if (c.body.commerce === null) commercePart = h('p', {}, 'The Commerce App does not know this order (404).');
    else {
      const ours = new Map(rec.items.map((i) => [i.item_id, i.quantity]));
      const theirs = c.body.commerce.items;
      const ids = [...new Set([...theirs.map((i) => i.item_id), ...ours.keys()])];
      commercePart = h(
        'table',
        { class: 'compare' },
        h('caption', {}, `Items: this order beside the Commerce App (customer ${c.body.commerce.customer_id}, placed `, formatTime(c.body.commerce.placed_at), ')'),
        h('thead', {}, h('tr', {}, ['Item', 'This order', 'Commerce App'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          ids.map((id) => {
            const q1 = ours.get(id);
            const q2 = theirs.find((i) => i.item_id === id)?.quantity;
            return h('tr', { class: q1 === q2 ? '' : 'differs' }, h('th', { scope: 'row' }, id), h('td', {}, q1 ?? 'missing'), h('td', {}, q2 ?? 'missing'), q1 === q2 ? null : h('td', { class: 'sr-only' }, 'differs'));
          }),
        ),
      );
    }
    replace(
      this.regions.validation,
      h('h2', { id: 'validation-title' }, 'Validation'),
      errors.length ? h('ul', { class: 'plain errors-list' }, errors.map((e) => h('li', {}, h('code', {}, e.code), e.item_id ? ` (${e.item_id})` : '', `: ${e.detail}`))) : h('p', { class: 'empty' }, 'No validation errors.'),
      h('h3', {}, 'What the Commerce App holds'),
      commercePart,
    );
  }

  /** The actions the status allows; redrawn only when that set changes, so a half-typed form survives a refresh. */
  drawActions(force = false) {
    const rec = this.record;
    const kinds = [];
    if (rec.status === 'NEEDS_CORRECTION') kinds.push('correct');
    if (rec.status === 'RISK_REVIEW') kinds.push('decide');
    if (rec.parked_steps?.length) kinds.push('retry');
    // Once forwarding started nothing cancels the order; a paid one still shows the form, and its 409 says why.
    if (!TERMINAL.has(rec.status) && rec.status !== 'FORWARDING') kinds.push('cancel');
    const key = kinds.length ? kinds.join(',') : `none:${rec.status}`;
    if (!force && key === this.actionsKey) return;
    this.actionsKey = key;
    const forms = { correct: () => this.correctionForm(), decide: () => this.riskForm(), retry: () => this.retryForm(), cancel: () => this.cancelForm() };
    // Redrawing moves or drops what had the focus: it goes back to the outcome, where the answer is.
    const hadFocus = this.regions.actions.contains(document.activeElement);
    replace(this.regions.actions, h('h2', { id: 'actions-title' }, 'Actions'), this.outcome, kinds.length ? kinds.map((k) => forms[k]()) : h('p', { class: 'empty' }, `Nothing to do: the order is ${rec.status}.`));
    if (hadFocus) this.outcome.focus();
  }

  showOutcome(ok, text) {
    replace(this.outcome, h('p', { class: ok ? 'success' : 'error' }, text));
    this.outcome.focus();
    announce(text);
  }

  /** Re-reads the order (and follows it while it moves by itself), redrawing without reloading the page. */
  async refresh(message, follow = false) {
    for (let i = 0; i < (follow ? 40 : 1); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      const res = await api.order(this.orderId);
      if (this.gen !== generation || !res.ok) return;
      // The command answers with the workflow's record; the store's copy may trail it for a moment. An older one
      // is never shown over a newer one (the page would seem to undo the action): follow until the store caught up.
      const behind = Date.parse(res.body.updated_at) < Date.parse(this.record.updated_at);
      if (behind && follow) continue;
      if (behind) return announce('The order is changing: its newest record is not readable yet. Refresh again in a moment.');
      this.record = res.body;
      this.drawData();
      this.drawActions();
      if (!MOVING.has(this.record.status)) break;
    }
    if (message) announce(message);
  }

  /** Runs one command and shows what the API said; the page then follows the order. */
  async run(label, request, explain) {
    const res = await request();
    if (this.gen !== generation) return res;
    if (res.ok) {
      this.record = res.body;
      this.drawData();
      this.drawActions();
    }
    this.showOutcome(res.ok, explain(res));
    if (res.ok) await this.refresh(null, true);
    return res;
  }

  correctionForm() {
    const rec = this.record;
    const rows = h('div', { class: 'item-rows' });
    const itemsError = h('p', { class: 'field-error', id: 'items-error' });
    const customer = h('input', { id: 'fix-customer', name: 'customer_id', value: rec.customer_id, required: true, 'aria-describedby': 'fix-customer-error' });
    const customerError = h('p', { class: 'field-error', id: 'fix-customer-error' });
    const note = h('textarea', { id: 'fix-note', name: 'note', rows: '2', maxlength: '2000' });
    const noteError = h('p', { class: 'field-error', id: 'fix-note-error' });
    let seq = 0;
    const addRow = (item) => {
      const n = ++seq;
      const idInput = h('input', { id: `item-id-${n}`, name: 'item_id', value: item.item_id, required: true, spellcheck: 'false', 'aria-describedby': `item-error-${n}` });
      const qtyInput = h('input', { id: `item-qty-${n}`, name: 'quantity', type: 'number', step: 'any', value: String(item.quantity), required: true, 'aria-describedby': `item-error-${n}`, class: 'qty' });
      const error = h('p', { class: 'field-error', id: `item-error-${n}` });
      const row = h(
        'div',
        { class: 'item-row', dataset: { row: String(n) } },
        h('label', { for: `item-id-${n}`, class: 'sr-only' }, `Item ${n} id`),
        idInput,
        h('label', { for: `item-qty-${n}`, class: 'sr-only' }, `Item ${n} quantity`),
        qtyInput,
        h('button', { type: 'button', class: 'link-button', onclick: () => { row.remove(); announce(`Item row ${n} removed.`); addButton.focus(); } }, 'Remove', h('span', { class: 'sr-only' }, ` item ${n}`)),
        error,
      );
      rows.append(row);
      return idInput;
    };
    for (const item of rec.items) addRow(item);
    const addButton = h('button', { type: 'button', onclick: () => addRow({ item_id: '', quantity: 1 }).focus() }, 'Add an item');
    const fromCommerce = this.commerce?.ok && this.commerce.body.commerce
      ? h('button', { type: 'button', onclick: () => {
          rows.replaceChildren();
          for (const item of this.commerce.body.commerce.items) addRow(item);
          customer.value = this.commerce.body.commerce.customer_id;
          announce('Items filled from the Commerce App.');
        } }, 'Fill from the Commerce App')
      : null;

    const clearErrors = () => {
      for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    };
    /** Puts each error of the API's problem on its field: the item's row, the customer, the note, else the items. */
    const placeErrors = (errors) => {
      let first = null;
      const mark = (input, holder, message) => {
        input?.setAttribute('aria-invalid', 'true');
        holder.textContent = holder.textContent ? `${holder.textContent}; ${message}` : message;
        first ??= input ?? holder;
      };
      const rowEls = [...rows.querySelectorAll('.item-row')];
      for (const e of errors) {
        const field = e.field ?? '';
        const byItem = /^order\.items\[(.*)\]$/.exec(field);
        const byIndex = /^body\.order\.items\.(\d+)(?:\.(item_id|quantity))?$/.exec(field);
        if (byItem) {
          const row = rowEls.find((r) => r.querySelector('input[name=item_id]').value === byItem[1]);
          if (row) mark(row.querySelector(`input[name=${/quantity/.test(e.message) ? 'quantity' : 'item_id'}]`), row.querySelector('.field-error'), e.message);
          else mark(null, itemsError, `${byItem[1]}: ${e.message}`);
        } else if (byIndex && rowEls[Number(byIndex[1])]) {
          const row = rowEls[Number(byIndex[1])];
          mark(row.querySelector(`input[name=${byIndex[2] ?? 'item_id'}]`), row.querySelector('.field-error'), e.message);
        } else if (/customer_id$/.test(field)) mark(customer, customerError, e.message);
        else if (/note$/.test(field)) mark(note, noteError, e.message);
        else mark(null, itemsError, `${field ? `${field}: ` : ''}${e.message}`);
      }
      return first;
    };

    const form = h(
      'form',
      { class: 'action', id: 'correction-form', 'aria-labelledby': 'fix-title', novalidate: true, onsubmit: (e) => { e.preventDefault(); void submit(); } },
      h('h3', { id: 'fix-title' }, 'Correct the order'),
      h('p', { class: 'hint' }, 'Filled from the submission. Make it match what the customer ordered; it is checked against the Commerce App again.'),
      h('div', { class: 'field' }, h('label', { for: 'fix-customer' }, 'Customer id'), customer, customerError),
      h('fieldset', { class: 'items' }, h('legend', {}, 'Items'), h('div', { class: 'item-head', 'aria-hidden': 'true' }, h('span', {}, 'Item id'), h('span', {}, 'Quantity')), rows, itemsError, h('div', { class: 'buttons' }, addButton, fromCommerce)),
      h('div', { class: 'field' }, h('label', { for: 'fix-note' }, 'Note (optional)'), note, noteError),
      h('button', { type: 'submit', class: 'primary' }, 'Submit correction'),
    );
    const submit = async () => {
      clearErrors();
      const items = [...rows.querySelectorAll('.item-row')].map((r) => {
        const raw = r.querySelector('input[name=quantity]').value;
        return { item_id: r.querySelector('input[name=item_id]').value, quantity: raw === '' ? Number.NaN : Number(raw) };
      });
      const bad = items.findIndex((i) => !Number.isFinite(i.quantity));
      if (bad >= 0) {
        const row = rows.querySelectorAll('.item-row')[bad];
        row.querySelector('.field-error').textContent = 'Enter a number.';
        const input = row.querySelector('input[name=quantity]');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      const body = { customer_id: customer.value, order: { order_id: rec.order_id, items }, note: note.value, agent: session().agent };
      const res = await this.run('correction', () => api.correct(rec.order_id, body), (r) => {
        if (r.ok) return `Correction accepted (200): the order is now ${r.body.status}.`;
        if (r.status === 422) return `Still invalid (422): ${r.body.detail}. The errors are shown on the fields.`;
        if (r.status === 409) return `Not applied (409): the order is no longer awaiting a correction (${r.body.detail}).`;
        if (r.status === 400) return `Refused (400): ${r.body.detail}. The errors are shown on the fields.`;
        if (r.status === 503) return 'The Commerce App or PIM cannot answer right now (503): try again in a moment.';
        return `HTTP ${r.status}: ${r.body?.detail ?? ''}`;
      });
      if (res.status === 422 || res.status === 400) {
        const first = placeErrors(res.body?.errors ?? []);
        if (res.status === 422 && res.body?.validation_errors) {
          this.record = { ...this.record, validation_errors: res.body.validation_errors };
          this.drawValidation();
        }
        if (first instanceof HTMLElement) first.focus();
      }
    };
    return form;
  }

  cancelForm() {
    const rec = this.record;
    const reason = h('input', { id: 'cancel-reason', name: 'reason', required: true, maxlength: '400', 'aria-describedby': 'cancel-reason-hint cancel-reason-error' });
    const error = h('p', { class: 'field-error', id: 'cancel-reason-error' });
    const form = h(
      'form',
      { class: 'action', id: 'cancel-form', 'aria-labelledby': 'cancel-title', novalidate: true, onsubmit: (e) => { e.preventDefault(); void submit(); } },
      h('h3', { id: 'cancel-title' }, 'Cancel the order'),
      h('div', { class: 'field' }, h('label', { for: 'cancel-reason' }, 'Reason'), reason, h('p', { class: 'hint', id: 'cancel-reason-hint' }, 'Required. Your name is added to it on the order\'s history. A paid order cannot be cancelled.'), error),
      h('button', { type: 'submit', class: 'danger' }, 'Cancel order'),
    );
    const submit = async () => {
      error.textContent = '';
      reason.removeAttribute('aria-invalid');
      if (!reason.value.trim()) {
        error.textContent = 'Enter a reason.';
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      // The cancel body has no agent field (contract §3): the agent's name travels inside the reason.
      const body = { reason: `${reason.value} (agent: ${session().agent})` };
      const res = await this.run('cancel', () => api.cancel(rec.order_id, body), (r) => {
        if (r.ok) return `Cancelled (200): the order is ${r.body.status}, reason "${r.body.status_reason}". Any capture is refunded.`;
        if (r.status === 409 && r.body?.type?.endsWith('payment-already-captured')) return 'Not cancelled (409): a valid payment was already captured, so the order goes on to fulfillment. Refund it after delivery through the usual returns process.';
        if (r.status === 409 && r.body?.type?.endsWith('order-terminal')) return 'Not cancelled (409): the order is already closed; nothing changed.';
        if (r.status === 409) return `Not cancelled (409): ${r.body?.detail ?? 'the order cannot be cancelled in its state'}.`;
        if (r.status === 400) return `Refused (400): ${(r.body?.errors ?? []).map((e) => e.message).join('; ') || r.body?.detail}`;
        return `HTTP ${r.status}: ${r.body?.detail ?? ''}`;
      });
      if (res.status === 400) {
        error.textContent = (res.body?.errors ?? []).map((e) => e.message).join('; ');
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
      }
    };
    return form;
  }

  retryForm() {
    const rec = this.record;
    const note = h('input', { id: 'retry-note', name: 'note', maxlength: '2000' });
    const form = h(
      'form',
      { class: 'action', id: 'retry-form', 'aria-labelledby': 'retry-title', onsubmit: (e) => { e.preventDefault(); void submit(); } },
      h('h3', { id: 'retry-title' }, 'Retry the parked steps'),
      h('p', { class: 'hint' }, `Parked: ${rec.parked_steps.map((p) => `${p.step} (${p.error})`).join('; ')}. They retry by themselves; retry now once the cause is fixed.`),
      h('div', { class: 'field' }, h('label', { for: 'retry-note' }, 'Note (optional)'), note),
      h('button', { type: 'submit', class: 'primary' }, 'Retry now'),
    );
    const submit = () =>
      this.run('retry', () => api.retry(rec.order_id, { agent: session().agent, ...(note.value ? { note: note.value } : {}) }), (r) => {
        if (r.ok) return `Retry started (200): the order is ${r.body.status}${r.body.parked_steps?.length ? `, still parked: ${r.body.parked_steps.map((p) => p.step).join(', ')}` : ''}.`;
        if (r.status === 409) return 'Nothing to retry (409): no step of this order is parked any more.';
        return `HTTP ${r.status}: ${r.body?.detail ?? ''}`;
      });
    return form;
  }

  riskForm() {
    const rec = this.record;
    const note = h('input', { id: 'risk-note', name: 'note', maxlength: '2000' });
    const radio = (value, label) => h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'decision', id: `risk-${value}`, value, required: true }), h('label', { for: `risk-${value}` }, label));
    const error = h('p', { class: 'field-error', id: 'risk-error' });
    const form = h(
      'form',
      { class: 'action', id: 'risk-form', 'aria-labelledby': 'risk-title', novalidate: true, onsubmit: (e) => { e.preventDefault(); void submit(); } },
      h('h3', { id: 'risk-title' }, 'Decide the risk review'),
      h('p', { class: 'hint' }, `The Risk API asked for a review: ${rec.status_reason ?? ''}`),
      h('fieldset', {}, h('legend', {}, 'Decision'), radio('approve', 'Approve: forward the order'), radio('reject', 'Reject: cancel it and refund the capture'), error),
      h('div', { class: 'field' }, h('label', { for: 'risk-note' }, 'Note (optional)'), note),
      h('button', { type: 'submit', class: 'primary' }, 'Record decision'),
    );
    const submit = async () => {
      const decision = form.querySelector('input[name=decision]:checked')?.value;
      if (!decision) {
        error.textContent = 'Choose approve or reject.';
        form.querySelector('#risk-approve').focus();
        return;
      }
      await this.run('risk decision', () => api.decideRisk(rec.order_id, { decision, agent: session().agent, note: note.value }), (r) => {
        if (r.ok) return `Decision recorded (200): the order is ${r.body.status}.`;
        if (r.status === 409) return 'Not applied (409): the order is not waiting for a risk decision any more.';
        return `HTTP ${r.status}: ${r.body?.detail ?? ''}`;
      });
    };
    return form;
  }
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

// --- The lifecycle page -----------------------------------------------------------------------------------------------

async function lifecyclePage() {
  const mine = generation;
  page('Order lifecycle', h('p', {}, 'Loading…'));
  lifecycleSvgText ??= await api.lifecycleSvg();
  if (mine !== generation) return;
  const map = lifecycleMap(lifecycleSvgText, null);
  page(
    'Order lifecycle',
    h('p', { class: 'hint' }, 'Generated from the workflow\'s own table of states and transitions (workflows/order/phase.ts). Hover a state or an arrow for its details. Human tasks are the ones this console does.'),
    h('div', { class: 'map card wide' }, map),
  );
}

// --- Routing ------------------------------------------------------------------------------------------------------------

async function route() {
  generation++;
  const hash = location.hash || '#/queue/NEEDS_CORRECTION';
  drawHeader();
  if (!session()) return signInPage();
  try {
    if (settings.workflow_url_template === null && !settings.loaded) {
      const res = await api.settings();
      if (res.ok) settings = { ...res.body, loaded: true };
    }
    const [, kind, arg] = /^#\/([a-z]+)\/?(.*)$/.exec(hash) ?? [];
    if (kind === 'signin') return signInPage();
    if (kind === 'order' && arg) return await orderPage(decodeURIComponent(arg));
    if (kind === 'lifecycle') return await lifecyclePage();
    return await queuePage(arg || 'NEEDS_CORRECTION');
  } catch (err) {
    if (err instanceof SignedOut) {
      signOut();
      drawHeader();
      return signInPage('The token was refused (401): sign in again.');
    }
    page('Something went wrong', h('p', { class: 'error', role: 'alert' }, `The gateway could not be reached: ${err.message}`), h('button', { type: 'button', onclick: () => void route() }, 'Try again'));
  }
}

window.addEventListener('hashchange', () => void route());
// A token refused in the middle of an action (revoked, rotated): back to the sign-in form, whatever was running.
window.addEventListener('unhandledrejection', (event) => {
  if (!(event.reason instanceof SignedOut)) return;
  event.preventDefault();
  signOut();
  drawHeader();
  signInPage('The token was refused (401): sign in again.');
});
void route();
