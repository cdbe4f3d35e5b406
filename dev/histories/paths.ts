// The order paths `npm run histories -- record` drives through the gateway, one order each, with what each must end
// as. Everything goes through the contract (signed webhooks, Bearer commands, GET /v1/orders) against independent
// fakes of the external APIs, which is also how each path's outside world is set up (orders, items, payments, outages).
import type { Client } from '@temporalio/client';
import type { OrderStatus, TerminalStatus } from '../../contracts';
import { commerceWebhook, paymentCapture } from '../../test/helpers/fixtures';
import { COMMERCE_V2_CONTENT_TYPE, type GatewayClient } from '../../test/helpers/gateway-client';
import type { IndependentApis } from '../../test/helpers/independent-apis';

export interface PathWorld {
  apis: IndependentApis;
  gateway: GatewayClient;
  /** A client of the stack's Temporal server, with the dev payload codec. */
  temporal: Client;
  windows: { paymentCaptureWindowMs: number; orderTtlMs: number };
  /** Makes order ids unique to this recording: `ord-<path>-<tag>`. */
  tag: string;
  /**
   * Order ids the Risk API answers 503 for while they are in this set: an outage for those assessments only (the
   * recorder's gate in front of the independent Risk fake), so one path's outage does not reach the paths running
   * beside it, as the fake's global riskDown would.
   */
  riskOutage: Set<string>;
}

/** What a path left behind, for the recorder to check and to write. */
export interface PathOutcome {
  orderId: string;
  /** The order's final status: its workflow's result and GET /v1/orders/{id} must both say it. */
  expected: TerminalStatus;
  /** Its status_reason, when the path is about one. */
  expectedReason?: string;
  /** Late-event workflows the path produced (each is recorded too), by the file-name suffix they get. */
  late?: Array<{ suffix: string; workflowId: string }>;
  /** The order must have continued as new (≥ 2 runs); every other path must be one run. */
  continuesAsNew?: boolean;
  /** Facts the path saw on its way (shown in RECORDING.md). */
  notes: string[];
}

export interface OrderPath {
  /** The file name: `<name>.json` (or `<name>.run-<n>.json`, `<name>.<suffix>.json`). */
  name: string;
  summary: string;
  run(world: PathWorld): Promise<PathOutcome>;
}

export class PathError extends Error {
  override readonly name = 'PathError';
}

interface RecordView {
  status: OrderStatus | 'PARKED';
  status_reason: string | null;
  history: Array<{ status: string; reason?: string }>;
  customer_email?: string | null;
}

const ITEMS = [
  { item_id: 'itm-tee-navy-m', sku_id: 'TEE-NAVY-M', brand_code: 'BRAND-A' },
  { item_id: 'itm-jeans-blue-32', sku_id: 'JEANS-BLUE-32', brand_code: 'BRAND-B' },
];

export function seedCatalogue(apis: IndependentApis): void {
  for (const item of ITEMS) apis.items.set(item.item_id, item);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value, at most `timeoutMs`; the last reason it gave is in the error. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const got = await probe().catch((err: unknown) => `error: ${(err as Error).message}`);
    if (typeof got !== 'string') return got;
    last = got;
    if (Date.now() > deadline) throw new PathError(`${what}: not within ${Math.round(timeoutMs / 1000)} s (last seen: ${last})`);
    await pause(250);
  }
}

function expectHttp(what: string, answer: { status: number; body: unknown }, status: number): void {
  if (answer.status !== status) throw new PathError(`${what}: expected HTTP ${status}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 400)}`);
}

async function recordOf(world: PathWorld, orderId: string, want: string, match: (r: RecordView) => boolean, timeoutMs = 30_000): Promise<RecordView> {
  return until(`order ${orderId} ${want}`, timeoutMs, async () => {
    const res = await world.gateway.getOrder(orderId);
    if (res.status !== 200) return `HTTP ${res.status}`;
    const record = res.body as RecordView;
    return match(record) ? record : `${record.status} (${record.status_reason ?? ''})`;
  });
}

const inStatus = (status: string) => (r: RecordView) => r.status === status;
const confirmed = (rrn: string) => (r: RecordView) => r.history.some((h) => h.reason?.startsWith(`capture ${rrn} confirmed`) === true);

/** Temporal says the workflow's latest run is closed (so an event now can only reach it as a late event). */
async function closedInTemporal(world: PathWorld, workflowId: string, timeoutMs = 30_000): Promise<void> {
  await until(`${workflowId} closed in Temporal`, timeoutMs, async () => {
    const { status } = await world.temporal.workflow.getHandle(workflowId).describe();
    return status.name === 'RUNNING' ? 'RUNNING' : true;
  });
}

/** Registers the order in the Commerce App (with `commerceQuantity` of the tee, so the webhook may disagree) and its capture. */
function seed(world: PathWorld, name: string, options: { commerceQuantity?: number; email?: boolean } = {}) {
  const orderId = `ord-${name}-${world.tag}`;
  const webhook = commerceWebhook(orderId);
  const items = webhook.order.items.map((i) => (i.item_id === 'itm-tee-navy-m' ? { ...i, quantity: options.commerceQuantity ?? i.quantity } : i));
  world.apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items, placed_at: '2026-12-01T09:00:00.000Z' });
  const capture = paymentCapture(orderId);
  world.apis.payments.set(capture.rrn, { rrn: capture.rrn, order_id: orderId, amount_cents: capture.amount_cents, status: 'captured' });
  const email = `buyer.${name}@example.test`;
  const postWebhook = async () => {
    const answer = options.email
      ? await world.gateway.postCommerce({ ...webhook, customer_email: email }, { contentType: COMMERCE_V2_CONTENT_TYPE })
      : await world.gateway.postCommerce(webhook);
    expectHttp(`commerce webhook of ${orderId}`, answer, 202);
  };
  const postCapture = async (body: unknown = capture) => expectHttp(`payment capture of ${orderId}`, await world.gateway.postPayment(body), 202);
  return { orderId, webhook, capture, email, postWebhook, postCapture };
}

function assessmentsOf(world: PathWorld, orderId: string): number {
  return world.apis.assessments.filter((a) => a.order_id === orderId).length;
}

function expectAssessments(world: PathWorld, orderId: string, count: number): void {
  const n = assessmentsOf(world, orderId);
  if (n !== count) throw new PathError(`order ${orderId}: the Risk API was asked ${n} times, expected ${count}`);
}

const noted = (prefix: string) => (r: RecordView) => r.history.some((h) => h.reason?.startsWith(prefix) === true);

function refundsOf(world: PathWorld, rrn: string): number {
  return world.apis.refunds.filter((r) => r.rrn === rrn).length;
}

async function refunded(world: PathWorld, rrn: string): Promise<void> {
  await until(`refund of ${rrn}`, 30_000, async () => (refundsOf(world, rrn) === 1 ? true : `${refundsOf(world, rrn)} refunds`));
}

function correction(orderId: string, teeQuantity: number) {
  return {
    customer_id: 'cus-007',
    order: { order_id: orderId, items: [{ item_id: 'itm-tee-navy-m', quantity: teeQuantity }, { item_id: 'itm-jeans-blue-32', quantity: 1 }] },
    note: 'checked with the customer',
    agent: 'agent-ann',
  };
}

/** Waits for a late-event workflow whose id starts with `prefix` (the digest of a late webhook is the gateway's). */
async function lateWorkflow(world: PathWorld, prefix: string): Promise<string> {
  const { id } = await until(`a late-event workflow ${prefix}…`, 30_000, async () => {
    for await (const w of world.temporal.workflow.list({ query: `WorkflowType = 'LateEventWorkflow'` })) {
      if (w.workflowId.startsWith(prefix)) return { id: w.workflowId };
    }
    return 'none listed yet';
  });
  await closedInTemporal(world, id);
  return id;
}

/** How long to wait for a window to close: the window from the order's first event, and room for the closing. */
const windowWait = (ms: number) => ms + 30_000;

export const ORDER_PATHS: readonly OrderPath[] = [
  {
    name: 'happy-webhook-first',
    summary: 'v2 webhook with customer_email, then the capture → FORWARDED',
    async run(world) {
      const o = seed(world, 'happy-webhook-first', { email: true });
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      await o.postCapture();
      const done = await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      if (done.customer_email !== o.email) throw new PathError(`order ${o.orderId}: GET shows customer_email ${JSON.stringify(done.customer_email)}, expected ${o.email}`);
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['customer_email collected (v2) and shown to support'] };
    },
  },
  {
    name: 'happy-capture-first',
    summary: 'capture first (AWAITING_ORDER), then the v1 webhook → FORWARDED',
    async run(world) {
      const o = seed(world, 'happy-capture-first');
      await o.postCapture();
      await recordOf(world, o.orderId, 'AWAITING_ORDER with the capture confirmed', (r) => r.status === 'AWAITING_ORDER' && confirmed(o.capture.rrn)(r));
      await o.postWebhook();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return { orderId: o.orderId, expected: 'FORWARDED', notes: [] };
    },
  },
  {
    name: 'duplicate-webhooks',
    summary: 'the same webhook 3 times, twice more while awaiting payment, the capture twice → FORWARDED once',
    async run(world) {
      const o = seed(world, 'duplicate-webhooks', { email: true });
      for (let i = 0; i < 3; i++) await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      await o.postWebhook();
      await o.postWebhook();
      await o.postCapture();
      await o.postCapture();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['5 webhooks and 2 captures delivered'] };
    },
  },
  {
    name: 'invalid-then-corrected',
    summary: 'webhook disagrees with the Commerce App → NEEDS_CORRECTION; support correction 200 → AWAITING_PAYMENT; capture → FORWARDED',
    async run(world) {
      const o = seed(world, 'invalid-then-corrected', { commerceQuantity: 1, email: true });
      await o.postWebhook();
      await recordOf(world, o.orderId, 'NEEDS_CORRECTION', inStatus('NEEDS_CORRECTION'));
      const fixed = await world.gateway.support(`/v1/support/orders/${o.orderId}/correction`, correction(o.orderId, 1));
      expectHttp('the valid correction', fixed, 200);
      await o.postCapture();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['correction answered 200'] };
    },
  },
  {
    name: 'correction-refused',
    summary: 'NEEDS_CORRECTION; a correction still invalid → 422 (stays); left alone, no capture → CANCELLED payment_not_captured',
    async run(world) {
      const o = seed(world, 'correction-refused', { commerceQuantity: 1 });
      await o.postWebhook();
      await recordOf(world, o.orderId, 'NEEDS_CORRECTION', inStatus('NEEDS_CORRECTION'));
      const refused = await world.gateway.support(`/v1/support/orders/${o.orderId}/correction`, correction(o.orderId, 3));
      expectHttp('the still-invalid correction', refused, 422);
      await recordOf(world, o.orderId, 'still NEEDS_CORRECTION', inStatus('NEEDS_CORRECTION'));
      await recordOf(world, o.orderId, 'CANCELLED', inStatus('CANCELLED'), windowWait(world.windows.paymentCaptureWindowMs));
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'payment_not_captured', notes: ['correction answered 422'] };
    },
  },
  {
    name: 'cancelled-before-capture',
    summary: 'AWAITING_PAYMENT; cancel → 200 CANCELLED; a webhook after the run closed → late-event workflow (recorded, not restarted)',
    async run(world) {
      const o = seed(world, 'cancelled-before-capture');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      const cancelled = await world.gateway.support(`/v1/orders/${o.orderId}/cancel`, { reason: 'customer_request' });
      expectHttp('the cancel', cancelled, 200);
      await closedInTemporal(world, `order-${o.orderId}`);
      await o.postWebhook();
      const late = await lateWorkflow(world, `late-order-${o.orderId}-`);
      await recordOf(world, o.orderId, 'the late webhook on its history', (r) => r.history.some((h) => h.reason?.startsWith('late commerce webhook') === true));
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'customer_request', late: [{ suffix: 'late-commerce', workflowId: late }], notes: ['cancel answered 200'] };
    },
  },
  {
    name: 'cancel-refused-after-capture',
    summary: 'capture first; cancel → 409 (paid); the v2 webhook → FORWARDED',
    async run(world) {
      const o = seed(world, 'cancel-refused-after-capture', { email: true });
      await o.postCapture();
      await recordOf(world, o.orderId, 'AWAITING_ORDER with the capture confirmed', (r) => r.status === 'AWAITING_ORDER' && confirmed(o.capture.rrn)(r));
      expectHttp('the cancel of a paid order', await world.gateway.support(`/v1/orders/${o.orderId}/cancel`, { reason: 'changed my mind' }), 409);
      await o.postWebhook();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['cancel answered 409'] };
    },
  },
  {
    name: 'no-capture-in-window',
    summary: 'webhook, no capture within PAYMENT_CAPTURE_WINDOW → CANCELLED payment_not_captured',
    async run(world) {
      const o = seed(world, 'no-capture-in-window');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'CANCELLED', inStatus('CANCELLED'), windowWait(world.windows.paymentCaptureWindowMs));
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'payment_not_captured', notes: [] };
    },
  },
  {
    name: 'expired-with-refund',
    summary: 'captured, webhook invalid → NEEDS_CORRECTION, never corrected → EXPIRED at ORDER_TTL, capture refunded',
    async run(world) {
      const o = seed(world, 'expired-with-refund', { commerceQuantity: 5 });
      await o.postCapture();
      await o.postWebhook();
      await recordOf(world, o.orderId, 'NEEDS_CORRECTION', inStatus('NEEDS_CORRECTION'));
      await recordOf(world, o.orderId, 'EXPIRED', inStatus('EXPIRED'), windowWait(world.windows.orderTtlMs));
      await refunded(world, o.capture.rrn);
      return { orderId: o.orderId, expected: 'EXPIRED', expectedReason: 'not_forwarded_in_time', notes: ['refunded once'] };
    },
  },
  {
    name: 'payment-without-order',
    summary: 'a capture and never a webhook → EXPIRED at ORDER_TTL, capture refunded',
    async run(world) {
      const o = seed(world, 'payment-without-order');
      await o.postCapture();
      await recordOf(world, o.orderId, 'EXPIRED', inStatus('EXPIRED'), windowWait(world.windows.orderTtlMs));
      await refunded(world, o.capture.rrn);
      return { orderId: o.orderId, expected: 'EXPIRED', notes: ['refunded once'] };
    },
  },
  {
    name: 'second-payment-refunded',
    summary: 'two valid captures (two RRNs) for one order: the first pays, the second is refunded; webhook → FORWARDED',
    async run(world) {
      const o = seed(world, 'second-payment-refunded', { email: true });
      const second = { ...o.capture, rrn: `${o.capture.rrn}-2` };
      world.apis.payments.set(second.rrn, { rrn: second.rrn, order_id: o.orderId, amount_cents: second.amount_cents, status: 'captured' });
      await o.postCapture();
      await recordOf(world, o.orderId, 'the first capture confirmed', confirmed(o.capture.rrn));
      await o.postCapture(second);
      await refunded(world, second.rrn);
      await o.postWebhook();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      if (refundsOf(world, o.capture.rrn) !== 0) throw new PathError(`order ${o.orderId}: the paying capture was refunded`);
      return { orderId: o.orderId, expected: 'FORWARDED', notes: [`${second.rrn} refunded (duplicate payment)`] };
    },
  },
  {
    name: 'late-capture',
    summary: 'no capture in the window → CANCELLED; the capture after the run closed → late-event workflow refunds it',
    async run(world) {
      const o = seed(world, 'late-capture');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'CANCELLED', inStatus('CANCELLED'), windowWait(world.windows.paymentCaptureWindowMs));
      await closedInTemporal(world, `order-${o.orderId}`);
      await o.postCapture();
      const late = `late-capture-${o.capture.rrn}`;
      await closedInTemporal(world, late);
      await refunded(world, o.capture.rrn);
      await recordOf(world, o.orderId, 'the late capture refunded on its history', (r) => r.history.some((h) => h.reason?.startsWith(`late capture ${o.capture.rrn} refunded`) === true));
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'payment_not_captured', late: [{ suffix: 'late-capture', workflowId: late }], notes: ['late capture refunded once'] };
    },
  },
  {
    name: 'parked-then-retried',
    summary: 'PIM answers 503 for the item past STEP_RETRY_BUDGET → PARKED; PIM back, operator retry → FORWARDED',
    async run(world) {
      const o = seed(world, 'parked-then-retried', { email: true });
      const itemId = `itm-parka-${world.tag}`;
      world.apis.items.set(itemId, { item_id: itemId, sku_id: 'PARKA-1', brand_code: 'BRAND-C' });
      const webhook = { ...o.webhook, order: { order_id: o.orderId, items: [{ item_id: itemId, quantity: 1 }] } };
      world.apis.orders.set(o.orderId, { order_id: o.orderId, customer_id: webhook.customer_id, items: webhook.order.items, placed_at: '2026-12-01T09:00:00.000Z' });
      world.apis.failingItems.add(itemId);
      await o.postCapture();
      expectHttp('the webhook', await world.gateway.postCommerce({ ...webhook, customer_email: o.email }, { contentType: COMMERCE_V2_CONTENT_TYPE }), 202);
      const parked = await recordOf(world, o.orderId, 'PARKED', inStatus('PARKED'));
      world.apis.failingItems.delete(itemId);
      const retried = await world.gateway.support(`/v1/support/orders/${o.orderId}/retry`, { agent: 'ops-olga', note: 'PIM is back' });
      expectHttp('the operator retry', retried, 200);
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return { orderId: o.orderId, expected: 'FORWARDED', notes: [`parked: ${parked.status_reason ?? ''}`, 'retry answered 200'] };
    },
  },
  {
    name: 'continue-as-new',
    summary: 'AWAITING_PAYMENT; a flood of rejected captures until Temporal suggests continue-as-new; the valid capture on the new run → FORWARDED',
    async run(world) {
      const o = seed(world, 'continue-as-new', { email: true });
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      const handle = world.temporal.workflow.getHandle(`order-${o.orderId}`);
      const firstRunId = (await handle.describe()).runId;
      let sent = 0;
      const MAX_FLOOD = 300;
      const started = Date.now();
      for (;;) {
        if ((await handle.describe()).runId !== firstRunId) break;
        if (sent >= MAX_FLOOD) throw new PathError(`order ${o.orderId}: no continue-as-new after ${sent} rejected captures`);
        // Unknown RRNs: each is confirmed with the Payment API (payment_not_found), recorded as rejected, and the order waits on.
        for (let i = 0; i < 10; i++) await o.postCapture({ ...o.capture, rrn: `${o.capture.rrn}-bad-${++sent}` });
        await pause(300);
      }
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT on the new run', inStatus('AWAITING_PAYMENT'));
      await o.postCapture();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      return {
        orderId: o.orderId,
        expected: 'FORWARDED',
        continuesAsNew: true,
        notes: [`${sent} rejected captures sent in ${((Date.now() - started) / 1000).toFixed(1)} s before the run continued as new`],
      };
    },
  },  // ---- vNext (release 2026-12-risk): the risk step, patched('risk-collection'), contract §10 -----------------------
  {
    name: 'risk-approved',
    summary: 'v2 webhook, capture; the Risk API approves → FORWARDED',
    async run(world) {
      const o = seed(world, 'risk-approved', { email: true });
      world.apis.riskDecisions.set(o.orderId, 'approve');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      await o.postCapture();
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      expectAssessments(world, o.orderId, 1);
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['assessed once: approve'] };
    },
  },
  {
    name: 'risk-review-approved',
    summary: 'capture, webhook; the Risk API answers review → RISK_REVIEW; an agent approves (risk-decision 200) → FORWARDED',
    async run(world) {
      const o = seed(world, 'risk-review-approved', { email: true });
      world.apis.riskDecisions.set(o.orderId, 'review');
      await o.postWebhook();
      await o.postCapture();
      await recordOf(world, o.orderId, 'RISK_REVIEW', inStatus('RISK_REVIEW'));
      const decided = await world.gateway.support(`/v1/support/orders/${o.orderId}/risk-decision`, { decision: 'approve', agent: 'agent-rita', note: 'called the customer' });
      expectHttp('the approval', decided, 200);
      await recordOf(world, o.orderId, 'FORWARDED with the approval on its history', (r) => r.status === 'FORWARDED' && noted('risk approved by agent-rita')(r));
      expectAssessments(world, o.orderId, 1);
      return { orderId: o.orderId, expected: 'FORWARDED', notes: ['assessed once: review', 'risk-decision approve answered 200'] };
    },
  },
  {
    name: 'risk-review-rejected',
    summary: 'webhook, capture; review → RISK_REVIEW; an agent rejects (risk-decision 200) → CANCELLED risk_rejected, capture refunded',
    async run(world) {
      const o = seed(world, 'risk-review-rejected');
      world.apis.riskDecisions.set(o.orderId, 'review');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      await o.postCapture();
      await recordOf(world, o.orderId, 'RISK_REVIEW', inStatus('RISK_REVIEW'));
      const decided = await world.gateway.support(`/v1/support/orders/${o.orderId}/risk-decision`, { decision: 'reject', agent: 'agent-rita', note: 'card reported stolen' });
      expectHttp('the rejection', decided, 200);
      await recordOf(world, o.orderId, 'CANCELLED', inStatus('CANCELLED'));
      await refunded(world, o.capture.rrn);
      expectAssessments(world, o.orderId, 1);
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'risk_rejected', notes: ['assessed once: review', 'risk-decision reject answered 200', 'refunded once'] };
    },
  },
  {
    name: 'risk-rejected',
    summary: 'webhook, capture; the Risk API rejects → CANCELLED risk_rejected, capture refunded',
    async run(world) {
      const o = seed(world, 'risk-rejected', { email: true });
      world.apis.riskDecisions.set(o.orderId, 'reject');
      await o.postWebhook();
      await recordOf(world, o.orderId, 'AWAITING_PAYMENT', inStatus('AWAITING_PAYMENT'));
      await o.postCapture();
      await recordOf(world, o.orderId, 'CANCELLED', inStatus('CANCELLED'));
      await refunded(world, o.capture.rrn);
      expectAssessments(world, o.orderId, 1);
      return { orderId: o.orderId, expected: 'CANCELLED', expectedReason: 'risk_rejected', notes: ['assessed once: reject', 'refunded once'] };
    },
  },
  {
    name: 'risk-api-down-parked-then-retried',
    summary: 'the Risk API answers 503 past STEP_RETRY_BUDGET → PARKED; the API back, operator retry → assessed, approve → FORWARDED',
    async run(world) {
      const o = seed(world, 'risk-api-down-parked-then-retried', { email: true });
      world.apis.riskDecisions.set(o.orderId, 'approve');
      world.riskOutage.add(o.orderId);
      await o.postCapture();
      await o.postWebhook();
      const parked = await recordOf(world, o.orderId, 'PARKED', inStatus('PARKED'));
      expectAssessments(world, o.orderId, 0);
      world.riskOutage.delete(o.orderId);
      const retried = await world.gateway.support(`/v1/support/orders/${o.orderId}/retry`, { agent: 'ops-olga', note: 'Risk API is back' });
      expectHttp('the operator retry', retried, 200);
      await recordOf(world, o.orderId, 'FORWARDED', inStatus('FORWARDED'));
      expectAssessments(world, o.orderId, 1);
      return { orderId: o.orderId, expected: 'FORWARDED', notes: [`parked: ${parked.status_reason ?? ''}`, 'retry answered 200', 'assessed once after the retry'] };
    },
  },
];
