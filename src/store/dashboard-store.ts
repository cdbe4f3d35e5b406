// The dashboard store: the denormalized order record that the customer dashboard and the support team read.
// Writes are idempotent and never go backwards (contract §6); one set of queries serves PGlite and PostgreSQL.
import { z } from 'zod';
import { DashboardRecord, OrderStatus } from '../../contracts';
import { DASHBOARD_SCHEMA_SQL } from './schema';
import { openSqlClient, type SqlClient, type SqlClientTarget } from './sql-client';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;

export interface ListOptions {
  /** 1…500, default 100; above 500 is capped at 500. */
  limit?: number | undefined;
}

export interface DashboardStore {
  /**
   * Upserts the record unless the stored revision is the same or newer: `applied` is false for a retried or
   * reordered older write, which is then a no-op. Rejects a record that does not match the contract.
   */
  save(record: DashboardRecord, revision: number): Promise<{ applied: boolean }>;
  get(orderId: string): Promise<DashboardRecord | undefined>;
  /** Newest first by submitted_at, then order_id (descending). */
  listByCustomer(customerId: string, opts?: ListOptions): Promise<DashboardRecord[]>;
  /** Oldest first by submitted_at, then order_id: a work queue. */
  listByStatus(status: OrderStatus, opts?: ListOptions): Promise<DashboardRecord[]>;
  /**
   * Claims `rrn` for `orderId` unless another order already holds it; returns the owner (idempotent: the same
   * order claiming again gets itself back).
   */
  claimRrn(rrn: string, orderId: string): Promise<string>;
  /**
   * Appends one entry to a closed order's history, at most once per `eventId` however often it is retried; the
   * entry carries the record's current status. `applied` is false for a repeat or an order without a record.
   */
  appendHistoryOnce(orderId: string, eventId: string, entry: { at: string; reason: string }): Promise<{ applied: boolean }>;
  /** Resolves when the database answers a query (readiness). */
  ping(): Promise<void>;
  /** Releases the engine; a second call is a no-op. */
  close(): Promise<void>;
}

/** `databaseUrl` set and non-empty → PostgreSQL; else embedded PGlite in `dataDir` (created if missing). */
export type OpenDashboardStoreOptions = SqlClientTarget;

/** A row whose `record` does not parse as a DashboardRecord: written by an incompatible release or by hand. */
export class StoredRecordInvalidError extends Error {
  constructor(
    readonly orderId: string,
    cause: unknown,
  ) {
    super(`stored dashboard record of order ${orderId} does not match the contract`, { cause });
    this.name = 'StoredRecordInvalidError';
  }
}

/**
 * What save() accepts: the contract's record, with the two timestamps that become timestamptz columns held to
 * ISO 8601 with an offset — PostgreSQL would read an offset-less time in the session's time zone and mis-sort it.
 * Parsing also drops fields the contract does not know, so nothing unplanned (PII, §9) lands in the store.
 */
const StorableRecord = DashboardRecord.extend({
  submitted_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

// One statement, so a save is atomic on both engines: ON CONFLICT takes the row lock and re-checks the WHERE
// against the latest committed version, so concurrent writers of the same order cannot move it backwards.
// RETURNING yields a row only when the insert or the update happened.
const SAVE_SQL = `
INSERT INTO dashboard_orders (order_id, customer_id, status, revision, submitted_at, updated_at, record)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (order_id) DO UPDATE SET
  customer_id  = excluded.customer_id,
  status       = excluded.status,
  revision     = excluded.revision,
  submitted_at = excluded.submitted_at,
  updated_at   = excluded.updated_at,
  record       = excluded.record
WHERE dashboard_orders.revision < excluded.revision
RETURNING order_id`;

const GET_SQL = `SELECT order_id, record FROM dashboard_orders WHERE order_id = $1`;

const LIST_BY_CUSTOMER_SQL = `
SELECT order_id, record FROM dashboard_orders
WHERE customer_id = $1
ORDER BY submitted_at DESC, order_id DESC
LIMIT $2`;

const LIST_BY_STATUS_SQL = `
SELECT order_id, record FROM dashboard_orders
WHERE status = $1
ORDER BY submitted_at ASC, order_id ASC
LIMIT $2`;

// A no-op DO UPDATE instead of DO NOTHING: on a conflict PostgreSQL waits for the concurrent claimer to commit and
// then returns the committed row, so every caller gets the owner back (a separate SELECT would read the statement's
// older snapshot and find nothing).
const CLAIM_RRN_SQL = `
INSERT INTO rrn_claims (rrn, order_id) VALUES ($1, $2)
ON CONFLICT (rrn) DO UPDATE SET order_id = rrn_claims.order_id
RETURNING order_id`;

// The event row and the history entry are written by one statement: a retry finds the event row and appends
// nothing. The revision moves past the workflow's last write, so a late retry of that write cannot undo this.
const APPEND_HISTORY_ONCE_SQL = `
WITH fresh AS (
  INSERT INTO order_late_events (event_id, order_id, recorded_at)
  SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM dashboard_orders WHERE order_id = $2)
  ON CONFLICT (event_id) DO NOTHING
  RETURNING order_id
)
UPDATE dashboard_orders AS d SET
  revision   = d.revision + 1,
  updated_at = $3,
  record     = jsonb_set(
                 jsonb_set(d.record, '{history}',
                   (d.record->'history') || jsonb_build_array(jsonb_build_object('status', d.record->>'status', 'at', $4::text, 'reason', $5::text))),
                 '{updated_at}', to_jsonb($4::text))
FROM fresh
WHERE d.order_id = fresh.order_id
RETURNING d.order_id`;

interface RecordRow {
  order_id: string;
  record: unknown;
}

/** Opens the store on PostgreSQL when `databaseUrl` is set, else on PGlite in `dataDir`, and applies the schema. */
export async function openDashboardStore(opts: OpenDashboardStoreOptions): Promise<DashboardStore> {
  return createDashboardStore(await openSqlClient(opts));
}

/** Builds the store on a client it then owns (closes with it); applies the schema first. */
export async function createDashboardStore(client: SqlClient): Promise<DashboardStore> {
  try {
    await client.exec(DASHBOARD_SCHEMA_SQL);
  } catch (err) {
    await client.close();
    throw err;
  }

  const list = async (sql: string, key: string, opts: ListOptions | undefined): Promise<DashboardRecord[]> => {
    const rows = await client.query<RecordRow>(sql, [key, resolveLimit(opts?.limit)]);
    return rows.map(parseRow);
  };

  return {
    async save(record, revision) {
      if (!Number.isSafeInteger(revision) || revision < 0) {
        throw new RangeError(`revision must be a non-negative safe integer, got ${revision}`);
      }
      const r = StorableRecord.parse(record);
      const rows = await client.query<{ order_id: string }>(SAVE_SQL, [
        r.order_id,
        r.customer_id,
        r.status,
        revision,
        r.submitted_at,
        r.updated_at,
        // Serialized here: pg would turn a top-level array into a PostgreSQL array literal, not JSON.
        JSON.stringify(r),
      ]);
      return { applied: rows.length > 0 };
    },

    async get(orderId) {
      const [row] = await client.query<RecordRow>(GET_SQL, [orderId]);
      return row === undefined ? undefined : parseRow(row);
    },

    listByCustomer: (customerId, opts) => list(LIST_BY_CUSTOMER_SQL, customerId, opts),
    listByStatus: (status, opts) => list(LIST_BY_STATUS_SQL, status, opts),

    async claimRrn(rrn, orderId) {
      const [row] = await client.query<{ order_id: string }>(CLAIM_RRN_SQL, [rrn, orderId]);
      if (!row) throw new Error(`claiming RRN ${rrn} returned no owner`);
      return row.order_id;
    },

    async appendHistoryOnce(orderId, eventId, entry) {
      const at = z.iso.datetime({ offset: true }).parse(entry.at);
      const rows = await client.query<{ order_id: string }>(APPEND_HISTORY_ONCE_SQL, [eventId, orderId, at, at, entry.reason]);
      return { applied: rows.length > 0 };
    },

    async ping() {
      await client.query('SELECT 1');
    },

    close: () => client.close(),
  };
}

function resolveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

function parseRow(row: RecordRow): DashboardRecord {
  const parsed = DashboardRecord.safeParse(row.record);
  if (!parsed.success) throw new StoredRecordInvalidError(row.order_id, parsed.error);
  return parsed.data;
}
