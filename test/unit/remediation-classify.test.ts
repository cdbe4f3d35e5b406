// The remediation sweeper's rules without a server: the thresholds per status and their overrides, the visibility
// queries that express them, ages, and how a late-event run is tied to its order.
import { describe, expect, it } from 'vitest';
import { SWEPT_STATUSES, SweeperInput } from '../../contracts/remediation';
import {
  ageSeconds,
  applyThresholdOverrides,
  defaultThresholds,
  isStuck,
  lateEventFailuresQuery,
  lateEventOrderId,
  parseDuration,
  stuckOrdersQuery,
  sweeperInput,
  sweepIntervalMs,
  tallyOf,
  WINDOW_SLACK_MS,
} from '../../src/remediation/classify';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const WINDOWS = { orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY, stepRetryBudgetMs: 30 * MIN };
const byStatus = (windows = WINDOWS) => Object.fromEntries(defaultThresholds(windows).map((t) => [t.status, t]));

describe('thresholds per status', () => {
  it('has one for every status an open order can rest or work in, and none for PARKED or the terminal ones', () => {
    expect(defaultThresholds(WINDOWS).map((t) => t.status)).toEqual([...SWEPT_STATUSES]);
    expect(SWEPT_STATUSES).not.toContain('PARKED');
    expect(SWEPT_STATUSES).not.toContain('FORWARDED');
  });

  it('gives our own steps minutes, measured from when the order entered the status', () => {
    const t = byStatus();
    expect([t.VALIDATING?.afterMs, t.ENRICHING?.afterMs, t.ASSESSING_RISK?.afterMs, t.FORWARDING?.afterMs]).toEqual([10 * MIN, 10 * MIN, 10 * MIN, 5 * MIN]);
    for (const s of ['VALIDATING', 'ENRICHING', 'ASSESSING_RISK', 'FORWARDING']) expect(t[s]?.boundFromStart).toBe(false);
  });

  it("gives the waiting statuses their window plus slack, bounded from the order's start", () => {
    const t = byStatus({ orderTtlMs: 10 * DAY, paymentCaptureWindowMs: 2 * DAY, stepRetryBudgetMs: 30 * MIN });
    expect(t.AWAITING_PAYMENT?.afterMs).toBe(2 * DAY + WINDOW_SLACK_MS);
    expect(t.AWAITING_ORDER?.afterMs).toBe(10 * DAY + WINDOW_SLACK_MS);
    expect(t.NEEDS_CORRECTION?.afterMs).toBe(10 * DAY + WINDOW_SLACK_MS);
    expect(t.RISK_REVIEW?.afterMs).toBe(10 * DAY + WINDOW_SLACK_MS);
    for (const s of ['AWAITING_PAYMENT', 'AWAITING_ORDER', 'NEEDS_CORRECTION', 'RISK_REVIEW']) expect(t[s]?.boundFromStart).toBe(true);
    // A capture window longer than the TTL cannot keep an order waiting past the TTL.
    expect(byStatus({ orderTtlMs: DAY, paymentCaptureWindowMs: 3 * DAY, stepRetryBudgetMs: MIN }).AWAITING_PAYMENT?.afterMs).toBe(DAY + WINDOW_SLACK_MS);
  });

  it('takes overrides by status, and names what it refuses', () => {
    const t = applyThresholdOverrides(defaultThresholds(WINDOWS), 'VALIDATING=15m, FORWARDING=90s');
    expect(t.find((x) => x.status === 'VALIDATING')).toMatchObject({ afterMs: 15 * MIN, why: 'REMEDIATION_THRESHOLDS VALIDATING=15m' });
    expect(t.find((x) => x.status === 'FORWARDING')?.afterMs).toBe(90_000);
    expect(t.find((x) => x.status === 'ENRICHING')?.afterMs).toBe(10 * MIN);
    expect(() => applyThresholdOverrides(t, 'PARKED=1m')).toThrow(/"PARKED" is not one of/);
    expect(() => applyThresholdOverrides(t, 'VALIDATING=soon')).toThrow(/VALIDATING: "soon" is not a positive duration/);
    expect(() => parseDuration('0', 'X')).toThrow(RangeError);
    expect(parseDuration('120000', 'X')).toBe(120_000);
  });

  it('builds a valid sweep input from the windows and the environment, every 2 min by default', () => {
    const input = sweeperInput(WINDOWS, { REMEDIATION_REFUND_OWED_AFTER: '5m', REMEDIATION_THRESHOLDS: 'AWAITING_PAYMENT=1d' });
    expect(SweeperInput.parse(input)).toEqual(input);
    expect(input.refundOwedAfterMs).toBe(5 * MIN);
    expect(input.lateEventRunningAfterMs).toBe(15 * MIN);
    expect(input.thresholds.find((t) => t.status === 'AWAITING_PAYMENT')?.afterMs).toBe(DAY);
    expect(sweepIntervalMs({})).toBe(2 * MIN);
    expect(sweepIntervalMs({ REMEDIATION_SWEEP_INTERVAL: '30s' })).toBe(30_000);
  });
});

describe('stuck: the rule and its visibility query', () => {
  const asOf = Date.parse('2026-12-01T12:00:00.000Z');

  it('is stuck only strictly past the threshold', () => {
    const t = { afterMs: 10 * MIN };
    expect(isStuck(t, asOf - 10 * MIN, asOf)).toBe(false);
    expect(isStuck(t, asOf - 10 * MIN - 1, asOf)).toBe(true);
  });

  it('asks for running orders in the status since before the cutoff', () => {
    expect(stuckOrdersQuery({ status: 'VALIDATING', afterMs: 10 * MIN, boundFromStart: false }, asOf)).toBe(
      "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running' AND OrderStatus = 'VALIDATING' AND OrderStatusSince < '2026-12-01T11:50:00.000Z'",
    );
  });

  it("judges an order without OrderStatusSince by its start only where a window bounds the status", () => {
    const q = stuckOrdersQuery({ status: 'AWAITING_PAYMENT', afterMs: DAY, boundFromStart: true }, asOf);
    expect(q).toContain("(OrderStatusSince < '2026-11-30T12:00:00.000Z' OR (OrderStatusSince IS NULL AND StartTime < '2026-11-30T12:00:00.000Z'))");
  });

  it('asks for late-event runs that did not complete, or still run past the threshold', () => {
    const q = lateEventFailuresQuery(15 * MIN, asOf);
    expect(q).toMatch(/^WorkflowType = 'LateEventWorkflow' AND \(/);
    for (const s of ['Failed', 'TimedOut', 'Terminated', 'Canceled']) expect(q).toContain(`ExecutionStatus = '${s}'`);
    expect(q).toContain("(ExecutionStatus = 'Running' AND StartTime < '2026-12-01T11:45:00.000Z')");
    expect(q).not.toContain('Completed');
  });
});

describe('ages and tallies', () => {
  it('counts whole seconds, never negative', () => {
    expect(ageSeconds(10_999, 0)).toBe(10);
    expect(ageSeconds(0, 5_000)).toBe(0);
  });

  it('tallies the oldest age, and an exact count beyond the listed ones', () => {
    expect(tallyOf([])).toEqual({ count: 0, oldest_age_seconds: 0 });
    expect(tallyOf([3, 90, 7], 250)).toEqual({ count: 250, oldest_age_seconds: 90 });
  });
});

describe('the order of a late-event run', () => {
  it('comes from the memo, else from a late-order id; a late capture of an older release names none', () => {
    expect(lateEventOrderId('late-capture-RRN1', 'ord-1')).toBe('ord-1');
    expect(lateEventOrderId('late-order-ord-2-0123456789abcdef', undefined)).toBe('ord-2');
    expect(lateEventOrderId('late-capture-RRN1', undefined)).toBeNull();
  });
});
