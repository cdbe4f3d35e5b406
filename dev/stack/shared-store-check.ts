// Loopback check of the shared embedded store (docs/local-stack.md, "The dashboard store shared over the wire"): several client processes,
// each a pg Pool like a worker's, upsert JSON records and read each back for a while; prints writes/s, latency and any
// wrong answer. `npx tsx dev/stack/shared-store-check.ts [processes=3] [seconds=8] [bodyBytes=3000]`
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startSharedStore } from './shared-store';

const CONNECTIONS_PER_PROCESS = 10; // pg.Pool's default max, as src/store opens it

interface ClientResult {
  writes: number;
  wrong: number;
  errors: number;
  latenciesMs: number[];
}

async function client(url: string, who: string, seconds: number, bodyBytes: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS_PER_PROCESS });
  const until = Date.now() + seconds * 1000;
  const pad = 'x'.repeat(bodyBytes);
  const result: ClientResult = { writes: 0, wrong: 0, errors: 0, latenciesMs: [] };
  await Promise.all(
    Array.from({ length: CONNECTIONS_PER_PROCESS }, async (_, c) => {
      for (let i = 0; Date.now() < until; i += 1) {
        const id = `${who}-${c}-${i % 50}`;
        try {
          const started = performance.now();
          // The shape of the dashboard store's save: an upsert guarded by the revision.
          await pool.query(
            `INSERT INTO check_records (id, revision, record) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, record = excluded.record
             WHERE check_records.revision < excluded.revision`,
            [id, i, JSON.stringify({ id, i, pad })],
          );
          result.latenciesMs.push(performance.now() - started);
          result.writes += 1;
          const row = (await pool.query<{ record: { id: string; i: number } }>('SELECT record FROM check_records WHERE id = $1', [id])).rows[0];
          if (row?.record.id !== id || row.record.i !== i) result.wrong += 1;
        } catch {
          result.errors += 1;
        }
      }
    }),
  );
  await pool.end();
  process.stdout.write(JSON.stringify(result));
}

async function main(): Promise<void> {
  const [processes = 3, seconds = 8, bodyBytes = 3_000] = process.argv.slice(2).map(Number);
  const dir = await mkdtemp(path.join(tmpdir(), 'oms-store-check-'));
  const store = await startSharedStore({ dataDir: path.join(dir, 'dashboard') });
  try {
    const setup = new pg.Pool({ connectionString: store.databaseUrl, max: 1 });
    await setup.query('CREATE TABLE check_records (id text PRIMARY KEY, revision int NOT NULL, record jsonb NOT NULL)');
    await setup.end();
    const results = await Promise.all(
      Array.from(
        { length: processes },
        (_, i) =>
          new Promise<ClientResult>((resolve, reject) => {
            const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--client', store.databaseUrl, `p${i}`, String(seconds), String(bodyBytes)], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ClientResult) : reject(new Error(`client ${i} exited ${code}`))));
          }),
      ),
    );
    const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const at = (q: number) => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0).toFixed(1);
    const writes = results.reduce((n, r) => n + r.writes, 0);
    console.log(
      `${processes} processes × ${CONNECTIONS_PER_PROCESS} connections, ${bodyBytes} B records, ${seconds} s: ` +
        `${Math.round(writes / seconds)} upserts/s (each read back), upsert p50 ${at(0.5)} ms p99 ${at(0.99)} ms, ` +
        `wrong answers ${results.reduce((n, r) => n + r.wrong, 0)}, errors ${results.reduce((n, r) => n + r.errors, 0)}`,
    );
  } finally {
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--client') {
  const [, , , url = '', who = 'p', seconds = '8', bodyBytes = '3000'] = process.argv;
  await client(url, who, Number(seconds), Number(bodyBytes));
} else {
  await main();
}
