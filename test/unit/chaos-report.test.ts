// The pure rules of `npm run chaos` (dev/chaos): the order mix and what each order must end as, the flags, and the
// report's verdict from what a run observed.
import { describe, expect, it } from 'vitest';
import { faultSchedule, parseChaosArgs, ChaosUsageError } from '../../dev/chaos/args';
import { expectedOutcome, kindCounts, planOrders, stepsOf, type PlannedOrder } from '../../dev/chaos/plan';
import { buildReport, faultsAt, maxPerSecond, perSecond, type ObservedOrder, type RunFacts } from '../../dev/chaos/report';

function settled(order: PlannedOrder): ObservedOrder {
  const exp = expectedOutcome(order);
  const kept = order.rrns[0];
  return {
    order,
    record: { status: exp.status, status_reason: exp.reason ?? null, rrn: exp.status === 'FORWARDED' ? (kept ?? null) : null },
    messages:
      exp.messages === 1
        ? [{ partition: 0, offset: '1', timestamp: 1_000, idempotencyKey: `order-${order.orderId}`, rrn: kept }]
        : [],
    refunds: Object.fromEntries(order.rrns.map((r) => [r, exp.refunded.includes(r) ? 1 : 0])),
    webhookAnswers: [202, 503, 202],
    accepted: { commerce: true, captures: [...order.rrns] },
    driverErrors: [],
  };
}

function facts(orders: ObservedOrder[], extra: Partial<RunFacts> = {}): RunFacts {
  return { startedAt: 0, endedAt: 60_000, orders, faults: [], calls: { commerce: [], pim: [] }, deadlineHit: false, settings: {}, ...extra };
}

const plan = planOrders(400, 7, 'test');

describe('the chaos plan', () => {
  it('has the mix of issue 13 item 1, and the same orders for the same seed', () => {
    expect(kindCounts(1000)).toEqual({ normal: 680, duplicate: 100, invalid: 100, cancelled: 50, never_captured: 50, second_payment: 20 });
    expect(kindCounts(150)).toMatchObject({ duplicate: 15, invalid: 15, cancelled: 8, never_captured: 8, second_payment: 3 });
    expect(plan).toHaveLength(400);
    expect(planOrders(400, 7, 'test')).toEqual(plan);
    expect(new Set(plan.map((o) => o.orderId)).size).toBe(400);
    // Both arrival orders occur among the orders that are paid.
    const paid = plan.filter((o) => o.rrns.length > 0);
    expect(paid.some((o) => o.arrival === 'capture_first')).toBe(true);
    expect(paid.some((o) => o.arrival === 'webhook_first')).toBe(true);
  });

  it('gives an invalid order a webhook that disagrees with the Commerce App, and the Commerce lines as its correction', () => {
    const invalid = plan.filter((o) => o.kind === 'invalid');
    expect(invalid.length).toBeGreaterThan(0);
    for (const o of invalid) {
      expect(o.webhookItems).not.toEqual(o.commerceItems);
      expect(stepsOf(o).at(-1)).toEqual({ kind: 'correct' });
    }
    for (const o of plan.filter((x) => x.kind === 'normal')) expect(o.webhookItems).toEqual(o.commerceItems);
  });

  it('expects CANCELLED for cancelled and never-captured orders, FORWARDED with one message otherwise, a refund of the second RRN', () => {
    const of = (kind: PlannedOrder['kind']) => plan.find((o) => o.kind === kind) as PlannedOrder;
    expect(expectedOutcome(of('never_captured'))).toEqual({ status: 'CANCELLED', reason: 'payment_not_captured', messages: 0, refunded: [] });
    expect(expectedOutcome(of('cancelled'))).toMatchObject({ status: 'CANCELLED', messages: 0, refunded: [] });
    expect(of('cancelled').rrns).toEqual([]);
    expect(stepsOf(of('cancelled'))).toEqual([{ kind: 'commerce' }, { kind: 'cancel' }]);
    const twice = of('second_payment');
    expect(expectedOutcome(twice)).toEqual({ status: 'FORWARDED', messages: 1, refunded: [twice.rrns[1]] });
    expect(expectedOutcome(of('duplicate'))).toMatchObject({ status: 'FORWARDED', messages: 1 });
  });

  it('sends a duplicate order one of its deliveries twice', () => {
    for (const o of plan.filter((x) => x.kind === 'duplicate')) {
      const steps = stepsOf(o);
      const commerce = steps.filter((s) => s.kind === 'commerce').length;
      const captures = steps.filter((s) => s.kind === 'capture').length;
      expect(commerce + captures).toBe(o.duplicated === 'both' ? 4 : 3);
    }
  });
});

describe('the chaos report', () => {
  const sample = plan.slice(0, 200);

  it('passes when every order is as expected', () => {
    const report = buildReport(facts(sample.map(settled)));
    expect(report.checks.filter((c) => !c.pass)).toEqual([]);
    expect(report.verdict).toBe('PASS');
  });

  it('fails on a lost message, a wrong status, a missing refund, or money neither forwarded nor refunded', () => {
    const forwarded = sample.findIndex((o) => o.kind === 'normal');
    const twice = sample.findIndex((o) => o.kind === 'second_payment');
    const observed = sample.map(settled);
    const lost = observed[forwarded] as ObservedOrder;
    observed[forwarded] = { ...lost, messages: [], record: { status: 'FORWARDING', status_reason: null, rrn: null } };
    const t = observed[twice] as ObservedOrder;
    observed[twice] = { ...t, refunds: Object.fromEntries(t.order.rrns.map((r) => [r, 0])) };
    const report = buildReport(facts(observed));
    expect(report.verdict).toBe('FAIL');
    expect(report.lost).toEqual([lost.order.orderId]);
    expect(report.wrongStatus.map((w) => w.orderId)).toEqual([lost.order.orderId]);
    expect(report.refundProblems).toEqual([{ orderId: t.order.orderId, rrn: t.order.rrns[1], expected: 1, actual: 0 }]);
    expect(report.paidNotSettled.map((p) => p.orderId).sort()).toEqual([lost.order.orderId, t.order.orderId].sort());
  });

  it('counts duplicates against 0.5 % of the orders and names the faults around each message', () => {
    const observed = sample.map(settled);
    const i = sample.findIndex((o) => o.kind === 'normal');
    const o = observed[i] as ObservedOrder;
    const key = `order-${o.order.orderId}`;
    observed[i] = {
      ...o,
      messages: [
        { partition: 1, offset: '5', timestamp: 10_000, idempotencyKey: key, rrn: o.order.rrns[0] },
        { partition: 1, offset: '9', timestamp: 20_000, idempotencyKey: key, rrn: o.order.rrns[0] },
      ],
    };
    const faults = [
      { fault: 'Kafka restart', start: 15_000, end: 25_000 },
      { fault: 'worker SIGKILL', start: 8_000, end: 8_000, detail: 'worker 1 pid 7' },
    ];
    const one = buildReport(facts(observed, { faults }));
    // 200 orders allow 1 duplicate.
    expect(one.checks.find((c) => c.name.startsWith('duplicates'))?.pass).toBe(true);
    expect(one.duplicates).toHaveLength(1);
    expect(one.duplicates[0]?.messages[0]?.recentFaults).toEqual(['worker SIGKILL (worker 1 pid 7) 2.0s before']);
    expect(one.duplicates[0]?.messages[1]?.activeFaults).toEqual(['Kafka restart']);
    const j = sample.findIndex((x, n) => n > i && x.kind === 'normal');
    const p = observed[j] as ObservedOrder;
    observed[j] = { ...p, messages: [...p.messages, ...p.messages] };
    expect(buildReport(facts(observed, { faults })).verdict).toBe('FAIL');
  });

  it('fails on a webhook answer other than 202 or 503, a wrong header, or a 202 whose event was lost', () => {
    const observed = sample.map(settled);
    observed[0] = { ...(observed[0] as ObservedOrder), webhookAnswers: [500, 202] };
    expect(buildReport(facts(observed)).checks.find((c) => c.name.startsWith('webhook answers'))?.pass).toBe(false);

    const k = sample.findIndex((o) => o.kind === 'normal');
    const o = settled(sample[k] as PlannedOrder);
    const badHeader = [...sample.map(settled)];
    badHeader[k] = { ...o, messages: o.messages.map((m) => ({ ...m, idempotencyKey: 'other' })) };
    expect(buildReport(facts(badHeader)).badHeaders).toHaveLength(1);

    const lostWebhook = [...sample.map(settled)];
    lostWebhook[k] = { ...o, record: { status: 'AWAITING_ORDER', status_reason: null, rrn: null }, messages: [] };
    expect(buildReport(facts(lostWebhook)).lostAccepted).toEqual([{ orderId: o.order.orderId, what: 'commerce webhook accepted, record AWAITING_ORDER' }]);
  });

  it('accepts either RRN of a twice-paid order as the kept one, as long as the other is refunded once', () => {
    const i = sample.findIndex((o) => o.kind === 'second_payment');
    const o = settled(sample[i] as PlannedOrder);
    const [a, b] = o.order.rrns as [string, string];
    const swapped = { ...o, messages: o.messages.map((m) => ({ ...m, rrn: b })), refunds: { [a]: 1, [b]: 0 } };
    const observed = sample.map(settled);
    observed[i] = swapped;
    expect(buildReport(facts(observed)).refundProblems).toEqual([]);
  });

  it('fails when a fault could not be applied or the run stopped early', () => {
    expect(buildReport(facts(sample.map(settled), { faultErrors: ['kafka-restart: port in use'] })).verdict).toBe('FAIL');
    expect(buildReport(facts(sample.map(settled), { stoppedEarly: 'interrupted by SIGINT' })).verdict).toBe('FAIL');
  });

  it('counts calls per second', () => {
    expect(maxPerSecond([1_000, 1_200, 1_999, 2_000, 5_500])).toEqual({ max: 3, at: 1_000 });
    expect(maxPerSecond([])).toEqual({ max: 0, at: null });
    expect(perSecond([1_000, 1_500, 3_200, 9_000], 1_000, 4_000)).toEqual([2, 0, 1]);
    expect(faultsAt([{ fault: 'PIM down', start: 0, end: 10_000 }], 5_000)).toEqual({ active: ['PIM down'], recent: [] });
  });
});

describe('npm run chaos flags', () => {
  it('has the defaults of the issue and scales the faults', () => {
    const a = parseChaosArgs([]);
    expect(a).toMatchObject({ orders: 1000, rate: 10, faultScale: 1, workers: 2, killEverySeconds: 5, captureWindowMs: 150_000, deadlineMs: 20 * 60_000 });
    const short = parseChaosArgs(['--orders', '150', '--fault-scale=0.3']);
    expect(short).toMatchObject({ orders: 150, faultScale: 0.3, captureWindowMs: 60_000 });
    const full = faultSchedule(1);
    expect(full.map((f) => f.kind).sort()).toEqual(['commerce-errors', 'kafka-restart', 'kafka-restart', 'pim-down', 'store-unreachable', 'temporal-restart']);
    expect(full.find((f) => f.kind === 'pim-down')?.durationMs).toBe(120_000);
    expect(faultSchedule(0.3).find((f) => f.kind === 'store-unreachable')).toEqual({ kind: 'store-unreachable', atMs: 13_500, durationMs: 9_000 });
    expect(() => parseChaosArgs(['--orders', '0'])).toThrow(ChaosUsageError);
    expect(() => parseChaosArgs(['--bogus', '1'])).toThrow(ChaosUsageError);
  });
});
