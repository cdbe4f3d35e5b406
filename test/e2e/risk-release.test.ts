// The risk release shipped to orders already in flight (issue 11, items 2–3), black-box through the contract, on
// `npm start` restarted on its own data dir as an operator on one host swaps workers (same task queue, dev server):
//   0. the workers run the release in production (2026-12-pii, commit 041d8e7), its workflow bundle built from git
//      and given as WORKFLOW_BUNDLE_PATH; orders start and stop mid-flight (AWAITING_PAYMENT, NEEDS_CORRECTION);
//   1. the stack stops and starts again on the same data dir with the current code (the risk step);
//   2. the old orders complete without the risk step, although the Risk fake would review or reject them;
//   3. new orders take it: approve → FORWARDED, review → RISK_REVIEW → an agent approves, reject → CANCELLED + refund.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { readTopic, type TopicReader } from '../helpers/fulfillment-topic';
import { COMMERCE_V2_CONTENT_TYPE } from '../helpers/gateway-client';
import { startIndependentApis, type IndependentApis } from '../helpers/independent-apis';
import { ORDER_WAIT, recordInStatus } from '../helpers/order-status';
import { rawHistory, text } from '../helpers/pii-probes';
import { restartableStack, type RestartableStack } from '../helpers/restartable-stack';

/** The release in production: its histories are test/replay/histories/2026-12-pii/. */
const OLD_RELEASE_COMMIT = '041d8e7';
const RISK_COLLECTION_PATCH = 'risk-collection';
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const SECRETS = { commerce: 'risk-release-commerce-secret', payment: 'risk-release-payment-secret', support: 'risk-release-support-token' };

let apis: IndependentApis;
let run: RestartableStack;
let topic: TopicReader | undefined;
let oldReleaseDir: string | undefined;
let oldBundlePath: string;

/**
 * The old release's workflow bundle, from git: workflows/ and contracts/ of its commit extracted inside the repo (so
 * webpack finds node_modules by walking up; .data/ is gitignored), bundled by the service's own bundler script.
 */
async function buildOldReleaseBundle(): Promise<string> {
  oldReleaseDir = path.join(REPO_ROOT, '.data', `test-old-release-${randomBytes(4).toString('hex')}`);
  await mkdir(oldReleaseDir, { recursive: true });
  const archive = execFileSync('git', ['archive', OLD_RELEASE_COMMIT, 'workflows', 'contracts'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', oldReleaseDir], { input: archive });
  const bundlePath = path.join(oldReleaseDir, 'workflow-bundle.js');
  execFileSync(process.execPath, ['--import', 'tsx', 'src/worker/bundle-workflows.ts', bundlePath, path.join(oldReleaseDir, 'workflows', 'index.ts')], { cwd: REPO_ROOT });
  return bundlePath;
}

/** (Re)starts `npm start`, on the first stack's data dir and ports once there was one. `bundle` '' = the current code. */
async function startWith(bundle: string): Promise<void> {
  await run.start({
    WORKFLOW_BUNDLE_PATH: bundle,
    // Unversioned workers on the one task queue: the swap is the patch's job, not Worker Versioning's.
    WORKER_DEPLOYMENT_NAME: '',
    WORKER_BUILD_ID: '',
  });
}

beforeAll(async () => {
  apis = await startIndependentApis();
  apis.items.set('itm-tee-navy-m', { item_id: 'itm-tee-navy-m', sku_id: 'TEE-NAVY-M', brand_code: 'BRAND-A' });
  apis.items.set('itm-jeans-blue-32', { item_id: 'itm-jeans-blue-32', sku_id: 'JEANS-BLUE-32', brand_code: 'BRAND-B' });
  run = restartableStack(apis, SECRETS);
  oldBundlePath = await buildOldReleaseBundle();
}, 10 * 60_000);

afterAll(async () => {
  await topic?.stop();
  await run?.dispose();
  await apis?.stop();
  if (oldReleaseDir) await rm(oldReleaseDir, { recursive: true, force: true });
}, 120_000);

interface Order {
  orderId: string;
  rrn: string;
  postWebhook(): Promise<void>;
  postCapture(): Promise<void>;
}

/** An order in the Commerce App and its captured payment; `commerceQuantity` ≠ 2 makes the webhook disagree. */
function newOrder(prefix: string, risk: 'approve' | 'review' | 'reject', commerceQuantity = 2): Order {
  const orderId = uniqueOrderId(prefix);
  const webhook = commerceWebhook(orderId);
  const items = webhook.order.items.map((i) => (i.item_id === 'itm-tee-navy-m' ? { ...i, quantity: commerceQuantity } : i));
  apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items, placed_at: '2026-12-01T09:00:00.000Z' });
  const capture = paymentCapture(orderId);
  apis.payments.set(capture.rrn, { rrn: capture.rrn, order_id: orderId, amount_cents: capture.amount_cents, status: 'captured' });
  apis.riskDecisions.set(orderId, risk);
  return {
    orderId,
    rrn: capture.rrn,
    async postWebhook() {
      const res = await run.gateway.postCommerce({ ...webhook, customer_email: `buyer.${orderId}@example.test` }, { contentType: COMMERCE_V2_CONTENT_TYPE });
      expect(res.status).toBe(202);
    },
    async postCapture() {
      expect((await run.gateway.postPayment(capture)).status).toBe(202);
    },
  };
}

interface RecordView {
  status: string;
  status_reason: string | null;
  history: Array<{ status: string; reason?: string | null }>;
}

const statusIs = (orderId: string, status: string, also?: (r: RecordView) => boolean) => recordInStatus<RecordView>(run.gateway, orderId, status, also);

const assessmentsOf = (orderId: string) => apis.assessments.filter((a) => a.order_id === orderId).length;
const refundsOf = (rrn: string) => apis.refunds.filter((r) => r.rrn === rrn).length;
const capturedConfirmed = (rrn: string) => (r: RecordView) => r.history.some((h) => h.reason?.startsWith(`capture ${rrn} confirmed`) === true);

/**
 * The patch ids of the `core_patch` markers in the order's raw history (what patched() wrote when it said true): SDK
 * core writes them as json/plain `{"id": …, "deprecated": …}` under `patch-data`, past any codec.
 */
async function patchMarkers(orderId: string): Promise<string[]> {
  const history: temporal.api.history.v1.IHistory = await rawHistory(run.temporal, orderId);
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    return (marker.details?.['patch-data']?.payloads ?? []).map((p) => (JSON.parse(text(p.data)) as { id: string }).id);
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

it('swaps the workers to the risk release mid-flight: the old orders finish without the risk step, new orders take it', async () => {
  // 0. The release in production: three orders stop mid-flight. The Risk fake would review or reject each of them,
  //    so any of them that wrongly took the risk step would not reach FORWARDED.
  await startWith(oldBundlePath);
  const awaitingPaymentReview = newOrder('ord-old-await-review', 'review');
  const awaitingPaymentReject = newOrder('ord-old-await-reject', 'reject');
  const paidNeedsCorrection = newOrder('ord-old-correction', 'reject', 1);
  const old = [awaitingPaymentReview, awaitingPaymentReject, paidNeedsCorrection];
  const startedAt = new Map<string, number>();
  for (const order of [awaitingPaymentReview, awaitingPaymentReject]) {
    startedAt.set(order.orderId, Date.now());
    await order.postWebhook();
    await statusIs(order.orderId, 'AWAITING_PAYMENT');
  }
  startedAt.set(paidNeedsCorrection.orderId, Date.now());
  await paidNeedsCorrection.postCapture();
  await statusIs(paidNeedsCorrection.orderId, 'AWAITING_ORDER', capturedConfirmed(paidNeedsCorrection.rrn));
  await paidNeedsCorrection.postWebhook();
  await statusIs(paidNeedsCorrection.orderId, 'NEEDS_CORRECTION');
  for (const order of old) expect(await patchMarkers(order.orderId)).toEqual([]);

  // 1. The swap: stop, start on the same data dir with the current code (npm start bundles it).
  const swapStarted = Date.now();
  await startWith('');
  const swapMs = Date.now() - swapStarted;

  // 2. The old orders complete on the path they started on.
  await awaitingPaymentReview.postCapture();
  await awaitingPaymentReject.postCapture();
  const corrected = await run.gateway.support(`/v1/support/orders/${paidNeedsCorrection.orderId}/correction`, {
    customer_id: 'cus-007',
    order: { order_id: paidNeedsCorrection.orderId, items: [{ item_id: 'itm-tee-navy-m', quantity: 1 }, { item_id: 'itm-jeans-blue-32', quantity: 1 }] },
    note: 'checked with the customer',
    agent: 'agent-ann',
  });
  expect(corrected.status, JSON.stringify(corrected.body)).toBe(200);
  const inFlightMs = new Map<string, number>();
  for (const order of old) {
    const done = await statusIs(order.orderId, 'FORWARDED');
    inFlightMs.set(order.orderId, Date.now() - startedAt.get(order.orderId)!);
    expect(done.history.map((h) => h.status)).not.toContain('ASSESSING_RISK');
    expect(done.history.map((h) => h.status)).not.toContain('RISK_REVIEW');
  }
  for (const order of old) {
    expect(assessmentsOf(order.orderId)).toBe(0);
    expect(refundsOf(order.rrn)).toBe(0);
    expect(await patchMarkers(order.orderId)).not.toContain(RISK_COLLECTION_PATCH);
  }

  // 3. New orders take the risk step.
  const approved = newOrder('ord-new-approve', 'approve');
  const reviewed = newOrder('ord-new-review', 'review');
  const rejected = newOrder('ord-new-reject', 'reject');
  for (const order of [approved, reviewed, rejected]) {
    await order.postWebhook();
    await statusIs(order.orderId, 'AWAITING_PAYMENT');
    await order.postCapture();
  }
  await statusIs(approved.orderId, 'FORWARDED');

  await statusIs(reviewed.orderId, 'RISK_REVIEW');
  const queue = await run.gateway.support('/v1/support/orders?status=RISK_REVIEW');
  expect(queue.status).toBe(200);
  expect((queue.body as { orders: Array<{ order_id: string; status: string }> }).orders).toContainEqual(
    expect.objectContaining({ order_id: reviewed.orderId, status: 'RISK_REVIEW' }),
  );
  // A bad body is refused before the order is asked: 400, and it stays in review.
  for (const bad of [{ decision: 'maybe', agent: 'agent-rita' }, { decision: 'approve' }, {}]) {
    expect((await run.gateway.support(`/v1/support/orders/${reviewed.orderId}/risk-decision`, bad)).status).toBe(400);
  }
  await statusIs(reviewed.orderId, 'RISK_REVIEW');
  const decided = await run.gateway.support(`/v1/support/orders/${reviewed.orderId}/risk-decision`, { decision: 'approve', agent: 'agent-rita', note: 'called the customer' });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  const approvedByAgent = await statusIs(reviewed.orderId, 'FORWARDED');
  expect(approvedByAgent.history.some((h) => h.reason?.includes('agent-rita') === true), JSON.stringify(approvedByAgent.history)).toBe(true);

  const cancelled = await statusIs(rejected.orderId, 'CANCELLED');
  expect(cancelled.status_reason).toBe('risk_rejected');
  await vi.waitFor(() => expect(refundsOf(rejected.rrn)).toBe(1), ORDER_WAIT);

  for (const order of [approved, reviewed, rejected]) {
    expect(assessmentsOf(order.orderId)).toBe(1);
    expect(await patchMarkers(order.orderId)).toContain(RISK_COLLECTION_PATCH);
  }
  expect(refundsOf(approved.rrn)).toBe(0);
  expect(refundsOf(reviewed.rrn)).toBe(0);

  // The decision route: 409 once the order is not in review, 404 for an unknown order.
  const again = { decision: 'approve', agent: 'agent-rita' };
  expect((await run.gateway.support(`/v1/support/orders/${approved.orderId}/risk-decision`, again)).status).toBe(409);
  expect((await run.gateway.support(`/v1/support/orders/${reviewed.orderId}/risk-decision`, again)).status).toBe(409);
  expect((await run.gateway.support(`/v1/support/orders/${uniqueOrderId('ord-unknown')}/risk-decision`, again)).status).toBe(404);

  // Kafka: each FORWARDED order exactly once on the topic, the rejected one never.
  topic = await readTopic(run.stack.kafkaBrokers, 'order-fulfillment');
  await topic.caughtUp();
  for (const order of [...old, approved, reviewed]) expect(topic.forKey(order.orderId), order.orderId).toHaveLength(1);
  expect(topic.forKey(rejected.orderId)).toHaveLength(0);

  // Figures for the closing note of issue 11.
  const oldAssessed = old.filter((o) => assessmentsOf(o.orderId) > 0).length;
  console.info(
    [
      `[risk-release] ${old.length} old orders (2026-12-pii, ${OLD_RELEASE_COMMIT}) in flight across the swap; ${oldAssessed} assessed`,
      ...old.map((o) => `[risk-release]   ${o.orderId}: ${seconds(inFlightMs.get(o.orderId)!)} from its first event to FORWARDED`),
      `[risk-release] swap (stop + start on the same data dir, bundling the new code included): ${seconds(swapMs)}`,
      `[risk-release] new orders: approve → FORWARDED, review → RISK_REVIEW → agent approve → FORWARDED, reject → CANCELLED risk_rejected (1 refund)`,
    ].join('\n'),
  );
  expect(oldAssessed).toBe(0);
}, 15 * 60_000);
