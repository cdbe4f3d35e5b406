// The order's record, snapshot and phase table as plain code, without a server: bounded history, revisions that
// cannot collide across runs, PARKED only for an open order, and the moves the phase may make.
import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  buildRecord,
  buildSnapshot,
  HISTORY_HEAD,
  HISTORY_LIMIT,
  initialData,
  nextRevision,
  rememberRejected,
  REJECTED_CAPTURES_KEPT,
  visibleStatus,
} from '../../workflows/order/order-record';
import { assertMove, canMove, IllegalPhaseMove, isClosed, isForwarding, TRANSITIONS, type Phase } from '../../workflows/order/phase';

const DAY = 86_400_000;
const start = Date.parse('2026-12-01T08:00:00.000Z');
const data = () => initialData({ orderId: 'ord-1', orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 10 * DAY }, start, 60_000);
const parked = [{ step: 'refund of rrn-1', error: 'retry budget exhausted', since: '2026-12-02T00:00:00.000Z' }];

describe('initialData', () => {
  it('fixes both windows as instants from the first event', () => {
    expect(data().windows).toEqual({ firstEventAt: start, captureDeadline: start + 10 * DAY, ttlDeadline: start + 30 * DAY, stepRetryBudgetMs: 60_000 });
  });
});

describe('nextRevision', () => {
  it('counts up from the run start in ms × 1000, and never below what an earlier run wrote', () => {
    expect(nextRevision(0, start)).toBe(start * 1000 + 1);
    expect(nextRevision(start * 1000 + 1, start)).toBe(start * 1000 + 2);
    // A run started after retention begins far above every revision of the closed run.
    expect(nextRevision(0, start + DAY)).toBeGreaterThan(nextRevision(start * 1000 + 5_000, start));
    // A continued-as-new run started within the same ms keeps counting from the carried revision.
    expect(nextRevision(start * 1000 + 7, start)).toBe(start * 1000 + 8);
    expect(Number.isSafeInteger(nextRevision(0, Date.parse('2100-01-01T00:00:00Z')))).toBe(true);
  });
});

describe('history', () => {
  it('keeps the first entries and the latest ones, and says how many it omitted', () => {
    const d = data();
    for (let i = 0; i < HISTORY_LIMIT + 25; i++) appendHistory(d, { status: 'AWAITING_PAYMENT', at: new Date(start + i).toISOString(), reason: `entry ${i}` });
    expect(d.history).toHaveLength(HISTORY_LIMIT);
    const history = buildRecord(d, [], start).history;
    expect(history).toHaveLength(HISTORY_LIMIT + 1);
    expect(history.slice(0, HISTORY_HEAD).map((h) => h.reason)).toEqual(Array.from({ length: HISTORY_HEAD }, (_, i) => `entry ${i}`));
    expect(history[HISTORY_HEAD]?.reason).toBe('25 earlier entries omitted');
    expect(history.at(-1)?.reason).toBe(`entry ${HISTORY_LIMIT + 24}`);
  });

  it('remembers only the newest rejected captures', () => {
    const d = data();
    for (let i = 0; i < REJECTED_CAPTURES_KEPT + 5; i++) {
      rememberRejected(d, { rrn: `rrn-${i}`, amount_cents: 1, code: 'payment_not_found', reason: 'x', arrivedAt: start, at: '' });
    }
    expect(d.rejectedCaptures.map((r) => r.rrn)).toEqual(Array.from({ length: REJECTED_CAPTURES_KEPT }, (_, i) => `rrn-${i + 5}`));
  });
});

describe('status beside parked steps', () => {
  it('shows PARKED for an open order, with the step and error as the reason', () => {
    const d = data();
    d.phase = 'ENRICHING';
    const record = buildRecord(d, parked, start);
    expect(record).toMatchObject({ status: 'PARKED', status_reason: 'refund of rrn-1: retry budget exhausted', parked_steps: parked });
  });

  it('keeps CANCELLED and EXPIRED for a closed order, the parked refund beside it', () => {
    for (const phase of ['CANCELLED', 'EXPIRED'] as const) {
      const d = data();
      d.phase = phase;
      d.statusReason = 'not_forwarded_in_time';
      expect(visibleStatus(phase, parked)).toBe(phase);
      expect(buildRecord(d, parked, start)).toMatchObject({ status: phase, status_reason: 'not_forwarded_in_time', parked_steps: parked });
    }
  });

  it('builds the snapshot around the same record', () => {
    const d = data();
    d.pendingCaptures.push({ rrn: 'rrn-1', amount_cents: 100, arrivedAt: start + 5, recheck: false });
    const snapshot = buildSnapshot(d, [], start);
    expect(snapshot).toMatchObject({ orderId: 'ord-1', phase: 'AWAITING_ORDER', status: 'AWAITING_ORDER', pendingCaptures: [{ rrn: 'rrn-1', amount_cents: 100, arrived_at: new Date(start + 5).toISOString() }] });
    expect(snapshot.record.expires_at).toBe(new Date(start + 30 * DAY).toISOString());
  });
});

describe('phase table', () => {
  it('closes every phase before forwarding, and nothing once forwarding started', () => {
    for (const phase of Object.keys(TRANSITIONS) as Phase[]) {
      const closable = !isForwarding(phase) && !isClosed(phase);
      expect(canMove(phase, 'CANCELLED')).toBe(closable);
      expect(canMove(phase, 'EXPIRED')).toBe(closable);
    }
    expect(TRANSITIONS.FORWARDING).toEqual(['FORWARDED']);
  });

  it('refuses an illegal move with an error that fails the workflow task, not the order', () => {
    expect(() => assertMove('FORWARDED', 'AWAITING_PAYMENT')).toThrow(IllegalPhaseMove);
    expect(() => assertMove('AWAITING_PAYMENT', 'FORWARDING')).not.toThrow();
  });
});
