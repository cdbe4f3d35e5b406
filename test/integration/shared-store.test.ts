// The embedded store that `npm start` shares between its processes (dev/stack/shared-store.ts): PGlite served over
// the Postgres wire protocol to several pg Pools at once. Each client must see what it would on PostgreSQL: its own
// statement's answer, whole transactions of others, nothing left behind by a client that vanished mid-transaction.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSharedStore, type SharedStore } from '../../dev/stack/shared-store';
import { openDashboardStore } from '../../src/store/dashboard-store';
import { makeRecord } from '../helpers/fixtures';
import { DataDirLockedError } from '../../src/store/sql-client';

let base: string;
let dataDir: string;
let store: SharedStore;
const pools: pg.Pool[] = [];

function pool(max = 5): pg.Pool {
  const p = new pg.Pool({ connectionString: store.databaseUrl, max });
  p.on('error', () => undefined); // idle connections are dropped when the store stops
  pools.push(p);
  return p;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'oms-shared-store-'));
  dataDir = join(base, 'data', 'dashboard');
  store = await startSharedStore({ dataDir });
  await pool(1).query('CREATE TABLE t (id text PRIMARY KEY, n int NOT NULL, body jsonb NOT NULL)');
}, 60_000);

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

afterAll(async () => {
  await store?.stop();
  await rm(base, { recursive: true, force: true });
});

describe('the shared embedded store', () => {
  it('listens on 127.0.0.1 only, as a postgres:// URL', () => {
    expect(store.databaseUrl).toBe(`postgres://postgres@127.0.0.1:${store.port}/postgres`);
  });

  it('answers every client its own statement while three pools of five connections write and read at once', async () => {
    const clients = [pool(), pool(), pool()];
    // Large bodies too: a message split over several TCP reads must still run as one unit.
    const sizes = [10, 3_000, 200_000];
    const outcomes = await Promise.all(
      clients.flatMap((p, pi) =>
        Array.from({ length: 5 }, async (_, ci) => {
          let wrong = 0;
          for (let i = 0; i < 40; i += 1) {
            const id = `p${pi}-c${ci}-${i}`;
            const body = { id, pad: 'x'.repeat(sizes[i % sizes.length] ?? 0) };
            await p.query('INSERT INTO t (id, n, body) VALUES ($1, $2, $3::jsonb)', [id, i, JSON.stringify(body)]);
            const [row] = (await p.query<{ n: number; body: { id: string; pad: string } }>('SELECT n, body FROM t WHERE id = $1', [id])).rows;
            if (row?.n !== i || row.body.id !== id || row.body.pad.length !== body.pad.length) wrong += 1;
            const [sum] = (await p.query<{ s: number }>('SELECT $1::int + $2::int AS s', [i, pi])).rows;
            if (sum?.s !== i + pi) wrong += 1;
          }
          return wrong;
        }),
      ),
    );
    expect(outcomes).toEqual(Array.from({ length: 15 }, () => 0));
    expect((await clients[0]?.query<{ c: string }>("SELECT count(*)::int AS c FROM t WHERE id LIKE 'p%'"))?.rows[0]).toEqual({ c: 600 });
  }, 120_000);

  it("never runs another client's statement inside an open transaction: it waits for the transaction's end", async () => {
    const a = new pg.Client({ connectionString: store.databaseUrl });
    const b = new pg.Client({ connectionString: store.databaseUrl });
    await Promise.all([a.connect(), b.connect()]);
    const count = async (id: string) => (await b.query<{ c: number }>('SELECT count(*)::int AS c FROM t WHERE id = $1', [id])).rows[0]?.c;
    try {
      await a.query('BEGIN');
      await a.query("INSERT INTO t (id, n, body) VALUES ('tx-rolled-back', 1, '{}')");
      // Sent while A's transaction is open: were it run now, it would see A's uncommitted row.
      const seenByB = count('tx-rolled-back');
      await a.query('SELECT 1'); // A keeps the engine for its whole transaction
      await a.query('ROLLBACK');
      expect(await seenByB).toBe(0);
      // And a committed transaction is seen whole.
      await a.query('BEGIN');
      await a.query("INSERT INTO t (id, n, body) VALUES ('tx-1', 1, '{}')");
      const afterCommit = count('tx-1');
      await a.query('COMMIT');
      expect(await afterCommit).toBe(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('rolls back the open transaction of a client that vanished, and serves the others again', async () => {
    const a = new pg.Client({ connectionString: store.databaseUrl });
    a.on('error', () => undefined);
    await a.connect();
    await a.query('BEGIN');
    await a.query("INSERT INTO t (id, n, body) VALUES ('tx-lost', 1, '{}')");
    // What a SIGKILLed worker's socket does: it closes without COMMIT or Terminate.
    const closed = new Promise((resolve) => a.once('end', resolve));
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await closed;
    const rows = (await pool(1).query("SELECT id FROM t WHERE id = 'tx-lost'")).rows;
    expect(rows).toEqual([]);
  });

  it('serves the dashboard store to several processes’ stores at once (schema set up concurrently)', async () => {
    const [s1, s2] = await Promise.all([openDashboardStore({ databaseUrl: store.databaseUrl, dataDir }), openDashboardStore({ databaseUrl: store.databaseUrl, dataDir })]);
    try {
      const record = makeRecord({ order_id: 'ord-shared-1', customer_id: 'cus-shared' });
      expect(await s1.save(record, 1)).toEqual({ applied: true, closedAs: null });
      expect(await s2.get('ord-shared-1')).toStrictEqual(record);
      expect((await s2.save(record, 1)).applied).toBe(false);
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });

  it('owns its data dir: a second embedded opener is refused while it runs, and the data stays after a stop', async () => {
    await expect(startSharedStore({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    const idle = pool(2);
    await idle.query('SELECT 1'); // an idle connection open across the stop
    await store.stop();
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    store = await startSharedStore({ dataDir });
    expect((await pool(1).query<{ n: number }>("SELECT n FROM t WHERE id = 'tx-1'")).rows).toEqual([{ n: 1 }]);
  }, 60_000);
});
