// Integration suite of the dashboard store: the same cases against embedded PGlite and a real PostgreSQL server.
// PostgreSQL comes from TEST_DATABASE_URL (.ci/postgres.sh); under CI its absence fails the run instead of skipping.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DashboardRecord, ErrorType, isTerminal, OrderStatus, type ParkedStep, type TerminalStatus } from '../../contracts';
import { createDashboardActivities } from '../../activities/dashboard';
import { failureOf } from '../helpers/failures';
import { makeRecord } from '../helpers/fixtures';
import {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  openDashboardStore,
  type DashboardStore,
  type OpenDashboardStoreOptions,
} from '../../src/store/dashboard-store';
import { DataDirLockedError, openPgClient, openSqlClient } from '../../src/store/sql-client';
import { createCustomerEmails } from '../../src/pii/customer-emails';
import { parseKeyring } from '../../src/pii/keyring';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const IN_CI = isSet(process.env.CI);
// PGlite runs initdb (≈2 s, more on a busy 2-core CI machine) for every fresh data dir.
const SETUP_TIMEOUT_MS = 60_000;

/** An isolated place for one store: its own data dir, or its own PostgreSQL schema. */
interface Space {
  options: OpenDashboardStoreOptions;
  dispose(): Promise<void>;
}

interface Engine {
  name: string;
  /** Why this engine cannot run here, if it cannot. */
  missing: string | undefined;
  newSpace(): Promise<Space>;
}

const pglite: Engine = {
  name: 'PGlite (embedded, file-backed)',
  missing: undefined,
  async newSpace() {
    const base = await mkdtemp(join(tmpdir(), 'oms-dashboard-'));
    // A nested path that does not exist yet, like `.data/dashboard` on a fresh clone.
    return {
      options: { dataDir: join(base, 'data', 'dashboard') },
      dispose: () => rm(base, { recursive: true, force: true }),
    };
  },
};

interface PgSpace extends Space {
  /** The qualified name the store's table must have, if the store really works inside the space's schema. */
  tableName: string;
  /** `tableName` if that table exists (seen from another session), else null. */
  locateTable(): Promise<string | null>;
}

/** A fresh schema, chosen through the connection's search_path: the store's own code path, isolated from other
 * suites and from earlier runs on a reused machine. */
async function newPgSpace(): Promise<PgSpace> {
  if (!TEST_DATABASE_URL) throw new Error('unreachable: TEST_DATABASE_URL is unset');
  const schema = `dashboard_test_${randomBytes(6).toString('hex')}`;
  const admin = openPgClient(TEST_DATABASE_URL, { max: 1 });
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (err) {
    await admin.close();
    throw err;
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const tableName = `${schema}.dashboard_orders`;
  return {
    options: { databaseUrl: url.toString(), dataDir: join(tmpdir(), 'oms-dashboard-unused') },
    tableName,
    async locateTable() {
      const [row] = await admin.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [tableName]);
      return row?.t ?? null;
    },
    async dispose() {
      try {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

const postgres: Engine = {
  name: 'PostgreSQL server (TEST_DATABASE_URL)',
  missing: TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is unset: run `bash .ci/postgres.sh` and export its last line',
  newSpace: newPgSpace,
};

/**
 * Registers, for an engine that cannot run here, a test that fails under CI (CI must never silently lose a
 * suite) or a visibly skipped one elsewhere; returns whether the engine can run.
 */
function engineAvailable(engine: Engine): boolean {
  const { missing } = engine;
  if (missing === undefined) return true;
  if (IN_CI) {
    it(`runs against ${engine.name} in CI`, () => {
      throw new Error(`CI must never skip the ${engine.name} suite: ${missing}`);
    });
  } else {
    it.skip(`skipped: ${missing}`, () => {});
  }
  return false;
}

describe.each([pglite, postgres])('DashboardStore on $name', (engine) => {
  if (!engineAvailable(engine)) return;

  let space: Space;
  let store: DashboardStore;
  // Every test uses its own ids, so tests sharing the suite's store never see each other's orders.
  const ids = idFactory();

  beforeAll(async () => {
    space = await engine.newSpace();
    store = await openDashboardStore(space.options);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await store?.close();
    await space?.dispose();
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('refuses a value the engine cannot carry for good (STORE_REJECTED, not retried), and stays up for the next order', async () => {
    const activities = createDashboardActivities({ store });
    const env = new MockActivityEnvironment();
    for (const poisoned of [{ customer_id: 'cus\u0000x' }, { status_reason: 'lone \ud800 surrogate' }]) {
      const record = { ...fullRecord(ids.order(), ids.customer()), ...poisoned };
      const f = await failureOf(env.run(activities.saveDashboardRecord, { record, revision: 1 }));
      expect(f.type).toBe(ErrorType.STORE_REJECTED);
      expect(f.nonRetryable).toBe(true);
    }
    const fine = fullRecord(ids.order(), ids.customer());
    await expect(env.run(activities.saveDashboardRecord, { record: fine, revision: 1 })).resolves.toEqual({ applied: true, closedAs: null });
  });

  it('round-trips every field of a record with payment', async () => {
    const record = fullRecord(ids.order(), ids.customer());
    expect(await store.save(record, 1)).toEqual({ applied: true, closedAs: null });
    expect(await store.get(record.order_id)).toStrictEqual(record);
  });

  it('round-trips a record without payment (the key stays absent)', async () => {
    const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'AWAITING_PAYMENT' });
    expect('payment' in record).toBe(false);
    await store.save(record, 1);
    const read = await store.get(record.order_id);
    expect(read).toStrictEqual(record);
    expect(read !== undefined && 'payment' in read).toBe(false);
  });

  it('returns undefined for an unknown order', async () => {
    expect(await store.get(ids.order())).toBeUndefined();
  });

  it('drops fields the contract does not know and rejects malformed records before writing', async () => {
    const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer() });
    const withExtra = { ...record, customer_email: 'someone@example.test' };
    await store.save(withExtra, 1);
    expect(await store.get(record.order_id)).toStrictEqual(record);

    const offsetLess = { ...record, order_id: ids.order(), submitted_at: '2026-03-01 10:00:00' };
    await expect(store.save(offsetLess, 1)).rejects.toThrow(/submitted_at/);
    const badStatus = { ...record, order_id: ids.order(), status: 'SHIPPED' } as unknown as DashboardRecord;
    await expect(store.save(badStatus, 1)).rejects.toThrow();
    await expect(store.save(record, -1)).rejects.toThrow(RangeError);
    await expect(store.save(record, 1.5)).rejects.toThrow(RangeError);
    expect(await store.get(offsetLess.order_id)).toBeUndefined();
  });

  it('never lets an older or equal revision overwrite a newer one', async () => {
    const orderId = ids.order();
    const customerId = ids.customer();
    const at = (rev: number, tag: string): DashboardRecord =>
      makeRecord({ order_id: orderId, customer_id: customerId, status_reason: `rev ${rev} ${tag}` });

    expect(await store.save(at(3, 'first'), 3)).toEqual({ applied: true, closedAs: null });
    expect(await store.save(at(2, 'late'), 2)).toEqual({ applied: false, closedAs: null });
    expect((await store.get(orderId))?.status_reason).toBe('rev 3 first');

    expect(await store.save(at(3, 'retry'), 3)).toEqual({ applied: false, closedAs: null });
    expect((await store.get(orderId))?.status_reason).toBe('rev 3 first');

    expect(await store.save(at(4, 'next'), 4)).toEqual({ applied: true, closedAs: null });
    expect((await store.get(orderId))?.status_reason).toBe('rev 4 next');
  });

  it('ends at the highest revision when revisions 1..50 are saved concurrently in random order', async () => {
    const orderIds = [ids.order(), ids.order(), ids.order()];
    const customerId = ids.customer();
    const writes = orderIds.flatMap((orderId) =>
      Array.from({ length: 50 }, (_, i) => ({ orderId, revision: i + 1 })),
    );
    const shuffled = shuffle(writes);
    const results = await Promise.all(
      shuffled.map(({ orderId, revision }) =>
        store
          .save(
            makeRecord({ order_id: orderId, customer_id: customerId, status_reason: `rev ${revision}` }),
            revision,
          )
          .then(({ applied }) => ({ orderId, revision, applied })),
      ),
    );

    const order = shuffled.map((w) => w.revision).join(',');
    for (const orderId of orderIds) {
      expect((await store.get(orderId))?.status_reason, `write order: ${order}`).toBe('rev 50');
      expect(results.find((r) => r.orderId === orderId && r.revision === 50)?.applied).toBe(true);
    }
    // A redelivery of the whole storm changes nothing.
    const replays = await Promise.all(
      shuffled.map(({ orderId, revision }) =>
        store.save(makeRecord({ order_id: orderId, customer_id: customerId, status_reason: 'replayed' }), revision),
      ),
    );
    expect(replays.every((r) => !r.applied)).toBe(true);
    expect((await store.get(orderIds[0] ?? ''))?.status_reason).toBe('rev 50');
  });

  it('lists a customer newest first (ties by order_id), each customer isolated, latest revision shown', async () => {
    const alice = ids.customer();
    const bob = ids.customer();
    const [a1, a2, a3, a4, b1] = [ids.order(), ids.order(), ids.order(), ids.order(), ids.order()];
    const aliceRecords = [
      makeRecord({ order_id: a1, customer_id: alice, submitted_at: '2026-03-01T10:00:00.000Z' }),
      makeRecord({ order_id: a2, customer_id: alice, submitted_at: '2026-03-03T10:00:00.000Z' }),
      // Same instant as a2, written with another offset: ordering is by instant, then order_id (a3 > a2).
      makeRecord({ order_id: a3, customer_id: alice, submitted_at: '2026-03-03T12:00:00.000+02:00' }),
      makeRecord({ order_id: a4, customer_id: alice, submitted_at: '2026-03-02T10:00:00.000Z' }),
    ];
    const bobRecord = makeRecord({ order_id: b1, customer_id: bob, submitted_at: '2026-03-04T10:00:00.000Z' });
    await Promise.all(shuffle([...aliceRecords, bobRecord]).map((r) => store.save(r, 1)));
    await store.save(makeRecord({ order_id: a4, customer_id: alice, submitted_at: '2026-03-02T10:00:00.000Z', status: 'FORWARDED' }), 2);

    const list = await store.listByCustomer(alice);
    expect(list.map((r) => r.order_id)).toStrictEqual([a3, a2, a4, a1]);
    expect(list.find((r) => r.order_id === a4)?.status).toBe('FORWARDED');
    expect((await store.listByCustomer(bob)).map((r) => r.order_id)).toStrictEqual([b1]);
    expect(await store.listByCustomer(ids.customer())).toStrictEqual([]);
  });

  it('lists a status oldest first, and an order leaves the list when its status moves on', async () => {
    // Older than anything else the suite writes, so these lead the shared queue whatever other tests left in it.
    const customerId = ids.customer();
    const [q1, q2, q3, other] = [ids.order(), ids.order(), ids.order(), ids.order()];
    const needsCorrection = (orderId: string, submittedAt: string): DashboardRecord =>
      makeRecord({ order_id: orderId, customer_id: customerId, status: 'NEEDS_CORRECTION', submitted_at: submittedAt });
    const q2Record = needsCorrection(q2, '2001-01-02T00:00:00.000Z');
    await store.save(q2Record, 1);
    await store.save(needsCorrection(q3, '2001-01-02T00:00:00.000Z'), 1);
    await store.save(needsCorrection(q1, '2001-01-01T00:00:00.000Z'), 1);
    await store.save(
      makeRecord({ order_id: other, customer_id: customerId, status: 'AWAITING_PAYMENT', submitted_at: '2000-12-31T00:00:00.000Z' }),
      1,
    );

    const head = await store.listByStatus('NEEDS_CORRECTION', { limit: 3 });
    expect(head.map((r) => r.order_id)).toStrictEqual([q1, q2, q3]);
    const all = await store.listByStatus('NEEDS_CORRECTION');
    expect(all.every((r) => r.status === 'NEEDS_CORRECTION')).toBe(true);
    expect(isSortedAscending(all)).toBe(true);

    await store.save({ ...q2Record, status: 'AWAITING_PAYMENT', status_reason: 'corrected' }, 2);
    expect((await store.listByStatus('NEEDS_CORRECTION', { limit: 2 })).map((r) => r.order_id)).toStrictEqual([q1, q3]);
    const awaiting = (await store.listByStatus('AWAITING_PAYMENT', { limit: 2 })).map((r) => r.order_id);
    expect(awaiting).toStrictEqual([other, q2]);
  });

  it('limits lists: default 100, capped at 500, and rejects a limit that is not a positive integer', async () => {
    const customerId = ids.customer();
    const many = Array.from({ length: MAX_LIST_LIMIT + 1 }, (_, i) =>
      makeRecord({
        order_id: ids.order(),
        customer_id: customerId,
        submitted_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      }),
    );
    for (const chunk of chunks(many, 50)) await Promise.all(chunk.map((r) => store.save(r, 1)));

    const newestFirst = [...many].reverse().map((r) => r.order_id);
    expect((await store.listByCustomer(customerId)).map((r) => r.order_id)).toStrictEqual(
      newestFirst.slice(0, DEFAULT_LIST_LIMIT),
    );
    expect((await store.listByCustomer(customerId, { limit: 7 })).map((r) => r.order_id)).toStrictEqual(
      newestFirst.slice(0, 7),
    );
    expect(await store.listByCustomer(customerId, { limit: 10_000 })).toHaveLength(MAX_LIST_LIMIT);
    expect(await store.listByStatus('VALIDATING', { limit: 1 })).toHaveLength(1);
    for (const limit of [0, -1, 2.5, Number.NaN]) {
      await expect(store.listByCustomer(customerId, { limit })).rejects.toThrow(RangeError);
      await expect(store.listByStatus('VALIDATING', { limit })).rejects.toThrow(RangeError);
    }
  });

  // One RRN pays one order (contract §6): the first order whose valid capture claims an RRN owns it for good.
  describe('claimRrn', () => {
    it('gives an RRN to its first claimer for good: the owner gets itself back, any other order gets the owner', async () => {
      const rrn = ids.rrn();
      const [first, second] = [ids.order(), ids.order()];

      expect(await store.claimRrn(rrn, first)).toBe(first);
      expect(await store.claimRrn(rrn, first)).toBe(first);
      expect(await store.claimRrn(rrn, second)).toBe(first);
      // The refused order did not take it over, and a retry of either call still agrees.
      expect(await store.claimRrn(rrn, second)).toBe(first);
      expect(await store.claimRrn(rrn, first)).toBe(first);
    });

    it('agrees on exactly one owner when 10 different orders claim one RRN at the same moment', async () => {
      // Several rounds, each on a fresh RRN: a race between the claims shows in any one of them.
      for (let round = 0; round < 5; round += 1) {
        const rrn = ids.rrn();
        const orders = Array.from({ length: 10 }, () => ids.order());
        const settled = await Promise.allSettled(orders.map((orderId) => store.claimRrn(rrn, orderId)));

        const failures = settled.flatMap((s, i) =>
          s.status === 'rejected' ? [`${orders[i]}: ${(s.reason as Error).message}`] : [],
        );
        expect(failures, `round ${round}: every concurrent claim of ${rrn} answers with an owner`).toStrictEqual([]);
        const owners = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
        const owner = owners[0];
        expect(owner === undefined ? [] : orders.filter((o) => o === owner), `round ${round}: the owner is a claimer`).toHaveLength(1);
        // Every caller saw the same owner: the one that won, and the nine others that lost to it.
        expect(owners, `round ${round}`).toStrictEqual(orders.map(() => owner));
        // The winner is settled for good: later claims by any of them still name it.
        expect(await Promise.all(orders.map((orderId) => store.claimRrn(rrn, orderId)))).toStrictEqual(
          orders.map(() => owner),
        );
      }
    });

    it('keeps different RRNs independent, also when they are claimed at the same moment', async () => {
      const [a, b] = [ids.order(), ids.order()];
      const [rrnA, rrnB, rrnA2] = [ids.rrn(), ids.rrn(), ids.rrn()];

      expect(await store.claimRrn(rrnA, a)).toBe(a);
      expect(await store.claimRrn(rrnB, b)).toBe(b);
      // Holding one RRN does not stop an order from claiming another one (a second capture is its own RRN).
      expect(await store.claimRrn(rrnA2, a)).toBe(a);
      expect(await store.claimRrn(rrnA, b)).toBe(a);
      expect(await store.claimRrn(rrnB, a)).toBe(b);

      const orders = Array.from({ length: 10 }, () => ids.order());
      const rrns = orders.map(() => ids.rrn());
      expect(await Promise.all(orders.map((orderId, i) => store.claimRrn(rrns[i] ?? '', orderId)))).toStrictEqual(orders);
      expect(await store.claimRrn(rrnA, b)).toBe(a);
    });
  });

  // A late event leaves one history entry on the closed order, however often it is delivered or retried
  // (docs/order-lifecycle.md, "Late events").
  // The publish is a local activity that Temporal may run again: the key of an acknowledged message stays recorded.
  describe('fulfillment publications', () => {
    it('knows a key once it is marked, for good, and keeps keys of different orders apart', async () => {
      const [first, second] = [ids.order(), ids.order()];
      expect(await store.wasPublished(`order-${first}`)).toBe(false);
      await store.markPublished(`order-${first}`, first);
      await store.markPublished(`order-${first}`, first);
      expect(await store.wasPublished(`order-${first}`)).toBe(true);
      expect(await store.wasPublished(`order-${second}`)).toBe(false);
    });
  });

  // Envelope encryption of the e-mail (docs/pii.md): the data keys live here, wrapped; erasure destroys them.
  describe('customer data keys', () => {
    const keyring = parseKeyring(`test-old:${randomBytes(32).toString('base64')}`);

    it('keeps one wrapped data key per customer, also when its first e-mails arrive at once', async () => {
      const customer = ids.customer();
      const emails = createCustomerEmails(keyring, store.customerKeys);
      const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => emails.seal(customer, `buyer${i}@example.test`)));
      const keyIds = new Set(sealed.map((s) => s.split('.')[1]));
      expect(keyIds.size).toBe(1);
      const row = await store.customerKeys.liveKey(customer);
      expect(row).toMatchObject({ customerId: customer, masterKeyId: 'test-old' });
      // Wrapped: 12-byte nonce + 32-byte key + 16-byte tag, and no e-mail in it.
      expect(Buffer.from(row!.wrappedKey, 'base64')).toHaveLength(60);
      for (const [i, s] of sealed.entries()) expect(await emails.open(s)).toEqual({ state: 'readable', email: `buyer${i}@example.test` });
    });

    // The race CI once lost: the first e-mails of one customer on two connections. Driven, not hoped for: the other
    // connection's insert is held uncommitted until this one's insert is seen waiting on it, then committed.
    it.runIf(engine === postgres)('keeps the other connection’s key when its first e-mail commits while this one’s insert waits', async () => {
      const customer = ids.customer();
      const other = new pg.Client({ connectionString: space.options.databaseUrl });
      // Watched from a third connection outside any transaction: inside one, PostgreSQL snapshots pg_stat_activity at
      // its first read, so polling from `other` could keep seeing the moment before this insert began to wait.
      const watcher = new pg.Client({ connectionString: space.options.databaseUrl });
      await Promise.all([other.connect(), watcher.connect()]);
      let sealing: Promise<unknown> | undefined;
      try {
        await other.query('BEGIN');
        await other.query("INSERT INTO customer_data_keys (key_id, customer_id, master_key_id, wrapped_key) VALUES ($1, $2, 'test-old', 'AAAA')", ['dk_other', customer]);
        sealing = store.customerKeys.addKey({ keyId: 'dk_mine', customerId: customer, masterKeyId: 'test-old', wrappedKey: 'BBBB' });
        await vi.waitFor(async () => {
          const waiting = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO customer_data_keys%'");
          expect(waiting.rowCount).toBeGreaterThan(0);
        }, { timeout: 30_000, interval: 20 });
        await other.query('COMMIT');
        expect(await sealing).toMatchObject({ keyId: 'dk_other', customerId: customer });
      } finally {
        // Their key material is made up: neither key may reach the rewrap test below, whatever happened above.
        await other.query('ROLLBACK').catch(() => undefined);
        await sealing?.catch(() => undefined);
        await watcher.query('DELETE FROM customer_data_keys WHERE customer_id = $1', [customer]).catch(() => undefined);
        await Promise.all([other.end(), watcher.end()]);
      }
    });

    it('forgets a customer: the keys are gone, the erasure is recorded, others are untouched, a later e-mail gets a new key', async () => {
      const [forgotten, kept] = [ids.customer(), ids.customer()];
      const emails = createCustomerEmails(keyring, store.customerKeys);
      const before = await emails.seal(forgotten, 'gone@example.test');
      const other = await emails.seal(kept, 'kept@example.test');
      expect(await emails.forget(forgotten)).toBe(1);
      expect(await emails.open(before)).toEqual({ state: 'erased' });
      expect(await emails.open(other)).toEqual({ state: 'readable', email: 'kept@example.test' });
      expect(await store.customerKeys.liveKey(forgotten)).toBeUndefined();
      expect(await emails.forget(forgotten)).toBe(0);
      const after = await emails.seal(forgotten, 'back@example.test');
      expect(after.split('.')[1]).not.toBe(before.split('.')[1]);
      expect(await emails.open(after)).toEqual({ state: 'readable', email: 'back@example.test' });
      expect(await emails.open(before)).toEqual({ state: 'erased' });
    });

    it('rewraps every key under the new master key after a rotation, so the old one can go', async () => {
      const customer = ids.customer();
      const old = createCustomerEmails(keyring, store.customerKeys);
      const sealed = await old.seal(customer, 'rotating@example.test');
      const rotated = parseKeyring(`test-new:${randomBytes(32).toString('base64')},test-old:${keyring.current.key.toString('base64')}`);
      const both = createCustomerEmails(rotated, store.customerKeys);
      expect(await both.rewrapAll()).toBeGreaterThanOrEqual(1);
      expect((await store.customerKeys.countByMasterKey())['test-old']).toBeUndefined();
      const newOnly = createCustomerEmails(parseKeyring(`test-new:${rotated.current.key.toString('base64')}`), store.customerKeys);
      expect(await newOnly.open(sealed)).toEqual({ state: 'readable', email: 'rotating@example.test' });
    });

    it('stores the sealed e-mail with the record, and hands it back only as sealed', async () => {
      const customer = ids.customer();
      const sealed = await createCustomerEmails(keyring, store.customerKeys).seal(customer, 'record@example.test');
      const record = { ...makeRecord({ order_id: ids.order(), customer_id: customer }), customer_email_sealed: sealed };
      expect((await store.save(record, 1)).applied).toBe(true);
      const read = await store.get(record.order_id);
      expect(read?.customer_email_sealed).toBe(sealed);
      expect(JSON.stringify(read)).not.toContain('record@example.test');
    });
  });

  describe('appendHistoryOnce', () => {
    /** The workflow's last write of a closed order: `fullRecord` is FORWARDED. */
    const LAST_REVISION = 7;
    const closedOrder = async (fields: Partial<DashboardRecord> = {}): Promise<DashboardRecord> => {
      const record = { ...fullRecord(ids.order(), ids.customer()), ...fields };
      expect(await store.save(record, LAST_REVISION)).toEqual({ applied: true, closedAs: null });
      return record;
    };
    const late = (at: string, reason: string) => ({ at, reason });

    it('appends one entry with the record\'s current status at the end of the history and sets updated_at to its time', async () => {
      const forwarded = await closedOrder();
      const entry = late('2026-04-02T08:00:00.000Z', 'late capture rrn-9 refunded (500 cents): the order is FORWARDED');
      expect(await store.appendHistoryOnce(forwarded.order_id, ids.event(), entry)).toEqual({ applied: true });
      expect(await store.get(forwarded.order_id)).toStrictEqual({
        ...forwarded,
        updated_at: entry.at,
        history: [...forwarded.history, { status: 'FORWARDED', at: entry.at, reason: entry.reason }],
      });

      // The status comes from the record, not from a constant; an offset time is kept as written.
      const cancelled = await closedOrder({
        status: 'CANCELLED',
        status_reason: 'cancelled by the customer',
        history: [
          { status: 'VALIDATING', at: '2026-03-01T10:00:00.000Z' },
          { status: 'CANCELLED', at: '2026-03-01T10:03:00.000Z', reason: 'cancelled by the customer' },
        ],
      });
      const other = late('2026-04-02T10:30:00.000+02:00', 'late commerce webhook — "ignored" \\ ✓');
      expect(await store.appendHistoryOnce(cancelled.order_id, ids.event(), other)).toEqual({ applied: true });
      expect(await store.get(cancelled.order_id)).toStrictEqual({
        ...cancelled,
        updated_at: other.at,
        history: [...cancelled.history, { status: 'CANCELLED', at: other.at, reason: other.reason }],
      });
    });

    it('applies an eventId once: a repeat is not applied and changes nothing, another eventId appends again', async () => {
      const record = await closedOrder();
      const [e1, e2] = [ids.event(), ids.event()];
      const first = late('2026-04-02T08:00:00.000Z', 'first late event');
      const second = late('2026-04-02T09:00:00.000Z', 'second late event');

      expect(await store.appendHistoryOnce(record.order_id, e1, first)).toEqual({ applied: true });
      const afterFirst = await store.get(record.order_id);
      expect(afterFirst?.history).toHaveLength(record.history.length + 1);

      expect(await store.appendHistoryOnce(record.order_id, e1, first)).toEqual({ applied: false });
      // A retry with another time and wording (a later attempt of the same activity) is still the same event.
      expect(await store.appendHistoryOnce(record.order_id, e1, late('2026-04-02T08:00:05.000Z', 'retried'))).toEqual({
        applied: false,
      });
      expect(await store.get(record.order_id)).toStrictEqual(afterFirst);

      expect(await store.appendHistoryOnce(record.order_id, e2, second)).toEqual({ applied: true });
      expect(await store.get(record.order_id)).toStrictEqual({
        ...record,
        updated_at: second.at,
        history: [
          ...record.history,
          { status: 'FORWARDED', at: first.at, reason: first.reason },
          { status: 'FORWARDED', at: second.at, reason: second.reason },
        ],
      });
    });

    it('moves the revision one past the stored one, so a retried save of the workflow\'s last write is refused', async () => {
      const record = await closedOrder();
      const entry = late('2026-04-02T08:00:00.000Z', 'late commerce webhook after the order closed: ignored');
      expect(await store.appendHistoryOnce(record.order_id, ids.event(), entry)).toEqual({ applied: true });
      const appended = await store.get(record.order_id);
      expect(appended?.history.at(-1)).toStrictEqual({ status: 'FORWARDED', ...entry });

      // The workflow's last save, retried or reordered after the late event: the monotonic guard still holds.
      expect(await store.save(record, LAST_REVISION)).toEqual({ applied: false, closedAs: 'FORWARDED' });
      expect(await store.save({ ...record, status: 'FORWARDING' }, LAST_REVISION - 1)).toEqual({ applied: false, closedAs: 'FORWARDED' });
      expect(await store.get(record.order_id)).toStrictEqual(appended);
      // Exactly one past it: the bumped revision is now the stored one, and only a newer write replaces it.
      expect(await store.save(record, LAST_REVISION + 1)).toEqual({ applied: false, closedAs: 'FORWARDED' });
      expect(await store.get(record.order_id)).toStrictEqual(appended);
      expect(await store.save(record, LAST_REVISION + 2)).toEqual({ applied: true, closedAs: 'FORWARDED' });
      expect(await store.get(record.order_id)).toStrictEqual(record);
    });

    it('is not applied to an order without a record, and creates none', async () => {
      const orderId = ids.order();
      const entry = late('2026-04-02T08:00:00.000Z', 'late event of an unknown order');
      expect(await store.appendHistoryOnce(orderId, ids.event(), entry)).toEqual({ applied: false });
      expect(await store.get(orderId)).toBeUndefined();
    });

    it('does not use up the eventId of an event that found no record: recorded once the record exists', async () => {
      const record = fullRecord(ids.order(), ids.customer());
      const eventId = ids.event();
      const entry = late('2026-04-02T08:00:00.000Z', 'late event that came before its record');
      expect(await store.appendHistoryOnce(record.order_id, eventId, entry)).toEqual({ applied: false });
      expect(await store.get(record.order_id)).toBeUndefined();

      // Nothing was appended, so nothing may count as done: the event is recorded when it is retried.
      expect(await store.save(record, LAST_REVISION)).toEqual({ applied: true, closedAs: null });
      expect(await store.appendHistoryOnce(record.order_id, eventId, entry)).toEqual({ applied: true });
      expect((await store.get(record.order_id))?.history.at(-1)).toStrictEqual({ status: 'FORWARDED', ...entry });
    });

    it('rejects an offset-less time before writing, without using up the eventId', async () => {
      const record = await closedOrder();
      const eventId = ids.event();
      await expect(store.appendHistoryOnce(record.order_id, eventId, late('2026-04-02 08:00:00', 'no offset'))).rejects.toThrow();
      expect(await store.get(record.order_id)).toStrictEqual(record);
      expect(await store.appendHistoryOnce(record.order_id, eventId, late('2026-04-02T08:00:00Z', 'with offset'))).toEqual({
        applied: true,
      });
    });

    it('appends exactly once when one eventId is recorded 10 times at the same moment', async () => {
      const record = await closedOrder();
      const eventId = ids.event();
      const entry = late('2026-04-02T08:00:00.000Z', 'late capture delivered in a burst');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.appendHistoryOnce(record.order_id, eventId, entry)),
      );
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      expect(await store.get(record.order_id)).toStrictEqual({
        ...record,
        updated_at: entry.at,
        history: [...record.history, { status: 'FORWARDED', ...entry }],
      });
      // One append, one revision step: LAST_REVISION + 1 is taken, + 2 is not.
      expect(await store.save(record, LAST_REVISION + 1)).toEqual({ applied: false, closedAs: 'FORWARDED' });
      expect(await store.save(record, LAST_REVISION + 2)).toEqual({ applied: true, closedAs: 'FORWARDED' });
    });

    it('loses no entry when 10 different events are recorded on one order at the same moment', async () => {
      const record = await closedOrder();
      const entries = Array.from({ length: 10 }, (_, i) => ({
        eventId: ids.event(),
        entry: late(new Date(Date.UTC(2026, 3, 2, 8, i)).toISOString(), `late event ${i}`),
      }));
      const results = await Promise.all(
        entries.map(({ eventId, entry }) => store.appendHistoryOnce(record.order_id, eventId, entry)),
      );
      expect(results.every((r) => r.applied)).toBe(true);

      const read = await store.get(record.order_id);
      const appended = read?.history.slice(record.history.length) ?? [];
      expect(read?.history.slice(0, record.history.length)).toStrictEqual(record.history);
      // Concurrent appends land in any order, but each exactly once.
      expect([...appended].sort((x, y) => x.at.localeCompare(y.at))).toStrictEqual(
        entries.map(({ entry }) => ({ status: 'FORWARDED', ...entry })),
      );
      expect(read?.updated_at).toBe(appended.at(-1)?.at);
      // Ten appends moved the revision ten past the workflow's last write.
      expect(await store.save(record, LAST_REVISION + 10)).toEqual({ applied: false, closedAs: 'FORWARDED' });
      expect(await store.save(record, LAST_REVISION + 11)).toEqual({ applied: true, closedAs: 'FORWARDED' });
    });

    it('leaves a record that still parses as a DashboardRecord and is still listed for its customer', async () => {
      const record = await closedOrder();
      const entry = late('2026-04-02T08:00:00.000Z', 'late commerce webhook after the order closed: ignored');
      expect(await store.appendHistoryOnce(record.order_id, ids.event(), entry)).toEqual({ applied: true });

      const read = await store.get(record.order_id);
      expect(read).toBeDefined();
      expect(DashboardRecord.parse(read)).toStrictEqual(read);
      expect(await store.listByCustomer(record.customer_id)).toStrictEqual([read]);
      expect(read?.history.at(-1)).toStrictEqual({ status: 'FORWARDED', ...entry });
    });
  });

  // A closed order stays closed for ever (contract §6), not only while Temporal keeps its closed run: a late event
  // after retention starts a new run, whose saves must neither reopen the order nor go unnoticed (closedAs).
  describe('closure', () => {
    /** Revisions as the workflow makes them: the run's start in epoch ms × 1000 + its write counter. */
    const RUN_A = Date.UTC(2026, 2, 1) * 1000;
    const RUN_B = Date.UTC(2026, 5, 1) * 1000;
    const NON_TERMINAL = OrderStatus.options.filter((s) => !isTerminal(s));

    it('writes the closure mark with the first terminal save and reports it as closedAs from then on, unchanged', async () => {
      const closes: Array<[TerminalStatus, TerminalStatus]> = [
        ['FORWARDED', 'CANCELLED'],
        ['CANCELLED', 'EXPIRED'],
        ['EXPIRED', 'FORWARDED'],
      ];
      for (const [first, later] of closes) {
        const orderId = ids.order();
        const customerId = ids.customer();
        const at = (status: OrderStatus, reason: string | null = null) =>
          makeRecord({ order_id: orderId, customer_id: customerId, status, status_reason: reason });

        expect(await store.save(at('VALIDATING'), RUN_A + 1)).toEqual({ applied: true, closedAs: null });
        // closedAs is the mark before this save: the closing save itself still sees the order open.
        expect(await store.save(at(first), RUN_A + 2)).toEqual({ applied: true, closedAs: null });
        expect(await store.save(at(first, 'refunded rrn-1'), RUN_A + 3)).toEqual({ applied: true, closedAs: first });
        // Another terminal record applies, but the mark keeps the status the order first closed as.
        expect(await store.save(at(later), RUN_A + 4)).toEqual({ applied: true, closedAs: first });
        expect((await store.get(orderId))?.status).toBe(later);
        expect(await store.save(at(later, 'note'), RUN_A + 5)).toEqual({ applied: true, closedAs: first });
        expect(await store.save(at('VALIDATING'), RUN_B + 1)).toEqual({ applied: false, closedAs: first });
      }
    });

    it('writes the mark when the very first save of an order is terminal (payment came, no order ever did)', async () => {
      const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'EXPIRED' });
      expect(await store.save(record, RUN_A + 1)).toEqual({ applied: true, closedAs: null });
      expect(await store.save({ ...record, status: 'AWAITING_ORDER' }, RUN_B + 1)).toEqual({ applied: false, closedAs: 'EXPIRED' });
      expect(await store.get(record.order_id)).toStrictEqual(record);
    });

    it('refuses a non-terminal record after a terminal one whatever its revision, also from a new run with a much larger revision base', async () => {
      const orderId = ids.order();
      const customerId = ids.customer();
      const cancelled = makeRecord({ order_id: orderId, customer_id: customerId, status: 'CANCELLED', status_reason: 'payment_not_captured' });
      await store.save(makeRecord({ order_id: orderId, customer_id: customerId, status: 'AWAITING_PAYMENT' }), RUN_A + 1);
      expect(await store.save(cancelled, RUN_A + 2)).toEqual({ applied: true, closedAs: null });

      // The closing run's own later write, and every open status from a new run started long after retention.
      expect(await store.save({ ...cancelled, status: 'AWAITING_PAYMENT' }, RUN_A + 3)).toEqual({ applied: false, closedAs: 'CANCELLED' });
      for (const [i, status] of NON_TERMINAL.entries()) {
        const reopened = makeRecord({ order_id: orderId, customer_id: customerId, status, history: [{ status, at: '2026-06-01T00:00:00.000Z' }] });
        expect(await store.save(reopened, RUN_B + 1 + i), status).toEqual({ applied: false, closedAs: 'CANCELLED' });
      }
      expect(await store.save(makeRecord({ order_id: orderId, customer_id: customerId }), Number.MAX_SAFE_INTEGER)).toEqual({
        applied: false,
        closedAs: 'CANCELLED',
      });
      expect(await store.get(orderId)).toStrictEqual(cancelled);
      expect((await store.listByStatus('VALIDATING', { limit: MAX_LIST_LIMIT })).some((r) => r.order_id === orderId)).toBe(false);
    });

    it('applies a terminal save with a higher revision after the close (the closing run\'s notes), never an older or equal one', async () => {
      const orderId = ids.order();
      const customerId = ids.customer();
      const expired = (reason: string) => makeRecord({ order_id: orderId, customer_id: customerId, status: 'EXPIRED', status_reason: reason });
      expect(await store.save(expired('order_ttl_elapsed'), RUN_A + 10)).toEqual({ applied: true, closedAs: null });
      expect(await store.save(expired('order_ttl_elapsed; refunded 500 cents'), RUN_A + 11)).toEqual({ applied: true, closedAs: 'EXPIRED' });
      expect(await store.save(expired('retried older write'), RUN_A + 11)).toEqual({ applied: false, closedAs: 'EXPIRED' });
      expect(await store.save(expired('reordered older write'), RUN_A + 10)).toEqual({ applied: false, closedAs: 'EXPIRED' });
      expect((await store.get(orderId))?.status_reason).toBe('order_ttl_elapsed; refunded 500 cents');
    });

    it('lets the closing save replace an open row that a later run wrote with a higher revision (closing wins)', async () => {
      const orderId = ids.order();
      const customerId = ids.customer();
      await store.save(makeRecord({ order_id: orderId, customer_id: customerId, status: 'AWAITING_PAYMENT' }), RUN_A + 1);
      // A new run's write landed before the old run's closing one (they raced).
      expect(await store.save(makeRecord({ order_id: orderId, customer_id: customerId, status: 'VALIDATING' }), RUN_B + 1)).toEqual({
        applied: true,
        closedAs: null,
      });
      const cancelled = makeRecord({ order_id: orderId, customer_id: customerId, status: 'CANCELLED' });
      expect(await store.save(cancelled, RUN_A + 2)).toEqual({ applied: true, closedAs: null });
      expect(await store.get(orderId)).toStrictEqual(cancelled);
      expect(await store.save(makeRecord({ order_id: orderId, customer_id: customerId, status: 'VALIDATING' }), RUN_B + 2)).toEqual({
        applied: false,
        closedAs: 'CANCELLED',
      });
      // The closing run's revisions still count: its next note applies.
      expect(await store.save({ ...cancelled, status_reason: 'refunded' }, RUN_A + 3)).toEqual({ applied: true, closedAs: 'CANCELLED' });
    });

    it('never ends open when terminal and non-terminal saves of one order race, whichever revision is higher', async () => {
      for (let round = 0; round < 10; round += 1) {
        // Twenty orders at once: half have an open row already (the update path), half none yet (the insert path).
        const orders = Array.from({ length: 20 }, (_, i) => ({ orderId: ids.order(), customerId: ids.customer(), existing: i % 2 === 0 }));
        await Promise.all(
          orders
            .filter((o) => o.existing)
            .map((o) => store.save(makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'AWAITING_PAYMENT' }), RUN_A + 1)),
        );
        const writes = shuffle(
          orders.flatMap((o) => [
            { o, terminal: true, record: makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'CANCELLED' }), revision: RUN_A + 2 },
            // The old run's own reordered write, and two writes of a new run (higher revisions).
            { o, terminal: false, record: makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'VALIDATING' }), revision: RUN_A + 3 },
            { o, terminal: false, record: makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'VALIDATING' }), revision: RUN_B + 1 },
            { o, terminal: false, record: makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'AWAITING_PAYMENT' }), revision: RUN_B + 2 },
          ]),
        );
        const results = await Promise.all(writes.map((w) => store.save(w.record, w.revision).then((r) => ({ ...w, ...r }))));

        for (const { orderId } of orders) {
          expect((await store.get(orderId))?.status, `round ${round}, ${orderId}`).toBe('CANCELLED');
          expect(results.find((r) => r.o.orderId === orderId && r.terminal)?.applied, `round ${round}: closing wins`).toBe(true);
        }
        // No save reports a mark that was not there: only a save ordered after the close sees it.
        expect(results.every((r) => r.closedAs === null || (r.closedAs === 'CANCELLED' && !r.applied))).toBe(true);
        const after = await Promise.all(
          orders.map((o) => store.save(makeRecord({ order_id: o.orderId, customer_id: o.customerId, status: 'VALIDATING' }), RUN_B + 3)),
        );
        expect(after).toStrictEqual(orders.map(() => ({ applied: false, closedAs: 'CANCELLED' })));
      }
    });

    it(
      'backfills marks for orders closed before marks existed, and the mark alone keeps an order closed',
      async () => {
        const own = await engine.newSpace();
        try {
          const customerId = ids.customer();
          const [forwarded, expired, open, parked] = [ids.order(), ids.order(), ids.order(), ids.order()];
          const legacy = (orderId: string, status: OrderStatus, updatedAt: string) => {
            // Written by the release before parked_steps existed: the key is absent from the stored JSON.
            const { parked_steps: _absent, ...record } = makeRecord({ order_id: orderId, customer_id: customerId, status, updated_at: updatedAt });
            return record;
          };
          const rows: Array<[ReturnType<typeof legacy>, number]> = [
            [legacy(forwarded, 'FORWARDED', '2026-03-02T10:00:00.000Z'), 5],
            [legacy(expired, 'EXPIRED', '2026-03-03T10:00:00.000+02:00'), 9],
            [legacy(open, 'AWAITING_PAYMENT', '2026-03-04T10:00:00.000Z'), 3],
            [legacy(parked, 'PARKED', '2026-03-05T10:00:00.000Z'), 4],
          ];
          const raw = await openSqlClient(own.options);
          try {
            await raw.exec(PRE_CLOSURE_SCHEMA_SQL);
            for (const [r, revision] of rows) {
              await raw.query(
                `INSERT INTO dashboard_orders (order_id, customer_id, status, revision, submitted_at, updated_at, record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
                [r.order_id, r.customer_id, r.status, revision, r.submitted_at, r.updated_at, JSON.stringify(r)],
              );
            }
          } finally {
            await raw.close();
          }

          const first = await openDashboardStore(own.options);
          try {
            expect(await first.get(forwarded)).toStrictEqual({ ...rows[0]?.[0], parked_steps: [] });
            expect(await first.save(makeRecord({ order_id: forwarded, customer_id: customerId }), RUN_B + 1)).toEqual({
              applied: false,
              closedAs: 'FORWARDED',
            });
            expect(await first.save(makeRecord({ order_id: open, customer_id: customerId }), 4)).toEqual({ applied: true, closedAs: null });
            // A row in the PARKED status from before the flag existed is still in the support queue.
            expect((await first.listByStatus('PARKED')).map((r) => r.order_id)).toStrictEqual([parked]);
            expect(await first.countParked()).toBe(1);
          } finally {
            await first.close();
          }
          // Applying the schema again changes nothing.
          await (await openDashboardStore(own.options)).close();

          const check = await openSqlClient(own.options);
          try {
            const marks = await check.query<{ order_id: string; status: string; closed_at: Date }>(
              'SELECT order_id, status, closed_at FROM order_closures ORDER BY order_id',
            );
            expect(marks).toStrictEqual([
              { order_id: forwarded, status: 'FORWARDED', closed_at: new Date('2026-03-02T10:00:00.000Z') },
              { order_id: expired, status: 'EXPIRED', closed_at: new Date('2026-03-03T08:00:00.000Z') },
            ]);
            // The row is gone (restored from an old backup, cleaned up by hand): the mark still holds.
            await check.query('DELETE FROM dashboard_orders WHERE order_id = $1', [forwarded]);
          } finally {
            await check.close();
          }
          const second = await openDashboardStore(own.options);
          try {
            expect(await second.save(makeRecord({ order_id: forwarded, customer_id: customerId }), RUN_B + 2)).toEqual({
              applied: false,
              closedAs: 'FORWARDED',
            });
            expect(await second.get(forwarded)).toBeUndefined();
            const restored = makeRecord({ order_id: forwarded, customer_id: customerId, status: 'FORWARDED' });
            expect(await second.save(restored, RUN_B + 3)).toEqual({ applied: true, closedAs: 'FORWARDED' });
            expect(await second.get(forwarded)).toStrictEqual(restored);
          } finally {
            await second.close();
          }
        } finally {
          await own.dispose();
        }
      },
      SETUP_TIMEOUT_MS,
    );
  });

  // Parked steps sit beside the business status (a CANCELLED order whose refund keeps failing stays CANCELLED);
  // the support queue GET /v1/support/orders?status=PARKED lists every order with one.
  describe('parked steps', () => {
    const step = (name: string, error = 'payment api answered 503', since = '2026-04-01T08:00:00.000Z'): ParkedStep => ({
      step: name,
      error,
      since,
    });

    it('lists every order with a parked step in the PARKED queue, whatever its status, oldest first, and counts them', async () => {
      const customerId = ids.customer();
      const [refundFailing, enrichFailing, parkedStatus, cancelledFine] = [ids.order(), ids.order(), ids.order(), ids.order()];
      const before = await store.countParked();
      // Older than anything else the suite writes, so these lead the shared queue.
      const cancelled = makeRecord({
        order_id: refundFailing,
        customer_id: customerId,
        status: 'CANCELLED',
        submitted_at: '1999-01-02T00:00:00.000Z',
        parked_steps: [step('refund')],
      });
      await store.save(cancelled, 1);
      await store.save(
        makeRecord({ order_id: enrichFailing, customer_id: customerId, status: 'ENRICHING', submitted_at: '1999-01-01T00:00:00.000Z', parked_steps: [step('enrich')] }),
        1,
      );
      await store.save(
        makeRecord({ order_id: parkedStatus, customer_id: customerId, status: 'PARKED', submitted_at: '1999-01-02T00:00:00.000Z', parked_steps: [step('forward')] }),
        1,
      );
      await store.save(makeRecord({ order_id: cancelledFine, customer_id: customerId, status: 'CANCELLED', submitted_at: '1998-12-31T00:00:00.000Z' }), 1);

      expect((await store.listByStatus('PARKED', { limit: 3 })).map((r) => r.order_id)).toStrictEqual([enrichFailing, refundFailing, parkedStatus]);
      const queue = await store.listByStatus('PARKED', { limit: MAX_LIST_LIMIT });
      expect(queue.every((r) => r.parked_steps.length > 0 || r.status === 'PARKED')).toBe(true);
      expect(isSortedAscending(queue)).toBe(true);
      expect(queue.some((r) => r.order_id === cancelledFine)).toBe(false);
      expect(await store.countParked()).toBe(before + 3);
      // The business status is unchanged: the parked order is in its status queue too.
      const cancelledQueue = (await store.listByStatus('CANCELLED', { limit: MAX_LIST_LIMIT })).map((r) => r.order_id);
      expect(cancelledQueue.slice(0, 2)).toStrictEqual([cancelledFine, refundFailing]);

      // The refund went through: the closing run's next note carries no parked step, and the order leaves the queue.
      expect(await store.save({ ...cancelled, parked_steps: [], status_reason: 'refunded' }, 2)).toEqual({ applied: true, closedAs: 'CANCELLED' });
      expect((await store.listByStatus('PARKED', { limit: 3 })).map((r) => r.order_id)).toStrictEqual([enrichFailing, parkedStatus]);
      expect(await store.countParked()).toBe(before + 2);
    });

    it('markParked sets, replaces in place and clears a step, keeps the status, and moves the revision one past the stored one', async () => {
      const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'CANCELLED', submitted_at: '1999-02-01T00:00:00.000Z' });
      expect(await store.save(record, 7)).toEqual({ applied: true, closedAs: null });
      const before = await store.countParked();
      const startedAt = Date.now();

      expect(await store.markParked(record.order_id, 'refund', step('refund'))).toEqual({ applied: true });
      const marked = await store.get(record.order_id);
      expect(marked).toStrictEqual({ ...record, parked_steps: [step('refund')], updated_at: marked?.updated_at });
      expect(Date.parse(marked?.updated_at ?? '')).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(await store.countParked()).toBe(before + 1);
      expect((await store.listByStatus('PARKED', { limit: MAX_LIST_LIMIT })).some((r) => r.order_id === record.order_id)).toBe(true);

      await store.markParked(record.order_id, 'notify', step('notify', 'smtp down'));
      // The next failure of the same step replaces its entry where it stands.
      await store.markParked(record.order_id, 'refund', step('refund', 'payment api answered 500'));
      expect((await store.get(record.order_id))?.parked_steps).toStrictEqual([step('refund', 'payment api answered 500'), step('notify', 'smtp down')]);

      expect(await store.markParked(record.order_id, 'refund', null)).toEqual({ applied: true });
      expect((await store.get(record.order_id))?.parked_steps).toStrictEqual([step('notify', 'smtp down')]);
      expect(await store.countParked()).toBe(before + 1);
      expect(await store.markParked(record.order_id, 'notify', null)).toEqual({ applied: true });
      // Clearing a step that is not there is harmless.
      expect(await store.markParked(record.order_id, 'notify', null)).toEqual({ applied: true });
      const cleared = await store.get(record.order_id);
      expect(cleared?.parked_steps).toStrictEqual([]);
      expect(cleared?.status).toBe('CANCELLED');
      expect(cleared?.history).toStrictEqual(record.history);
      expect(await store.countParked()).toBe(before);
      expect((await store.listByStatus('PARKED', { limit: MAX_LIST_LIMIT })).some((r) => r.order_id === record.order_id)).toBe(false);

      // Six marks: a retried save of the closing run's revisions 8…13 is refused, 14 is newer.
      expect(await store.save(record, 13)).toEqual({ applied: false, closedAs: 'CANCELLED' });
      expect(await store.get(record.order_id)).toStrictEqual(cleared);
      expect(await store.save(record, 14)).toEqual({ applied: true, closedAs: 'CANCELLED' });
    });

    it('markParked keeps both steps when two are marked on one order at the same moment, ten times over', async () => {
      const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'EXPIRED' });
      await store.save(record, 1);
      const names = Array.from({ length: 10 }, (_, i) => `step-${i}`);
      const results = await Promise.all(names.map((name) => store.markParked(record.order_id, name, step(name))));
      expect(results.every((r) => r.applied)).toBe(true);
      const read = await store.get(record.order_id);
      expect([...(read?.parked_steps ?? [])].sort((a, b) => a.step.localeCompare(b.step))).toStrictEqual(names.map((n) => step(n)));

      await Promise.all(names.map((name) => store.markParked(record.order_id, name, null)));
      expect((await store.get(record.order_id))?.parked_steps).toStrictEqual([]);
      // Twenty marks, twenty revision steps.
      expect(await store.save(record, 21)).toEqual({ applied: false, closedAs: 'EXPIRED' });
      expect(await store.save(record, 22)).toEqual({ applied: true, closedAs: 'EXPIRED' });
    });

    it('markParked never moves updated_at back when the record carries a later time', async () => {
      const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'CANCELLED', updated_at: '2099-01-01T00:00:00.000Z' });
      await store.save(record, 1);
      await store.markParked(record.order_id, 'refund', step('refund'));
      expect(await store.get(record.order_id)).toStrictEqual({ ...record, parked_steps: [step('refund')] });
    });

    it('markParked is not applied to an order without a record and creates none', async () => {
      const orderId = ids.order();
      const before = await store.countParked();
      expect(await store.markParked(orderId, 'refund', step('refund'))).toEqual({ applied: false });
      expect(await store.markParked(orderId, 'refund', null)).toEqual({ applied: false });
      expect(await store.get(orderId)).toBeUndefined();
      expect(await store.countParked()).toBe(before);
    });

    it('markParked rejects an entry named after another step before writing', async () => {
      const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'CANCELLED' });
      await store.save(record, 1);
      await expect(store.markParked(record.order_id, 'refund', step('notify'))).rejects.toThrow(RangeError);
      await expect(store.markParked(record.order_id, 'refund', { step: 'refund' } as unknown as ParkedStep)).rejects.toThrow();
      expect(await store.get(record.order_id)).toStrictEqual(record);
    });
  });

  it('keeps revisions of runStartEpochMs * 1000 + n exact, through the late-event and parked-step bumps too', async () => {
    const base = Date.UTC(2026, 2, 1, 12, 34, 56, 789) * 1000;
    expect(Number.isSafeInteger(base + 1000)).toBe(true);
    const record = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'FORWARDED' });

    expect(await store.save(record, base + 1)).toEqual({ applied: true, closedAs: null });
    // Neighbouring revisions stay apart: nothing rounds them through a double or a 32-bit integer.
    expect(await store.save(record, base + 1)).toEqual({ applied: false, closedAs: 'FORWARDED' });
    expect(await store.save(record, base + 2)).toEqual({ applied: true, closedAs: 'FORWARDED' });
    expect(await store.appendHistoryOnce(record.order_id, ids.event(), { at: '2026-04-02T08:00:00.000Z', reason: 'late' })).toEqual({ applied: true });
    expect(await store.save(record, base + 3)).toEqual({ applied: false, closedAs: 'FORWARDED' });
    expect(await store.markParked(record.order_id, 'refund', { step: 'refund', error: 'down', since: '2026-04-02T08:00:00.000Z' })).toEqual({ applied: true });
    expect(await store.save(record, base + 4)).toEqual({ applied: false, closedAs: 'FORWARDED' });
    expect(await store.save(record, base + 5)).toEqual({ applied: true, closedAs: 'FORWARDED' });
    expect(await store.get(record.order_id)).toStrictEqual(record);

    // Up to the last safe integer, the bump included.
    const top = makeRecord({ order_id: ids.order(), customer_id: ids.customer(), status: 'CANCELLED' });
    await store.save(top, Number.MAX_SAFE_INTEGER - 2);
    await store.appendHistoryOnce(top.order_id, ids.event(), { at: '2026-04-02T08:00:00.000Z', reason: 'late' });
    expect(await store.save(top, Number.MAX_SAFE_INTEGER - 1)).toEqual({ applied: false, closedAs: 'CANCELLED' });
    expect(await store.save(top, Number.MAX_SAFE_INTEGER)).toEqual({ applied: true, closedAs: 'CANCELLED' });
    await expect(store.save(top, Number.MAX_SAFE_INTEGER + 1)).rejects.toThrow(RangeError);
  });

  it(
    'hands back the same JS values as the other engine (the SqlClient contract)',
    async () => {
      const own = await engine.newSpace();
      const client = await openSqlClient(own.options);
      try {
        const [row] = await client.query<Record<string, unknown>>(
          `SELECT $1::jsonb AS j, $2::timestamptz AS t, 5::int8 AS small, 9007199254740993::int8 AS big,
                  1.50::numeric AS n, 7::int4 AS i, NULL::text AS nothing`,
          [JSON.stringify([{ a: 1 }, 'x']), '2026-03-01T12:00:00.123+02:00'],
        );
        expect(row).toStrictEqual({
          j: [{ a: 1 }, 'x'],
          t: new Date('2026-03-01T10:00:00.123Z'),
          small: 5,
          big: 9007199254740993n,
          n: '1.50',
          i: 7,
          nothing: null,
        });
        // A plain table in the space: a pool gives no session affinity, so TEMP tables are not part of the contract.
        await client.exec('CREATE TABLE parity_probe (x int); INSERT INTO parity_probe VALUES (1), (2)');
        await expect(client.exec('INSERT INTO parity_probe VALUES (3); SELECT 1 / 0')).rejects.toThrow(/division by zero/);
        // The failed script was one transaction: its first statement was rolled back with it.
        expect(await client.query<{ c: number }>('SELECT count(*)::int AS c FROM parity_probe')).toStrictEqual([{ c: 2 }]);
      } finally {
        await client.close();
        await own.dispose();
      }
    },
    SETUP_TIMEOUT_MS,
  );

  it(
    'keeps data across close and reopen, applies the schema again harmlessly, and refuses queries once closed',
    async () => {
      const own = await engine.newSpace();
      try {
        const record = fullRecord(ids.order(), ids.customer());
        const first = await openDashboardStore(own.options);
        await first.save(record, 5);
        await first.close();
        await first.close();
        await expect(first.ping()).rejects.toThrow();

        const second = await openDashboardStore(own.options);
        try {
          expect(await second.get(record.order_id)).toStrictEqual(record);
          expect((await second.listByCustomer(record.customer_id)).map((r) => r.order_id)).toStrictEqual([
            record.order_id,
          ]);
          // The revision survived too: an older write is still refused after the restart.
          expect(await second.save({ ...record, status: 'VALIDATING' }, 4)).toEqual({ applied: false, closedAs: 'FORWARDED' });
        } finally {
          await second.close();
        }
      } finally {
        await own.dispose();
      }
    },
    SETUP_TIMEOUT_MS,
  );
});

// Worker and gateway start together against one server: concurrent CREATE … IF NOT EXISTS alone fails there.
describe('PostgreSQL schema setup', () => {
  if (!engineAvailable(postgres)) return;

  it('lets several stores open a fresh database at the same moment, inside the schema search_path names', async () => {
    const space = await newPgSpace();
    try {
      const stores = await Promise.all(Array.from({ length: 6 }, () => openDashboardStore(space.options)));
      await Promise.all(stores.map((s) => s.ping()));
      await Promise.all(stores.map((s) => s.close()));
      // Not in public: the isolation every PostgreSQL test relies on is real.
      expect(await space.locateTable()).toBe(space.tableName);
    } finally {
      await space.dispose();
    }
  });
});

// PGlite does not lock its data dir, and two instances on one dir corrupt it; the adapter's lock file guards that.
describe('PGlite data dir ownership', () => {
  it(
    'refuses a second open of the same dir, allows it after close, and takes over the lock of a dead process',
    async () => {
      const space = await pglite.newSpace();
      try {
        const first = await openDashboardStore(space.options);
        await expect(openDashboardStore(space.options)).rejects.toBeInstanceOf(DataDirLockedError);
        await first.close();

        const lockPath = `${space.options.dataDir}.lock`;
        await expect(stat(lockPath)).rejects.toThrow();
        await writeFile(lockPath, '2147483646\n'); // above any pid_max: that process cannot exist
        const second = await openDashboardStore(space.options);
        expect((await readFile(lockPath, 'utf8')).trim()).toBe(String(process.pid));
        await second.ping();
        await second.close();
      } finally {
        await space.dispose();
      }
    },
    SETUP_TIMEOUT_MS,
  );
});

/** The store's table as the release before closure marks and the parked flag created it (the upgrade tests). */
const PRE_CLOSURE_SCHEMA_SQL = `
CREATE TABLE dashboard_orders (
  order_id     text COLLATE "C" PRIMARY KEY,
  customer_id  text COLLATE "C" NOT NULL,
  status       text COLLATE "C" NOT NULL,
  revision     bigint           NOT NULL CHECK (revision >= 0),
  submitted_at timestamptz      NOT NULL,
  updated_at   timestamptz      NOT NULL,
  record       jsonb            NOT NULL
);
CREATE INDEX dashboard_orders_status_submitted_idx ON dashboard_orders (status, submitted_at, order_id);
`;

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Unique ids per run: a reused PostgreSQL database or a rerun never collides with older rows. */
function idFactory(): { order(): string; customer(): string; rrn(): string; event(): string } {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  // Zero-padded and increasing: orders that share a submitted_at have a known tie order.
  const next = (): string => String((n += 1)).padStart(5, '0');
  return {
    order: () => `ord-${run}-${next()}`,
    customer: () => `cus-${run}-${next()}`,
    rrn: () => `rrn-${run}-${next()}`,
    event: () => `evt-${run}-${next()}`,
  };
}


/** Every field of the contract populated, optional ones both present and absent, awkward characters included. */
function fullRecord(orderId: string, customerId: string): DashboardRecord {
  return makeRecord({
    order_id: orderId,
    customer_id: customerId,
    status: 'FORWARDED',
    status_reason: 'forwarded to fulfillment — "ok" \\ ✓ Zoë',
    items: [
      { item_id: 'item-a', quantity: 2, sku_id: 'SKU-A', brand_code: 'BR-1' },
      { item_id: 'item-b', quantity: 1 },
      { item_id: 'item-c', quantity: 3, sku_id: 'SKU-C' },
    ],
    payment: { rrn: 'rrn-000123', amount_cents: 129_99, captured_at: '2026-03-01T10:05:00.123Z' },
    validation_errors: [
      { code: 'quantity_mismatch', item_id: 'item-a', detail: 'webhook 3, commerce 2' },
      { code: 'customer_mismatch', detail: 'customer differs' },
    ],
    submitted_at: '2026-03-01T10:00:00.000Z',
    expires_at: '2026-03-31T10:00:00.000Z',
    updated_at: '2026-03-01T10:06:00.000Z',
    history: [
      { status: 'VALIDATING', at: '2026-03-01T10:00:00.000Z' },
      { status: 'NEEDS_CORRECTION', at: '2026-03-01T10:01:00.000Z', reason: 'quantity_mismatch' },
      { status: 'AWAITING_PAYMENT', at: '2026-03-01T10:04:00.000Z' },
      { status: 'FORWARDED', at: '2026-03-01T10:06:00.000Z' },
    ],
  });
}

function isSortedAscending(records: readonly DashboardRecord[]): boolean {
  return records.every((r, i) => {
    const prev = records[i - 1];
    if (prev === undefined) return true;
    const a = Date.parse(prev.submitted_at);
    const b = Date.parse(r.submitted_at);
    return a < b || (a === b && prev.order_id < r.order_id);
  });
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) throw new Error('unreachable');
    out[i] = b;
    out[j] = a;
  }
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
