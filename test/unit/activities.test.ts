// Unit tests of the activities in their Temporal context (MockActivityEnvironment), with fake clients injected.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it, vi } from 'vitest';
import { DashboardRecord, ErrorType, type CommerceOrderRecord, type OrderItemInput, type FulfillmentMessage, type PaymentRecord, type PimItem } from '../../contracts';
import { createCommerceActivities } from '../../activities/commerce';
import { createDashboardActivities, type DashboardWriter } from '../../activities/dashboard';
import { createEnrichmentActivities, PIM_CONCURRENCY, type EnrichmentActivities, type EnrichmentProgress, type EnrichmentResult } from '../../activities/enrichment';
import { createFulfillmentActivities } from '../../activities/fulfillment';
import { makeRecord } from '../helpers/fixtures';
import { createPaymentActivities, refundIdempotencyKey, type RrnClaims } from '../../activities/payment';
import type { CommerceApi } from '../../src/clients/commerce-api';
import type { PaymentApi } from '../../src/clients/payment-api';
import type { PimApi } from '../../src/clients/pim-api';
import type { FulfillmentPublisher } from '../../src/kafka/fulfillment-publisher';
import { isPermanentStoreError } from '../../src/store/store-errors';
import { failureOf } from '../helpers/failures';

function activityEnv(): MockActivityEnvironment {
  // Failed activities are logged at WARN by the SDK; the tests assert on the failure itself.
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

/** Runs one activity in a fresh mock activity context, keeping its result type. */
function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return activityEnv().run<A, R, (...args: A) => Promise<R>>(fn, ...args);
}

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

const commerceRecord: CommerceOrderRecord = {
  order_id: 'ord-0001',
  customer_id: 'cus-007',
  items: [
    { item_id: 'itm-tee', quantity: 2 },
    { item_id: 'itm-jeans', quantity: 1 },
  ],
  placed_at: '2026-11-22T09:59:00.000Z',
};

function commerceApi(record: CommerceOrderRecord | undefined): CommerceApi & { getOrder: ReturnType<typeof vi.fn<CommerceApi['getOrder']>> } {
  return { getOrder: vi.fn<CommerceApi['getOrder']>(async () => record) };
}

describe('validateOrder', () => {
  const input = (overrides: { customer_id?: string; notFoundIsFinalAfter?: string } = {}) => ({
    orderId: 'ord-0001',
    submitted: { customer_id: overrides.customer_id ?? 'cus-007', items: commerceRecord.items },
    notFoundIsFinalAfter: overrides.notFoundIsFinalAfter ?? new Date(T0 + 5 * 60_000).toISOString(),
  });

  it('is valid when the Commerce App has the same order, and reports when it was placed', async () => {
    const commerce = commerceApi(commerceRecord);
    const { validateOrder } = createCommerceActivities({ commerce, now: () => T0 });
    await expect(run(validateOrder, input())).resolves.toEqual({ valid: true, placedAt: commerceRecord.placed_at });
    expect(commerce.getOrder).toHaveBeenCalledWith('ord-0001');
  });

  it('is invalid with one reason per mismatch', async () => {
    const { validateOrder } = createCommerceActivities({ commerce: commerceApi(commerceRecord), now: () => T0 });
    const result = await run(validateOrder, {
      ...input(),
      submitted: { customer_id: 'cus-999', items: [{ item_id: 'itm-tee', quantity: 2 }] },
    });
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.errors.map((e) => [e.code, e.item_id])).toEqual(
      expect.arrayContaining([
        ['customer_mismatch', undefined],
        ['item_missing', 'itm-jeans'],
      ]),
    );
    expect(result.errors).toHaveLength(2);
  });

  it('a 404 before the grace period ends throws a retryable COMMERCE_ORDER_NOT_FOUND (eventual consistency)', async () => {
    const { validateOrder } = createCommerceActivities({ commerce: commerceApi(undefined), now: () => T0 });
    const f = await failureOf(run(validateOrder, input()));
    expect(f.type).toBe(ErrorType.COMMERCE_ORDER_NOT_FOUND);
    expect(f.nonRetryable).toBe(false);
  });

  it('a 404 after the grace period is an answer: invalid, order_not_found', async () => {
    const graceEnd = T0 + 5 * 60_000;
    const { validateOrder } = createCommerceActivities({ commerce: commerceApi(undefined), now: () => graceEnd + 1 });
    const result = await run(validateOrder, input({ notFoundIsFinalAfter: new Date(graceEnd).toISOString() }));
    expect(result).toEqual({ valid: false, errors: [expect.objectContaining({ code: 'order_not_found' })] });
  });

  it('a 404 exactly at the end of the grace period is final', async () => {
    const graceEnd = T0 + 5 * 60_000;
    const { validateOrder } = createCommerceActivities({ commerce: commerceApi(undefined), now: () => graceEnd });
    const result = await run(validateOrder, input({ notFoundIsFinalAfter: new Date(graceEnd).toISOString() }));
    expect(result.valid).toBe(false);
  });

  it('lets an upstream failure through unchanged (the retry policy reads its type)', async () => {
    const upstream = ApplicationFailure.create({ type: ErrorType.UPSTREAM_RATE_LIMITED, message: '429', nextRetryDelay: 3_000 });
    const commerce: CommerceApi = { getOrder: vi.fn<CommerceApi['getOrder']>(async () => Promise.reject(upstream)) };
    const { validateOrder } = createCommerceActivities({ commerce, now: () => T0 });
    const f = await failureOf(run(validateOrder, input()));
    expect(f.type).toBe(ErrorType.UPSTREAM_RATE_LIMITED);
    expect(f.nextRetryDelay).toBe(3_000);
  });
});

describe('enrichItems', () => {
  const catalogue = new Map<string, PimItem>([
    ['itm-tee', { item_id: 'itm-tee', sku_id: 'SKU-TEE', brand_code: 'ACME' }],
    ['itm-jeans', { item_id: 'itm-jeans', sku_id: 'SKU-JEANS', brand_code: 'DENIMCO' }],
    ['itm-cap', { item_id: 'itm-cap', sku_id: 'SKU-CAP', brand_code: 'ACME' }],
  ]);
  const pim: PimApi = { getItem: async (id) => catalogue.get(id) };

  it('enriches every item with sku_id and brand_code, keeping the order and the quantities', async () => {
    const { enrichItems } = createEnrichmentActivities({ pim });
    const result = await run(enrichItems, [
      { item_id: 'itm-jeans', quantity: 1 },
      { item_id: 'itm-tee', quantity: 2 },
      { item_id: 'itm-cap', quantity: 3 },
    ]);
    expect(result).toEqual({
      complete: true,
      items: [
        { item_id: 'itm-jeans', sku_id: 'SKU-JEANS', brand_code: 'DENIMCO', quantity: 1 },
        { item_id: 'itm-tee', sku_id: 'SKU-TEE', brand_code: 'ACME', quantity: 2 },
        { item_id: 'itm-cap', sku_id: 'SKU-CAP', brand_code: 'ACME', quantity: 3 },
      ],
    });
  });

  it('names every item PIM does not know', async () => {
    const { enrichItems } = createEnrichmentActivities({ pim });
    const result = await run(enrichItems, [
      { item_id: 'itm-ghost', quantity: 1 },
      { item_id: 'itm-tee', quantity: 2 },
      { item_id: 'itm-phantom', quantity: 1 },
    ]);
    expect(result.complete).toBe(false);
    if (result.complete) return;
    expect(result.errors.map((e) => [e.code, e.item_id])).toEqual([
      ['item_unknown_in_pim', 'itm-ghost'],
      ['item_unknown_in_pim', 'itm-phantom'],
    ]);
  });

  it(`never has more than PIM_CONCURRENCY (${PIM_CONCURRENCY}) PIM calls in flight, and does use them in parallel`, async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const countingPim: PimApi = {
      async getItem(id) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Yield to the event loop so every lane that can start does start before any call finishes.
        await new Promise<void>((resolve) => setImmediate(resolve));
        inFlight--;
        return { item_id: id, sku_id: `SKU-${id}`, brand_code: 'ACME' };
      },
    };
    const items = Array.from({ length: 3 * PIM_CONCURRENCY + 1 }, (_, i) => ({ item_id: `itm-${i}`, quantity: 1 }));
    const result = await run(createEnrichmentActivities({ pim: countingPim }).enrichItems, items);
    expect(maxInFlight).toBe(PIM_CONCURRENCY);
    expect(inFlight).toBe(0);
    expect(result.complete).toBe(true);
    if (result.complete) expect(result.items.map((i) => i.item_id)).toEqual(items.map((i) => i.item_id));
  });

  it('lets a PIM outage through as the retryable upstream failure', async () => {
    const down: PimApi = {
      getItem: async () => Promise.reject(ApplicationFailure.create({ type: ErrorType.UPSTREAM_UNAVAILABLE, message: '503' })),
    };
    const f = await failureOf(run(createEnrichmentActivities({ pim: down }).enrichItems, [{ item_id: 'itm-tee', quantity: 1 }]));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });
});

describe('enrichItems across attempts (heartbeated progress, issue item 10)', () => {
  const itemsOf = (n: number): OrderItemInput[] => Array.from({ length: n }, (_, i) => ({ item_id: `itm-${i}`, quantity: i + 1 }));
  const pimItem = (id: string): PimItem => ({ item_id: id, sku_id: `SKU-${id}`, brand_code: 'ACME' });

  /** A PIM that answers after a turn of the event loop (so lanes really overlap) and counts its calls per item. */
  function countingPim(answer: (id: string) => Promise<PimItem | undefined> = async (id) => pimItem(id)) {
    const calls = new Map<string, number>();
    const pim: PimApi = {
      async getItem(id) {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        await new Promise<void>((resolve) => setImmediate(resolve));
        return answer(id);
      },
    };
    return { pim, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
  }

  /** One attempt of the activity: a fresh mock context with the details the server hands a retry, recording heartbeats. */
  function attempt(heartbeatDetails?: unknown, attemptNo = 1) {
    const env = new MockActivityEnvironment({ attempt: attemptNo, heartbeatDetails }, { logger: new DefaultLogger('ERROR') });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    /** Runs `enrichItems` of `pim` in this attempt's context (typed: MockActivityEnvironment.run cannot infer the result). */
    const enrich = (pim: PimApi, items: OrderItemInput[]): Promise<EnrichmentResult> =>
      env.run<[OrderItemInput[]], EnrichmentResult, EnrichmentActivities['enrichItems']>(createEnrichmentActivities({ pim }).enrichItems, items);
    return { env, enrich, heartbeats, last: () => heartbeats.at(-1) };
  }

  /** Heartbeat details reach the next attempt as JSON (the default payload converter), not as the same object. */
  const overTheWire = (details: unknown): unknown => JSON.parse(JSON.stringify(details)) as unknown;

  const enriched = (items: OrderItemInput[]) => items.map((i) => ({ ...pimItem(i.item_id), quantity: i.quantity }));

  it('resumes from heartbeat details: fetches only the items not yet done, and returns all items in order', async () => {
    const items = itemsOf(20);
    const k = 11;
    const done: EnrichmentProgress = { known: items.slice(0, k + 1).map((i) => [i.item_id, `SKU-${i.item_id}`, 'ACME']), unknown: [] };
    const pim = countingPim();
    const result = await attempt(overTheWire(done), 2).enrich(pim.pim, items);
    expect(result).toEqual({ complete: true, items: enriched(items) });
    for (const item of items.slice(0, k + 1)) expect(pim.calls.get(item.item_id)).toBeUndefined();
    for (const item of items.slice(k + 1)) expect(pim.calls.get(item.item_id)).toBe(1);
  });

  it('heartbeats its progress, so a retry after a PIM failure midway fetches only what the failed attempt had not', async () => {
    const items = itemsOf(5 * PIM_CONCURRENCY);
    const k = 2 * PIM_CONCURRENCY + 3;
    let pimDown = true;
    const succeeded = new Map<string, number>();
    const pim = countingPim(async (id) => {
      if (id === `itm-${k}` && pimDown) throw ApplicationFailure.create({ type: ErrorType.UPSTREAM_UNAVAILABLE, message: '503' });
      succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
      return pimItem(id);
    });

    const first = attempt();
    const f = await failureOf(first.enrich(pim.pim, items));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    const progress = first.last() as EnrichmentProgress | undefined;
    expect(progress?.known.length).toBeGreaterThanOrEqual(k);
    const callsInFirst = pim.total();
    expect(callsInFirst).toBeLessThan(items.length); // it stopped asking PIM once the attempt had failed

    pimDown = false;
    const second = attempt(overTheWire(progress), 2);
    const result = await second.enrich(pim.pim, items);
    expect(result).toEqual({ complete: true, items: enriched(items) });
    // Across both attempts every item got exactly one PIM answer; only the failed call was repeated.
    for (const item of items) expect(succeeded.get(item.item_id), item.item_id).toBe(1);
    expect(pim.total()).toBe(items.length + 1);
    expect(pim.total() - callsInFirst).toBe(items.length - (progress?.known.length ?? 0));
  });

  it('an item PIM did not know in an earlier attempt is not asked again and still comes out as item_unknown_in_pim', async () => {
    const items: OrderItemInput[] = [
      { item_id: 'itm-ghost', quantity: 1 },
      { item_id: 'itm-tee', quantity: 2 },
      { item_id: 'itm-jeans', quantity: 1 },
    ];
    // This PIM would now know every item: an answer from the earlier attempt must win over asking again.
    const pim = countingPim();
    const earlier: EnrichmentProgress = { known: [['itm-tee', 'SKU-itm-tee', 'ACME']], unknown: ['itm-ghost'] };
    const result = await attempt(overTheWire(earlier), 2).enrich(pim.pim, items);
    expect(result).toEqual({
      complete: false,
      errors: [{ code: 'item_unknown_in_pim', item_id: 'itm-ghost', detail: expect.stringContaining('itm-ghost') as string }],
    });
    expect([...pim.calls.keys()]).toEqual(['itm-jeans']);
  });

  it('heartbeats a 404 as done, so the retry reports it without asking PIM again', async () => {
    const items = itemsOf(12);
    let attemptNo = 1;
    const pim = countingPim(async (id) => {
      if (id === 'itm-3') return undefined;
      if (id === 'itm-9' && attemptNo === 1) throw ApplicationFailure.create({ type: ErrorType.UPSTREAM_UNAVAILABLE, message: '503' });
      return pimItem(id);
    });
    const first = attempt();
    await failureOf(first.enrich(pim.pim, items));
    expect((first.last() as EnrichmentProgress).unknown).toEqual(['itm-3']);
    attemptNo = 2;
    const result = await attempt(overTheWire(first.last()), 2).enrich(pim.pim, items);
    expect(result).toEqual({ complete: false, errors: [expect.objectContaining({ code: 'item_unknown_in_pim', item_id: 'itm-3' })] });
    expect(pim.calls.get('itm-3')).toBe(1);
  });

  it('keeps the heartbeat of a 500-item order compact (well under 64 KB as JSON)', async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ item_id: `itm-large-order-${String(i).padStart(6, '0')}`, quantity: 1 }));
    const pim: PimApi = { getItem: async (id) => ({ item_id: id, sku_id: `SKU-${id}-XL-BLACK`, brand_code: 'ACME-APPAREL' }) };
    const { enrich, last } = attempt();
    const result = await enrich(pim, items);
    expect(result.complete).toBe(true);
    expect((last() as EnrichmentProgress).known).toHaveLength(500);
    expect(JSON.stringify(last()).length).toBeLessThan(64 * 1024);
  });

  it('ignores heartbeat details it cannot read and fetches everything', async () => {
    const items = itemsOf(3);
    const pim = countingPim();
    const result = await attempt({ done: [0, 1, 2] }, 2).enrich(pim.pim, items);
    expect(result).toEqual({ complete: true, items: enriched(items) });
    expect(pim.total()).toBe(3);
  });

  it('stops asking PIM once the attempt is cancelled, and ends as cancelled', async () => {
    const items = itemsOf(4 * PIM_CONCURRENCY);
    const { env, enrich } = attempt();
    const cancelAt = PIM_CONCURRENCY + 2;
    const pim = countingPim();
    const cancelling: PimApi = {
      async getItem(id) {
        if (pim.total() + 1 === cancelAt) env.cancel();
        return pim.pim.getItem(id);
      },
    };
    const err = await enrich(cancelling, items).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CancelledFailure);
    // Let the calls that were in flight finish: none may start after the cancellation.
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(pim.total()).toBe(cancelAt);
  });
});

describe('confirmCapture', () => {
  const captured: PaymentRecord = { rrn: 'rrn-0001', order_id: 'ord-0001', amount_cents: 7_450, status: 'captured' };
  const input = { orderId: 'ord-0001', rrn: 'rrn-0001', amountCents: 7_450 };

  function payments(record: PaymentRecord | undefined): PaymentApi {
    return { getPayment: vi.fn<PaymentApi['getPayment']>(async () => record), refund: vi.fn<PaymentApi['refund']>() };
  }

  /** RRN ownership as the store keeps it: first claim wins, a repeat by the same order is fine. */
  function claims(owners = new Map<string, string>()): RrnClaims & { claimRrn: ReturnType<typeof vi.fn<RrnClaims['claimRrn']>> } {
    return {
      claimRrn: vi.fn<RrnClaims['claimRrn']>(async (rrn, orderId) => {
        if (!owners.has(rrn)) owners.set(rrn, orderId);
        return owners.get(rrn) ?? orderId;
      }),
    };
  }

  it('accepts a captured payment of the same order and amount, claiming the RRN for the order', async () => {
    const api = payments(captured);
    const rrnClaims = claims();
    await expect(run(createPaymentActivities({ payments: api, claims: rrnClaims }).confirmCapture, input)).resolves.toEqual({ accepted: true });
    expect(api.getPayment).toHaveBeenCalledWith('rrn-0001');
    expect(rrnClaims.claimRrn).toHaveBeenCalledWith('rrn-0001', 'ord-0001');
  });

  it('accepts the same capture again for the same order (a retried activity or a duplicate callback)', async () => {
    const activities = createPaymentActivities({ payments: payments(captured), claims: claims() });
    await expect(run(activities.confirmCapture, input)).resolves.toEqual({ accepted: true });
    await expect(run(activities.confirmCapture, input)).resolves.toEqual({ accepted: true });
  });

  it.each<[string, PaymentRecord | undefined, string]>([
    ['the Payment API does not know the RRN', undefined, 'payment_not_found'],
    ['the RRN belongs to another order', { ...captured, order_id: 'ord-0002' }, 'order_mismatch'],
    ['the amount differs', { ...captured, amount_cents: 7_449 }, 'amount_mismatch'],
    ['the payment is only authorized', { ...captured, status: 'authorized' }, 'not_captured'],
    ['the payment was voided', { ...captured, status: 'voided' }, 'not_captured'],
    ['the payment was refunded', { ...captured, status: 'refunded' }, 'not_captured'],
  ])('rejects when %s, without claiming the RRN', async (_name, record, reason) => {
    const rrnClaims = claims();
    const verdict = await run(createPaymentActivities({ payments: payments(record), claims: rrnClaims }).confirmCapture, input);
    expect(verdict.accepted).toBe(false);
    if (!verdict.accepted) expect(verdict.reason.startsWith(`${reason}:`)).toBe(true);
    expect(rrnClaims.claimRrn).not.toHaveBeenCalled();
  });

  it('rejects an RRN that already paid another order (one RRN pays one order)', async () => {
    const rrnClaims = claims(new Map([['rrn-0001', 'ord-0999']]));
    const verdict = await run(createPaymentActivities({ payments: payments(captured), claims: rrnClaims }).confirmCapture, input);
    expect(verdict.accepted).toBe(false);
    if (!verdict.accepted) {
      expect(verdict.reason.startsWith('rrn_already_used:')).toBe(true);
      expect(verdict.reason).toContain('ord-0999');
    }
  });

  it('maps a store outage while claiming the RRN to a retryable STORE_UNAVAILABLE', async () => {
    const down: RrnClaims = { claimRrn: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) };
    const f = await failureOf(run(createPaymentActivities({ payments: payments(captured), claims: down }).confirmCapture, input));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });

  it('maps an RRN the store refuses for good to a non-retryable STORE_REJECTED that keeps the cause', async () => {
    const refused = Object.assign(new Error('value too long for type character varying(128)'), { code: '22001' });
    const bad: RrnClaims = { claimRrn: async () => Promise.reject(refused) };
    const f = await failureOf(run(createPaymentActivities({ payments: payments(captured), claims: bad }).confirmCapture, input));
    expect(f.type).toBe(ErrorType.STORE_REJECTED);
    expect(f.nonRetryable).toBe(true);
    expect(f.cause).toBe(refused);
    expect(f.message).toContain('rrn-0001');
    expect(f.message).toContain('value too long');
  });

  it('never refunds while confirming', async () => {
    const api = payments({ ...captured, amount_cents: 1 });
    await run(createPaymentActivities({ payments: api, claims: claims() }).confirmCapture, input);
    expect(api.refund).not.toHaveBeenCalled();
  });
});

describe('refundCapture', () => {
  it('refunds the amount with a reason under one Idempotency-Key per RRN, however often it runs', async () => {
    const refund = vi.fn<PaymentApi['refund']>(async () => ({ refund_id: 'ref-000001', amount_cents: 7_450 }));
    const api: PaymentApi = { getPayment: vi.fn<PaymentApi['getPayment']>(), refund };
    const { refundCapture } = createPaymentActivities({ payments: api, claims: { claimRrn: async (_rrn, orderId) => orderId } });
    const input = { rrn: 'rrn-0001', amountCents: 7_450, reason: 'order_expired' };
    await expect(run(refundCapture, input)).resolves.toMatchObject({ refund_id: 'ref-000001' });
    await run(refundCapture, input);
    expect(refund).toHaveBeenCalledTimes(2);
    for (const call of refund.mock.calls) {
      expect(call).toEqual(['rrn-0001', { amount_cents: 7_450, reason: 'order_expired' }, refundIdempotencyKey('rrn-0001')]);
    }
    expect(refundIdempotencyKey('rrn-0001')).not.toBe(refundIdempotencyKey('rrn-0002'));
  });
});

describe('publishFulfillment', () => {
  const message: FulfillmentMessage = {
    customer_id: 'cus-007',
    order_id: 'ord-0001',
    payment_details: { rrn: 'rrn-0001' },
    items: [{ item_id: 'itm-tee', sku_id: 'SKU-TEE', brand_code: 'ACME', quantity: 2 }],
  };

  /** The store's fulfillment_publications and its saves, in memory; `markFails` makes the mark throw. */
  function publicationLog(opts: { markFails?: boolean } = {}) {
    const keys = new Map<string, string>();
    const saves: Array<{ status: string; revision: number }> = [];
    return {
      keys,
      saves,
      wasPublished: async (key: string) => keys.has(key),
      markPublished: async (key: string, orderId: string) => {
        if (opts.markFails) throw new Error('connection terminated');
        keys.set(key, orderId);
      },
      save: async (record: DashboardRecord, revision: number) => {
        saves.push({ status: record.status, revision });
        return { applied: true, closedAs: null };
      },
    };
  }

  /** One attempt of the activity, 30 s long from now as a queued attempt is; `heartbeats` collects what it heartbeats. */
  function publish(
    activities: ReturnType<typeof createFulfillmentActivities>,
    input: Parameters<ReturnType<typeof createFulfillmentActivities>['publishFulfillment']>[0],
    info: { attempt?: number; heartbeatDetails?: unknown; scheduledAt?: number } = {},
    heartbeats: unknown[] = [],
  ): Promise<{ sent: boolean }> {
    const env = new MockActivityEnvironment(
      { attempt: info.attempt ?? 1, heartbeatDetails: info.heartbeatDetails, startToCloseTimeoutMs: 30_000, currentAttemptScheduledTimestampMs: info.scheduledAt ?? Date.now() },
      { logger: new DefaultLogger('ERROR') },
    );
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    return env.run(activities.publishFulfillment, input);
  }

  it('writes the record as FORWARDING before the publish and as FORWARDED after it, at the revisions given', async () => {
    const order: string[] = [];
    const publisher: FulfillmentPublisher = { publish: async () => void order.push('publish'), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const store = publicationLog();
    const save = store.save;
    store.save = async (record, revision) => (order.push(record.status), save(record, revision));
    const record = (status: DashboardRecord['status']) => makeRecord({ order_id: 'ord-0001', customer_id: 'cus-007', status, history: [{ status, at: '2026-11-22T10:00:01.000Z' }] });
    await publish(createFulfillmentActivities({ publisher, store }), {
      message,
      idempotencyKey: 'order-ord-0001',
      forwarding: { record: record('FORWARDING'), revision: 7 },
      forwarded: { record: record('FORWARDED'), revision: 8 },
    });
    expect(order).toEqual(['FORWARDING', 'publish', 'FORWARDED']);
    expect(store.saves).toEqual([{ status: 'FORWARDING', revision: 7 }, { status: 'FORWARDED', revision: 8 }]);
  });

  it('keeps marking a sent key while the store is down, inside the attempt, and does not send again', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const store = publicationLog();
    let failuresLeft = 3;
    const mark = store.markPublished;
    store.markPublished = async (key, orderId) => {
      if (failuresLeft-- > 0) throw new Error('connection terminated');
      return mark(key, orderId);
    };
    const pauses: number[] = [];
    const activities = createFulfillmentActivities({ publisher, store, pause: async (ms) => void pauses.push(ms) });
    expect(await publish(activities, { message, idempotencyKey: 'order-ord-0001' })).toEqual({ sent: true });
    expect(publisher.publish).toHaveBeenCalledOnce();
    expect(pauses).toEqual([250, 500, 1_000]);
    expect([...store.keys]).toEqual([['order-ord-0001', 'ord-0001']]);
  });

  it('heartbeats the ack, so the attempt after a store outage longer than the attempt marks the key and does not send again', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const down = publicationLog({ markFails: true });
    let clock = 1_000_000;
    const heartbeats: unknown[] = [];
    const first = createFulfillmentActivities({ publisher, store: down, now: () => clock, pause: async (ms) => void (clock += ms) });
    const f = await failureOf(publish(first, { message, idempotencyKey: 'order-ord-0001' }, { scheduledAt: clock }, heartbeats));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('the message was sent');
    // It gave up with time left to report back inside its 30 s.
    expect(clock).toBeLessThan(1_000_000 + 30_000);
    expect(heartbeats).toEqual([{ published: 'order-ord-0001' }]);

    const back = publicationLog();
    const record = makeRecord({ order_id: 'ord-0001', customer_id: 'cus-007', status: 'FORWARDED', history: [{ status: 'FORWARDED', at: '2026-11-22T10:00:01.000Z' }] });
    const second = createFulfillmentActivities({ publisher, store: back });
    expect(await publish(second, { message, idempotencyKey: 'order-ord-0001', forwarded: { record, revision: 8 } }, { attempt: 2, heartbeatDetails: heartbeats.at(-1) })).toEqual({ sent: false });
    expect(publisher.publish).toHaveBeenCalledOnce();
    expect([...back.keys]).toEqual([['order-ord-0001', 'ord-0001']]);
    expect(back.saves).toEqual([{ status: 'FORWARDED', revision: 8 }]);
  });

  it('sends when the heartbeat of an earlier attempt names another key (only its own ack counts)', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const activities = createFulfillmentActivities({ publisher, store: publicationLog() });
    for (const heartbeatDetails of [{ published: 'order-ord-0002' }, 'order-ord-0001', { items: 3 }]) {
      await publish(activities, { message, idempotencyKey: `order-ord-0001` }, { attempt: 2, heartbeatDetails });
    }
    // The first run marked the key; the later ones found the mark.
    expect(publisher.publish).toHaveBeenCalledOnce();
  });

  it('bounds the send to what is left of the attempt: the full publisher bound early, less near its end', async () => {
    const budgets: Array<number | undefined> = [];
    const publisher: FulfillmentPublisher = { publish: async (_m, _k, budgetMs) => void budgets.push(budgetMs), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    let clock = 1_000_000;
    const activities = createFulfillmentActivities({ publisher, store: publicationLog(), now: () => clock });
    await publish(activities, { message, idempotencyKey: 'order-ord-0001' }, { scheduledAt: clock });
    clock += 1;
    await publish(activities, { message, idempotencyKey: 'order-ord-0002' }, { scheduledAt: clock - 22_000 });
    // 30 s attempt: 15 s (the publisher's bound); 8 s left: 6 s, a quarter kept for the mark and the report.
    expect(budgets).toEqual([15_000, 6_000]);
  });

  it('does not start a send it cannot bound inside its attempt, and fails it for a retry instead', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const store = publicationLog();
    const f = await failureOf(publish(createFulfillmentActivities({ publisher, store }), { message, idempotencyKey: 'order-ord-0001' }, { scheduledAt: Date.now() - 29_700 }));
    expect(f.type).toBe(ErrorType.FULFILLMENT_PUBLISH_FAILED);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('was not started');
    expect(publisher.publish).not.toHaveBeenCalled();
    expect(store.keys.size).toBe(0);
  });

  it('hands the message and the idempotency key to the publisher, and records the key once the broker acked', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const store = publicationLog();
    expect(await publish(createFulfillmentActivities({ publisher, store }), { message, idempotencyKey: 'order-ord-0001' })).toEqual({ sent: true });
    expect(publisher.publish).toHaveBeenCalledOnce();
    expect(publisher.publish).toHaveBeenCalledWith(message, 'order-ord-0001', 15_000);
    expect([...store.keys]).toEqual([['order-ord-0001', 'ord-0001']]);
  });

  it('does not send again when it runs again after the broker acked (a local activity whose task was lost)', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => undefined), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const activities = createFulfillmentActivities({ publisher, store: publicationLog() });
    await publish(activities, { message, idempotencyKey: 'order-ord-0001' });
    expect(await publish(activities, { message, idempotencyKey: 'order-ord-0001' })).toEqual({ sent: false });
    expect(publisher.publish).toHaveBeenCalledOnce();
  });

  it('records nothing when the broker refused, so the retry sends', async () => {
    const publisher: FulfillmentPublisher = { publish: vi.fn<FulfillmentPublisher['publish']>(async () => Promise.reject(new Error('broker down'))), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const store = publicationLog();
    await failureOf(publish(createFulfillmentActivities({ publisher, store }), { message, idempotencyKey: 'order-ord-0001' }));
    expect(store.keys.size).toBe(0);
  });

  it('maps a broker error to a retryable FULFILLMENT_PUBLISH_FAILED that keeps the cause', async () => {
    const brokerError = new Error('KafkaJSNumberOfRetriesExceeded');
    const publisher: FulfillmentPublisher = {
      publish: vi.fn<FulfillmentPublisher['publish']>(async () => Promise.reject(brokerError)),
      maxSendMs: 15_000,
      close: vi.fn<FulfillmentPublisher['close']>(),
    };
    const f = await failureOf(publish(createFulfillmentActivities({ publisher, store: publicationLog() }), { message, idempotencyKey: 'order-ord-0001' }));
    expect(f.type).toBe(ErrorType.FULFILLMENT_PUBLISH_FAILED);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause?.message).toContain('KafkaJSNumberOfRetriesExceeded');
    expect(f.message).toContain('ord-0001');
  });

  it.each<[string, unknown, string]>([
    ['a string', 'broker went away', 'broker went away'],
    ['a plain object', { code: 'ECONNRESET' }, 'ECONNRESET'],
    ['undefined', undefined, 'undefined'],
  ])('keeps a cause with a message when the publisher throws %s (not an Error)', async (_what, thrown, described) => {
    const publisher: FulfillmentPublisher = { publish: async () => Promise.reject(thrown), maxSendMs: 15_000, close: vi.fn<FulfillmentPublisher['close']>() };
    const f = await failureOf(publish(createFulfillmentActivities({ publisher, store: publicationLog() }), { message, idempotencyKey: 'order-ord-0001' }));
    expect(f.type).toBe(ErrorType.FULFILLMENT_PUBLISH_FAILED);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause).toBeInstanceOf(Error);
    expect(f.cause?.message).toContain(described);
    expect(f.message).toBe(`publishing order ord-0001 failed: ${f.cause?.message}`);
  });
});

describe('isPermanentStoreError', () => {
  it('tells a value the database refuses for good from the database being down', () => {
    const withCode = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ['22021', '22P05', '22001', '23505', '42P01', '54000']) expect(isPermanentStoreError(withCode(code))).toBe(true);
    for (const code of ['08006', '53300', '57P01', '40001', 'ECONNREFUSED']) expect(isPermanentStoreError(withCode(code))).toBe(false);
    expect(isPermanentStoreError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isPermanentStoreError(new RangeError('revision must be a non-negative safe integer'))).toBe(true);
    expect(isPermanentStoreError(DashboardRecord.safeParse({}).error)).toBe(true);
  });
});

describe('dashboard activities', () => {
  const record: DashboardRecord = {
    order_id: 'ord-0001',
    customer_id: 'cus-007',
    status: 'VALIDATING',
    status_reason: null,
    items: [{ item_id: 'itm-tee', quantity: 2 }],
    validation_errors: [],
    submitted_at: '2026-11-22T10:00:00.000Z',
    expires_at: '2026-12-22T10:00:00.000Z',
    updated_at: '2026-11-22T10:00:01.000Z',
    history: [{ status: 'VALIDATING', at: '2026-11-22T10:00:01.000Z' }],
    parked_steps: [],
  };

  function writer(overrides: Partial<DashboardWriter> = {}): DashboardWriter {
    return {
      save: vi.fn<DashboardWriter['save']>(async () => ({ applied: true, closedAs: null })),
      get: vi.fn<DashboardWriter['get']>(async () => undefined),
      appendHistoryOnce: vi.fn<DashboardWriter['appendHistoryOnce']>(async () => ({ applied: true })),
      markParked: vi.fn<DashboardWriter['markParked']>(async () => ({ applied: true })),
      ...overrides,
    };
  }
  const dbError = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');

  it('saveDashboardRecord passes the record and its revision to the store and returns whether it applied', async () => {
    const store = writer({ save: vi.fn<DashboardWriter['save']>(async () => ({ applied: false, closedAs: 'FORWARDED' })) });
    const result = await run(createDashboardActivities({ store }).saveDashboardRecord, { record, revision: 7 });
    expect(store.save).toHaveBeenCalledWith(record, 7);
    expect(result).toEqual({ applied: false, closedAs: 'FORWARDED' });
  });

  it('saveDashboardRecord maps a value the store refuses for good to a non-retryable STORE_REJECTED', async () => {
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const store = writer({ save: async () => Promise.reject(refused) });
    const f = await failureOf(run(createDashboardActivities({ store }).saveDashboardRecord, { record, revision: 1 }));
    expect(f.type).toBe(ErrorType.STORE_REJECTED);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('0x00');
  });

  it('saveDashboardRecord maps a store error to a retryable STORE_UNAVAILABLE that keeps the cause', async () => {
    const cause = dbError();
    const store = writer({ save: async () => Promise.reject(cause) });
    const f = await failureOf(run(createDashboardActivities({ store }).saveDashboardRecord, { record, revision: 1 }));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause).toBe(cause);
    expect(f.message).toContain('ord-0001');
  });

  it('saveDashboardRecord keeps a cause with a message when the store throws something that is not an Error', async () => {
    const store = writer({ save: async () => Promise.reject('connection lost') });
    const f = await failureOf(run(createDashboardActivities({ store }).saveDashboardRecord, { record, revision: 1 }));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause).toBeInstanceOf(Error);
    expect(f.message).toBe('saving order ord-0001 failed: connection lost');
  });

  it('readDashboardRecord returns the record, or null (not undefined: results travel as JSON)', async () => {
    const store = writer({ get: async (id) => (id === 'ord-0001' ? record : undefined) });
    const { readDashboardRecord } = createDashboardActivities({ store });
    await expect(run(readDashboardRecord, 'ord-0001')).resolves.toEqual(record);
    await expect(run(readDashboardRecord, 'ord-none')).resolves.toBeNull();
  });

  it('readDashboardRecord maps a store error to STORE_UNAVAILABLE', async () => {
    const f = await failureOf(run(createDashboardActivities({ store: writer({ get: async () => Promise.reject(dbError()) }) }).readDashboardRecord, 'ord-0001'));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });

  it('markOrderParked sets or clears one parked step on the order and maps store errors to STORE_UNAVAILABLE', async () => {
    const store = writer();
    const parked = { step: 'late capture rrn-1', error: 'retry budget exhausted', since: '2026-12-01T00:00:00.000Z' };
    await expect(run(createDashboardActivities({ store }).markOrderParked, { orderId: 'ord-0001', step: parked.step, parked })).resolves.toEqual({ applied: true });
    expect(store.markParked).toHaveBeenCalledWith('ord-0001', parked.step, parked);
    await run(createDashboardActivities({ store }).markOrderParked, { orderId: 'ord-0001', step: parked.step, parked: null });
    expect(store.markParked).toHaveBeenLastCalledWith('ord-0001', parked.step, null);

    const down = writer({ markParked: async () => Promise.reject(dbError()) });
    const f = await failureOf(run(createDashboardActivities({ store: down }).markOrderParked, { orderId: 'ord-0001', step: parked.step, parked: null }));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
  });

  it('recordLateEvent appends once per event id and maps store errors to STORE_UNAVAILABLE', async () => {
    const store = writer();
    const input = { orderId: 'ord-0001', eventId: 'evt-1', at: '2026-12-01T00:00:00.000Z', reason: 'late commerce webhook' };
    await expect(run(createDashboardActivities({ store }).recordLateEvent, input)).resolves.toEqual({ applied: true });
    expect(store.appendHistoryOnce).toHaveBeenCalledWith('ord-0001', 'evt-1', { at: input.at, reason: input.reason });

    const down = writer({ appendHistoryOnce: async () => Promise.reject(dbError()) });
    const f = await failureOf(run(createDashboardActivities({ store: down }).recordLateEvent, input));
    expect(f.type).toBe(ErrorType.STORE_UNAVAILABLE);
  });
});
