// The gateway's side of the remediation sweeper through app.inject: the support route behind the Bearer token, the
// gauges read from the newest snapshot at scrape time, and neither inventing anything before the first sweep.
import { describe, expect, it } from 'vitest';
import type { RemediationSnapshot } from '../../contracts/remediation';
import { bearer, build, DEFAULT_SECRETS, InMemoryStore } from '../helpers/gateway-app';

const SNAPSHOT: RemediationSnapshot = {
  run_id: 'remediation-sweep-2026-12-01T12:00:00Z/run-1',
  run_at: '2026-12-01T12:00:00.000Z',
  stuck: [
    { status: 'VALIDATING', threshold_seconds: 600, count: 2, oldest_age_seconds: 4000 },
    { status: 'FORWARDING', threshold_seconds: 300, count: 0, oldest_age_seconds: 0 },
  ],
  parked_steps: { count: 1, oldest_age_seconds: 2700 },
  refunds_owed: { count: 3, oldest_age_seconds: 900 },
  late_event_failures: { count: 1, oldest_age_seconds: 60 },
  findings: [
    { kind: 'stuck', order_id: 'ord-1', workflow_id: 'order-ord-1', status: 'VALIDATING', since: '2026-12-01T10:53:20.000Z', age_seconds: 4000, reason: 'VALIDATING for longer than 600 s' },
    { kind: 'refund_owed', order_id: 'ord-2', status: 'EXPIRED', since: '2026-12-01T11:45:00.000Z', age_seconds: 900, reason: 'order EXPIRED kept the payment rrn-2, no refund recorded' },
  ],
  truncated: false,
};

/** The in-memory read side plus a snapshot the test sets (undefined: no sweep has run yet). */
class StoreWithSnapshot extends InMemoryStore {
  snapshot: RemediationSnapshot | undefined;
  reads = 0;
  async latestRemediationSnapshot(): Promise<RemediationSnapshot | undefined> {
    this.reads++;
    return this.snapshot;
  }
}

const sampleLines = (text: string) => text.split('\n').filter((l) => l.startsWith('oms_remediation_'));

describe('GET /v1/support/remediation and the remediation gauges', () => {
  it('show nothing made up before the first sweep: 404, and gauges without samples', async () => {
    const { app } = await build({ store: new StoreWithSnapshot() });
    const res = await app.inject({ method: 'GET', url: '/v1/support/remediation', headers: bearer(DEFAULT_SECRETS.supportApiToken) });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ type: expect.stringContaining('remediation-not-run') });
    expect(sampleLines((await app.inject({ method: 'GET', url: '/metrics' })).body)).toEqual([]);
  });

  it('list the newest findings for the support token only, filtered by kind', async () => {
    const store = new StoreWithSnapshot();
    store.snapshot = SNAPSHOT;
    const { app } = await build({ store });
    expect((await app.inject({ method: 'GET', url: '/v1/support/remediation' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/v1/support/remediation?kind=refund_owed', headers: bearer(DEFAULT_SECRETS.supportApiToken) });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ run_at: string; snapshot_age_seconds: number; totals: { refunds_owed: unknown }; findings: Array<{ order_id: string }> }>();
    expect(body.run_at).toBe(SNAPSHOT.run_at);
    expect(body.snapshot_age_seconds).toBeGreaterThan(0);
    expect(body.totals.refunds_owed).toEqual({ count: 3, oldest_age_seconds: 900 });
    expect(body.findings.map((f) => f.order_id)).toEqual(['ord-2']);
    expect((await app.inject({ method: 'GET', url: '/v1/support/remediation?kind=nonsense', headers: bearer(DEFAULT_SECRETS.supportApiToken) })).statusCode).toBe(400);
  });

  it('export the snapshot under the names the alert rules use, with one store read per scrape', async () => {
    const store = new StoreWithSnapshot();
    store.snapshot = SNAPSHOT;
    const { app } = await build({ store });
    const lines = sampleLines((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(lines.sort()).toEqual(
      [
        'oms_remediation_stuck_orders{status="VALIDATING"} 2',
        'oms_remediation_stuck_orders{status="FORWARDING"} 0',
        'oms_remediation_oldest_stuck_age_seconds{status="VALIDATING"} 4000',
        'oms_remediation_oldest_stuck_age_seconds{status="FORWARDING"} 0',
        'oms_remediation_parked_steps 1',
        'oms_remediation_oldest_parked_age_seconds 2700',
        'oms_remediation_refunds_owed 3',
        'oms_remediation_late_event_failures 1',
        `oms_remediation_sweeper_last_run_timestamp_seconds ${Date.parse(SNAPSHOT.run_at) / 1000}`,
      ].sort(),
    );
    expect(store.reads).toBe(1);
    // The next sweep's values replace the last ones: a status that is no longer stuck reads 0, not its old count.
    store.snapshot = { ...SNAPSHOT, stuck: [{ status: 'VALIDATING', threshold_seconds: 600, count: 0, oldest_age_seconds: 0 }] };
    const next = sampleLines((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(next).toContain('oms_remediation_stuck_orders{status="VALIDATING"} 0');
    expect(next.some((l) => l.includes('FORWARDING'))).toBe(false);
    expect(store.reads).toBe(2);
  });
});
