// The store's side of the remediation sweeper, against embedded PGlite and a real PostgreSQL server alike: parked
// steps one by one, refunds owed (a kept payment without its refund note, or a parked refund), and the sweep's
// snapshots (idempotent per run, newest first, pruned). PostgreSQL comes from TEST_DATABASE_URL (.ci/postgres.sh).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemediationSnapshot } from '../../contracts/remediation';
import { openDashboardStore, REMEDIATION_SNAPSHOTS_KEPT, type DashboardStore, type OpenDashboardStoreOptions } from '../../src/store/dashboard-store';
import { openPgClient } from '../../src/store/sql-client';
import { makeRecord } from '../helpers/fixtures';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const IN_CI = ['1', 'true'].includes((process.env.CI ?? '').toLowerCase());

interface Space {
  options: OpenDashboardStoreOptions;
  dispose(): Promise<void>;
}

async function pgliteSpace(): Promise<Space> {
  const base = await mkdtemp(join(tmpdir(), 'oms-remediation-store-'));
  return { options: { dataDir: join(base, 'dashboard') }, dispose: () => rm(base, { recursive: true, force: true }) };
}

/** A fresh schema through the connection's search_path, as the dashboard-store suite isolates itself. */
async function postgresSpace(): Promise<Space> {
  if (!TEST_DATABASE_URL) throw new Error('unreachable: TEST_DATABASE_URL is unset');
  const schema = `remediation_test_${randomBytes(6).toString('hex')}`;
  const admin = openPgClient(TEST_DATABASE_URL, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    options: { databaseUrl: url.toString(), dataDir: join(tmpdir(), 'oms-dashboard-unused') },
    async dispose() {
      try {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

const ENGINES = [
  { name: 'PGlite', missing: undefined, newSpace: pgliteSpace },
  { name: 'PostgreSQL (TEST_DATABASE_URL)', missing: TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is unset: run `bash .ci/postgres.sh` and export its last line', newSpace: postgresSpace },
];

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function snapshot(runId: string, runAtMs: number, count = 0): RemediationSnapshot {
  return {
    run_id: runId,
    run_at: iso(runAtMs),
    stuck: [{ status: 'VALIDATING', threshold_seconds: 600, count, oldest_age_seconds: count > 0 ? 700 : 0 }],
    parked_steps: { count: 0, oldest_age_seconds: 0 },
    refunds_owed: { count: 0, oldest_age_seconds: 0 },
    late_event_failures: { count: 0, oldest_age_seconds: 0 },
    findings: count > 0 ? [{ kind: 'stuck', order_id: 'ord-1', workflow_id: 'order-ord-1', status: 'VALIDATING', since: iso(runAtMs - 700_000), age_seconds: 700, reason: 'test' }] : [],
    truncated: false,
  };
}

describe.each(ENGINES)('remediation queries of the store on $name', (engine) => {
  if (engine.missing !== undefined) {
    if (IN_CI) it(`runs on ${engine.name} in CI`, () => expect.fail(`CI must never skip ${engine.name}: ${engine.missing}`));
    else it.skip(`skipped: ${engine.missing}`, () => {});
    return;
  }
  let space: Space;
  let store: DashboardStore;

  beforeAll(async () => {
    space = await engine.newSpace();
    store = await openDashboardStore(space.options);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await space?.dispose();
  });

  it('lists parked steps one by one, oldest first, with an exact total, and the refunds owed', async () => {
    const now = Date.now();
    const old = iso(now - 3 * 60 * MIN);
    const payment = (rrn: string) => ({ rrn, amount_cents: 7_450, captured_at: old });
    const refundedNote = (rrn: string) => ({ status: 'CANCELLED' as const, at: old, reason: `refunded 7450 cents of ${rrn}: order_cancelled: customer asked` });
    // Two steps of one open order, and a parked refund of a late capture on a FORWARDED order.
    await store.save(
      makeRecord({
        order_id: 'ord-two-steps',
        customer_id: 'cus-1',
        status: 'PARKED',
        parked_steps: [
          { step: 'enrichment', error: 'PIM down', since: iso(now - 20 * MIN) },
          { step: 'refund of RRN-2nd', error: 'Payment API down', since: iso(now - 50 * MIN) },
        ],
      }),
      1,
    );
    await store.save(
      makeRecord({ order_id: 'ord-forwarded', customer_id: 'cus-1', status: 'FORWARDED', payment: payment('RRN-F'), parked_steps: [{ step: 'refund of RRN-LATE', error: '503', since: iso(now - 90 * MIN) }] }),
      1,
    );
    // Closed with a kept payment: owed; the same but refunded: not; closed only just: not yet; refund parked: once.
    await store.save(makeRecord({ order_id: 'ord-owed', customer_id: 'cus-1', status: 'EXPIRED', payment: payment('RRN-OWED'), updated_at: old }), 1);
    await store.save(makeRecord({ order_id: 'ord-refunded', customer_id: 'cus-1', status: 'CANCELLED', payment: payment('RRN-DONE'), updated_at: old, history: [refundedNote('RRN-DONE')] }), 1);
    await store.save(makeRecord({ order_id: 'ord-just-closed', customer_id: 'cus-1', status: 'CANCELLED', payment: payment('RRN-NEW'), updated_at: iso(now) }), 1);
    // A refund note of another RRN does not settle this one.
    await store.save(
      makeRecord({ order_id: 'ord-other-note', customer_id: 'cus-1', status: 'CANCELLED', payment: payment('RRN-X'), updated_at: old, history: [refundedNote('RRN-XY')] }),
      1,
    );
    await store.save(
      makeRecord({
        order_id: 'ord-refund-parked',
        customer_id: 'cus-1',
        status: 'CANCELLED',
        payment: payment('RRN-P'),
        updated_at: old,
        parked_steps: [{ step: 'refund of RRN-P', error: 'Payment API down', since: iso(now - 100 * MIN) }],
      }),
      1,
    );
    // Cancelled without a payment (payment_not_captured) owes nothing.
    await store.save(makeRecord({ order_id: 'ord-unpaid', customer_id: 'cus-1', status: 'CANCELLED', status_reason: 'payment_not_captured', updated_at: old }), 1);

    const parked = await store.listParkedSteps(2);
    expect(parked.total).toBe(4);
    expect(parked.oldestSince).toBe(iso(now - 100 * MIN));
    expect(parked.steps.map((s) => `${s.order_id}/${s.step}`)).toEqual(['ord-refund-parked/refund of RRN-P', 'ord-forwarded/refund of RRN-LATE']);
    expect(parked.steps[1]).toEqual({ order_id: 'ord-forwarded', status: 'FORWARDED', step: 'refund of RRN-LATE', error: '503', since: iso(now - 90 * MIN) });

    const owed = await store.listRefundsOwed(new Date(now - 10 * MIN), 100);
    // Oldest first: the two closed 3 h ago (ties by order id), then the parked refunds by their parking.
    expect(owed.refunds.map((r) => `${r.order_id}/${r.rrn}`)).toEqual([
      'ord-other-note/RRN-X',
      'ord-owed/RRN-OWED',
      'ord-refund-parked/RRN-P',
      'ord-forwarded/RRN-LATE',
      'ord-two-steps/RRN-2nd',
    ]);
    expect(owed.total).toBe(5);
    expect(owed.oldestSince).toBe(old);
    expect(owed.refunds.find((r) => r.order_id === 'ord-refund-parked')).toEqual({ order_id: 'ord-refund-parked', status: 'CANCELLED', rrn: 'RRN-P', since: iso(now - 100 * MIN), parkedError: 'Payment API down' });
    expect(owed.refunds.find((r) => r.order_id === 'ord-owed')).toEqual({ order_id: 'ord-owed', status: 'EXPIRED', rrn: 'RRN-OWED', since: old, parkedError: null });
    expect((await store.listRefundsOwed(new Date(now - 10 * MIN), 1)).refunds).toHaveLength(1);
  });

  it('keeps one snapshot per run (a retried write replaces it), answers the newest, and prunes old runs', async () => {
    expect(await store.latestRemediationSnapshot()).toBeUndefined();
    const t0 = Date.parse('2026-12-01T12:00:00.000Z');
    await store.saveRemediationSnapshot(snapshot('run-a', t0));
    await store.saveRemediationSnapshot(snapshot('run-b', t0 + 2 * MIN, 1));
    // An older run written late (a slow sweep) does not hide the newer one.
    await store.saveRemediationSnapshot(snapshot('run-a', t0));
    expect(await store.latestRemediationSnapshot()).toEqual(snapshot('run-b', t0 + 2 * MIN, 1));
    await expect(store.saveRemediationSnapshot({ ...snapshot('run-bad', t0), run_at: 'yesterday' })).rejects.toThrow();

    for (let i = 0; i < REMEDIATION_SNAPSHOTS_KEPT + 5; i++) await store.saveRemediationSnapshot(snapshot(`run-${String(i).padStart(3, '0')}`, t0 + (10 + i) * MIN));
    expect((await store.latestRemediationSnapshot())?.run_id).toBe(`run-${String(REMEDIATION_SNAPSHOTS_KEPT + 4).padStart(3, '0')}`);
  });
});
