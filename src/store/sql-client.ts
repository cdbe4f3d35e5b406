// The one seam between the store and a PostgreSQL engine: embedded PGlite (file-backed) or a pg.Pool on a real server.
// Both adapters speak the same SQL and hand back the same JS values, so nothing above this module knows which it has.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** No session state across calls: each call may run on another pooled connection (no SET, TEMP tables or
 * transactions spanning calls); a transaction is one statement or one exec() script. */
export interface SqlClient {
  /**
   * Runs ONE statement with $1…$n parameters and resolves to its rows. `Row` is the caller's claim, not a check:
   * parse what comes back. Values: jsonb → parsed JSON, timestamptz → Date, int8 → number (bigint beyond 2^53),
   * numeric → string — the same on both engines.
   */
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a parameterless script of several statements as one implicit transaction (schema setup). */
  exec(script: string): Promise<void>;
  /** Releases the engine; a second call is a no-op. */
  close(): Promise<void>;
}

export interface SqlClientTarget {
  /** A PostgreSQL URL; unset or empty → embedded PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite's data directory (created if missing); ignored when `databaseUrl` is set. */
  dataDir: string;
}

/** The single place that picks the engine. */
export async function openSqlClient(target: SqlClientTarget): Promise<SqlClient> {
  return target.databaseUrl ? openPgClient(target.databaseUrl) : openPgliteClient(target.dataDir);
}

/** Thrown when a PGlite data directory is already open: PGlite itself does not lock it, two writers corrupt it. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      holderPid === process.pid
        ? `PGlite data dir ${dataDir} is already open in this process`
        : `PGlite data dir ${dataDir} is already open in process ${holderPid}; ` +
            `only one process may own it (others must use DATABASE_URL). Delete ${lockPathOf(dataDir)} if that process is gone.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * Opens (creating on first use) a file-backed PGlite database in `dataDir`.
 * PGlite 0.5 creates only the last path segment itself and runs initdb on an empty dir (≈2 s), so the parents
 * are made here and `PGlite.create` is awaited: it resolves once the database is ready and rejects if it cannot start.
 */
export async function openPgliteClient(dataDir: string): Promise<SqlClient> {
  const { db, close } = await openPgliteDatabase(dataDir);
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const result = await db.query<Row>(text, [...params]);
      return result.rows;
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
    close,
  };
}

/**
 * The PGlite engine itself under the data dir's lock, for a caller that serves it to other processes over the
 * Postgres wire protocol (dev/stack/shared-store.ts). close() closes the database, then releases the lock; a second
 * call is a no-op.
 */
export async function openPgliteDatabase(dataDir: string): Promise<{ db: PGlite; close(): Promise<void> }> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const releaseLock = await lockDataDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
  } catch (err) {
    await releaseLock();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    db,
    close(): Promise<void> {
      closing ??= db.close().finally(releaseLock);
      return closing;
    },
  };
}

export interface PgClientOptions {
  /** Fail a checkout after this long instead of waiting forever on an unreachable server (pg's default). */
  connectionTimeoutMillis?: number;
  max?: number;
}

/** Opens a connection pool on a PostgreSQL server. Connections are made lazily; the first query proves the URL. */
export function openPgClient(connectionString: string, options: PgClientOptions = {}): SqlClient {
  const pool = new pg.Pool({
    connectionString,
    application_name: 'oms-processing',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    max: options.max ?? 10,
    // Per pool, not pg.types.setTypeParser: that would change every other pg user in the process.
    types: { getTypeParser: pgTypeParser },
  });
  // An idle connection dropped by the server (restart, failover) is an 'error' event; unhandled, it kills the
  // process. The pool has already discarded that connection and the next query opens a new one, so nothing to do.
  pool.on('error', () => {});
  let closing: Promise<void> | undefined;
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const result = await pool.query(text, [...params]);
      // pg types rows as any; this client's contract says callers parse them.
      return result.rows as Row[];
    },
    async exec(script: string): Promise<void> {
      // No parameters → pg uses the simple-query protocol, which runs several statements as one transaction.
      await pool.query(script);
    },
    close(): Promise<void> {
      closing ??= pool.end();
      return closing;
    },
  };
}

const INT8_OID = 20;

/** int8 parsed as PGlite does it (number while exact, else bigint), instead of pg's default string. */
function pgTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') {
    return (value) => {
      const big = BigInt(value);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    };
  }
  return pg.types.getTypeParser(oid, format);
}

function lockPathOf(dataDir: string): string {
  // Beside the data dir, not in it: the data dir holds only what PGlite's initdb and Postgres put there.
  return `${dataDir}.lock`;
}

/** Takes an exclusive, process-scoped lock on a data dir; a lock whose process is gone is taken over. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = lockPathOf(dataDir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && isProcessAlive(holder)) {
        throw new DataDirLockedError(dataDir, holder);
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock PGlite data dir ${dataDir}: ${lockPath} keeps reappearing`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return isErrnoException(err) && err.code === 'EPERM';
  }
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}
