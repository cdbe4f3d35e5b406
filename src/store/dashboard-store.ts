// The dashboard store: the denormalized order record that the customer dashboard and the support team read.
// Writes are idempotent and never go backwards (contract §6), a closed order stays closed for ever, and parked
// steps are kept beside the status for the support queue; one set of queries serves PGlite and PostgreSQL.
import { z } from 'zod';
import { DashboardRecord, OrderStatus, ParkedStep, TERMINAL_STATUSES, type TerminalStatus } from '../../contracts';
import { RemediationSnapshot } from '../../contracts/remediation';
import { createCustomerKeyStore, type CustomerKeyStore } from './customer-key-store';
import { DASHBOARD_SCHEMA_SQL } from './schema';
import { openSqlClient, type SqlClient, type SqlClientTarget } from './sql-client';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;

export interface ListOptions {
  /** 1…500, default 100; above 500 is capped at 500. */
  limit?: number | undefined;
}

export interface SaveResult {
  /** False for a refused write, which is then a no-op. */
  applied: boolean;
  /**
   * How the order was closed before this save: its closure mark (or, for a row closed by a release that wrote no
   * marks, the stored terminal status); null while it is open. Read from the statement's snapshot, so a save racing
   * the closing save may see null and still be refused.
   */
  closedAs: TerminalStatus | null;
}

export interface DashboardStore {
  /**
   * Upserts the record unless the stored revision is the same or newer (a retried or reordered older write), and
   * never replaces a closed order with an open one: once a terminal record was saved, a non-terminal save is refused
   * whatever its revision (a new run that a late event started after Temporal dropped the closed run). A terminal
   * save replaces an open row whatever the revisions (closing wins), and another terminal record only with a newer
   * revision. The first applied terminal save writes the order's closure mark, for good. Rejects a record that does
   * not match the contract.
   */
  save(record: DashboardRecord, revision: number): Promise<SaveResult>;
  get(orderId: string): Promise<DashboardRecord | undefined>;
  /** Newest first by submitted_at, then order_id (descending). */
  listByCustomer(customerId: string, opts?: ListOptions): Promise<DashboardRecord[]>;
  /**
   * Oldest first by submitted_at, then order_id: a work queue. `PARKED` is the support queue of every order with a
   * parked step, whatever its business status (a CANCELLED order whose refund keeps failing), or in that status.
   */
  listByStatus(status: OrderStatus, opts?: ListOptions): Promise<DashboardRecord[]>;
  /**
   * Sets (`parked`) or removes (null) the entry named `step` in an existing record's `parked_steps`, in place if it
   * is there, else at the end; moves the revision one past the stored one, like appendHistoryOnce. Never changes
   * the status. `applied` is false only for an order without a record (which is not created).
   */
  markParked(orderId: string, step: string, parked: ParkedStep | null): Promise<{ applied: boolean }>;
  /** The customers' data keys, wrapped (envelope encryption of the e-mail: src/pii/customer-emails.ts). */
  readonly customerKeys: CustomerKeyStore;
  /** How many orders are in the PARKED queue (alerting). */
  countParked(): Promise<number>;
  /**
   * Claims `rrn` for `orderId` unless another order already holds it; returns the owner (idempotent: the same
   * order claiming again gets itself back).
   */
  claimRrn(rrn: string, orderId: string): Promise<string>;
  /** Whether a fulfillment message with this idempotency key was acknowledged by the broker. */
  wasPublished(idempotencyKey: string): Promise<boolean>;
  /** Records that the broker acknowledged the message with this key (idempotent). */
  markPublished(idempotencyKey: string, orderId: string): Promise<void>;
  /**
   * Appends one entry to a closed order's history, at most once per `eventId` however often it is retried; the
   * entry carries the record's current status. `applied` is false for a repeat or an order without a record.
   */
  appendHistoryOnce(orderId: string, eventId: string, entry: { at: string; reason: string }): Promise<{ applied: boolean }>;
  /** Every parked step of every order (the PARKED queue, one entry per step), oldest first; the total is exact. */
  listParkedSteps(limit: number): Promise<{ total: number; oldestSince: string | null; steps: ParkedStepRow[] }>;
  /**
   * Money owed back, oldest first (the total is exact): a CANCELLED or EXPIRED order that kept a payment and has no
   * "refunded … of {rrn}" entry on its history, closed before `closedBefore`; and every parked refund step, of any
   * order, whatever its age (it has already spent its retry budget).
   */
  listRefundsOwed(closedBefore: Date, limit: number): Promise<{ total: number; oldestSince: string | null; refunds: RefundOwedRow[] }>;
  /** Keeps one remediation sweep's findings (idempotent per run id) and prunes all but the newest runs. */
  saveRemediationSnapshot(snapshot: RemediationSnapshot): Promise<void>;
  /** The newest sweep's findings, undefined before the first sweep. */
  latestRemediationSnapshot(): Promise<RemediationSnapshot | undefined>;
  /** Resolves when the database answers a query (readiness). */
  ping(): Promise<void>;
  /** Releases the engine; a second call is a no-op. */
  close(): Promise<void>;
}

export interface ParkedStepRow {
  order_id: string;
  status: OrderStatus;
  step: string;
  error: string;
  since: string;
}

export interface RefundOwedRow {
  order_id: string;
  status: OrderStatus;
  rrn: string;
  /** Since when it is owed: the order's closing, or the refund step's parking. */
  since: string;
  /** Set when the refund is parked: its last error. */
  parkedError: string | null;
}

/** How many sweeps' snapshots the store keeps (about an hour and a half at the default interval of 2 min). */
export const REMEDIATION_SNAPSHOTS_KEPT = 50;

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

/** The terminal statuses as an SQL list; the contract's constants, so no quoting is needed. */
const TERMINAL_SQL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

// One statement, so a save is atomic on both engines. ON CONFLICT takes the row lock and re-checks its WHERE
// against the latest committed version of the row, so concurrent writers of one order cannot move it backwards
// nor reopen it: a closing save commits its terminal row and its mark together, and a racing open save that then
// takes the row lock sees the terminal status there. The other CTEs read the statement's snapshot: the mark keeps
// an order closed when its row is gone, and `closed_as` reports the mark (or the stored terminal status of a row
// closed before marks existed) as it was before this save.
// A terminal save replaces an open row whatever the revisions: within one run the closing write is its last, so
// an open row with a higher revision can only be a later run's that raced the closing one (and lost).
// RETURNING yields a row only when the insert or the update happened; the mark is written only from it.
const SAVE_SQL = `
WITH closure AS (
  SELECT status FROM order_closures WHERE order_id = $1
),
prior AS (
  SELECT status FROM dashboard_orders WHERE order_id = $1 AND status IN (${TERMINAL_SQL})
),
saved AS (
  INSERT INTO dashboard_orders AS d (order_id, customer_id, status, revision, submitted_at, updated_at, parked, record)
  SELECT $1, $2::text, $3::text, $4::bigint, $5::timestamptz, $6::timestamptz, $7::boolean, $8::jsonb
  WHERE $3::text IN (${TERMINAL_SQL}) OR NOT EXISTS (SELECT 1 FROM closure)
  ON CONFLICT (order_id) DO UPDATE SET
    customer_id  = excluded.customer_id,
    status       = excluded.status,
    revision     = excluded.revision,
    submitted_at = excluded.submitted_at,
    updated_at   = excluded.updated_at,
    parked       = excluded.parked,
    record       = excluded.record
  WHERE CASE
    WHEN excluded.status IN (${TERMINAL_SQL}) THEN d.status NOT IN (${TERMINAL_SQL}) OR d.revision < excluded.revision
    ELSE d.status NOT IN (${TERMINAL_SQL}) AND d.revision < excluded.revision
  END
  RETURNING d.status
),
marked AS (
  -- The status the order closed as: the row's own, if a release without marks had closed it already.
  INSERT INTO order_closures (order_id, status, closed_at)
  SELECT $1, COALESCE((SELECT status FROM prior), saved.status), $6::timestamptz
  FROM saved WHERE saved.status IN (${TERMINAL_SQL})
  ON CONFLICT (order_id) DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM saved) AS applied,
       COALESCE((SELECT status FROM closure), (SELECT status FROM prior)) AS closed_as`;

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

// The PARKED queue reads the flag, not the status: it holds orders of any status (the partial parked index).
const LIST_PARKED_SQL = `
SELECT order_id, record FROM dashboard_orders
WHERE parked
ORDER BY submitted_at ASC, order_id ASC
LIMIT $1`;

const COUNT_PARKED_SQL = `SELECT count(*) AS n FROM dashboard_orders WHERE parked`;

// A no-op DO UPDATE instead of DO NOTHING: on a conflict PostgreSQL waits for the concurrent claimer to commit and
// then returns the committed row, so every caller gets the owner back (a separate SELECT would read the statement's
// older snapshot and find nothing).
const CLAIM_RRN_SQL = `
INSERT INTO rrn_claims (rrn, order_id) VALUES ($1, $2)
ON CONFLICT (rrn) DO UPDATE SET order_id = rrn_claims.order_id
RETURNING order_id`;

const WAS_PUBLISHED_SQL = `SELECT 1 AS found FROM fulfillment_publications WHERE idempotency_key = $1`;
const MARK_PUBLISHED_SQL = `
INSERT INTO fulfillment_publications (idempotency_key, order_id) VALUES ($1, $2)
ON CONFLICT (idempotency_key) DO NOTHING`;

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

// The record's parked_steps after the change; an expression, not a CTE, because it must read the row version the
// UPDATE locked: two concurrent marks of different steps of one order must both stay. Written twice below (the
// record and the flag), as SET cannot read another column's new value.
const STEPS = `COALESCE(d.record->'parked_steps', '[]'::jsonb)`;
const NEW_PARKED_STEPS = `(CASE
  WHEN $3::jsonb IS NULL THEN COALESCE(
    (SELECT jsonb_agg(x.e ORDER BY x.i) FROM jsonb_array_elements(${STEPS}) WITH ORDINALITY AS x(e, i)
     WHERE x.e->>'step' IS DISTINCT FROM $2::text),
    '[]'::jsonb)
  WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(${STEPS}) AS x(e) WHERE x.e->>'step' = $2::text) THEN
    (SELECT jsonb_agg(CASE WHEN x.e->>'step' = $2::text THEN $3::jsonb ELSE x.e END ORDER BY x.i)
     FROM jsonb_array_elements(${STEPS}) WITH ORDINALITY AS x(e, i))
  ELSE ${STEPS} || jsonb_build_array($3::jsonb)
END)`;

// The revision moves one past the stored one (as in APPEND_HISTORY_ONCE_SQL); updated_at never moves back, should
// the record carry a workflow time ahead of this process's clock.
const MARK_PARKED_SQL = `
UPDATE dashboard_orders AS d SET
  revision   = d.revision + 1,
  updated_at = GREATEST(d.updated_at, $4::timestamptz),
  parked     = jsonb_array_length(${NEW_PARKED_STEPS}) > 0 OR d.status = 'PARKED',
  record     = jsonb_set(
                 jsonb_set(d.record, '{parked_steps}', ${NEW_PARKED_STEPS}),
                 '{updated_at}',
                 CASE WHEN d.updated_at > $4::timestamptz THEN d.record->'updated_at' ELSE to_jsonb($5::text) END)
WHERE d.order_id = $1
RETURNING d.order_id`;

// One row per parked step of the parked orders (the partial parked index finds them). `since` is the workflow's
// toISOString, so text order is time order.
const PARKED_STEPS_FROM = `
FROM dashboard_orders d
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(d.record->'parked_steps', '[]'::jsonb)) AS s(e)
WHERE d.parked`;
const LIST_PARKED_STEPS_SQL = `
SELECT d.order_id, d.status, s.e->>'step' AS step, s.e->>'error' AS error, s.e->>'since' AS since
${PARKED_STEPS_FROM}
ORDER BY s.e->>'since' ASC, d.order_id ASC, s.e->>'step' ASC
LIMIT $1`;
const COUNT_PARKED_STEPS_SQL = `SELECT count(*) AS n, min(s.e->>'since') AS oldest ${PARKED_STEPS_FROM}`;

// A closed order's kept payment is refunded by the order itself (closing.ts), which then notes "refunded {cents}
// cents of {rrn}: {reason}" on its history (payments.ts); a parked refund is the step "refund of {rrn}". Both kinds
// in one list, an order's kept payment once even when its refund is also parked (the parked entry wins: it says why).
const REFUNDS_OWED_CTE = `
WITH unrefunded AS (
  SELECT d.order_id, d.status, d.record->'payment'->>'rrn' AS rrn,
         to_char(COALESCE(c.closed_at, d.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since,
         NULL::text AS parked_error
  FROM dashboard_orders d LEFT JOIN order_closures c ON c.order_id = d.order_id
  WHERE d.status IN ('CANCELLED', 'EXPIRED')
    AND d.record->'payment'->>'rrn' IS NOT NULL
    AND COALESCE(c.closed_at, d.updated_at) < $1::timestamptz
    AND NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(COALESCE(d.record->'history', '[]'::jsonb)) AS h(e)
      WHERE starts_with(COALESCE(h.e->>'reason', ''), 'refunded ')
        AND position(' of ' || (d.record->'payment'->>'rrn') || ':' IN h.e->>'reason') > 0
    )
),
parked_refunds AS (
  SELECT d.order_id, d.status, substr(s.e->>'step', length('refund of ') + 1) AS rrn, s.e->>'since' AS since, s.e->>'error' AS parked_error
  ${PARKED_STEPS_FROM} AND starts_with(s.e->>'step', 'refund of ')
),
owed AS (
  SELECT * FROM parked_refunds
  UNION ALL
  SELECT * FROM unrefunded u WHERE NOT EXISTS (SELECT 1 FROM parked_refunds p WHERE p.order_id = u.order_id AND p.rrn = u.rrn)
)`;
const LIST_REFUNDS_OWED_SQL = `${REFUNDS_OWED_CTE}
SELECT order_id, status, rrn, since, parked_error FROM owed ORDER BY since ASC, order_id ASC, rrn ASC LIMIT $2`;
const COUNT_REFUNDS_OWED_SQL = `${REFUNDS_OWED_CTE}
SELECT count(*) AS n, min(since) AS oldest FROM owed`;

// Idempotent per run: a retried write of the same sweep replaces its own row. The prune keeps the newest runs.
const SAVE_REMEDIATION_SQL = `
INSERT INTO remediation_snapshots (run_id, run_at, snapshot) VALUES ($1, $2::timestamptz, $3::jsonb)
ON CONFLICT (run_id) DO UPDATE SET run_at = excluded.run_at, snapshot = excluded.snapshot, written_at = now()`;
const PRUNE_REMEDIATION_SQL = `
DELETE FROM remediation_snapshots WHERE run_id IN (
  SELECT run_id FROM remediation_snapshots ORDER BY run_at DESC, run_id DESC OFFSET $1
)`;
const LATEST_REMEDIATION_SQL = `SELECT run_id, snapshot FROM remediation_snapshots ORDER BY run_at DESC, run_id DESC LIMIT 1`;

const CountRow = z.object({ n: z.union([z.number(), z.bigint(), z.string()]).transform(Number), oldest: z.string().nullable() });

const SaveRow = z.object({ applied: z.boolean(), closed_as: z.enum(TERMINAL_STATUSES).nullable() });

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
    customerKeys: createCustomerKeyStore(client),

    async save(record, revision) {
      if (!Number.isSafeInteger(revision) || revision < 0) {
        throw new RangeError(`revision must be a non-negative safe integer, got ${revision}`);
      }
      const r = StorableRecord.parse(record);
      const rows = await client.query<unknown>(SAVE_SQL, [
        r.order_id,
        r.customer_id,
        r.status,
        revision,
        r.submitted_at,
        r.updated_at,
        isParked(r.status, r.parked_steps),
        // Serialized here: pg would turn a top-level array into a PostgreSQL array literal, not JSON.
        JSON.stringify(r),
      ]);
      const row = SaveRow.parse(rows[0]);
      return { applied: row.applied, closedAs: row.closed_as };
    },

    async get(orderId) {
      const [row] = await client.query<RecordRow>(GET_SQL, [orderId]);
      return row === undefined ? undefined : parseRow(row);
    },

    listByCustomer: (customerId, opts) => list(LIST_BY_CUSTOMER_SQL, customerId, opts),
    async listByStatus(status, opts) {
      if (status !== 'PARKED') return list(LIST_BY_STATUS_SQL, status, opts);
      const rows = await client.query<RecordRow>(LIST_PARKED_SQL, [resolveLimit(opts?.limit)]);
      return rows.map(parseRow);
    },

    async claimRrn(rrn, orderId) {
      const [row] = await client.query<{ order_id: string }>(CLAIM_RRN_SQL, [rrn, orderId]);
      if (!row) throw new Error(`claiming RRN ${rrn} returned no owner`);
      return row.order_id;
    },

    async wasPublished(idempotencyKey) {
      const rows = await client.query<{ found: number }>(WAS_PUBLISHED_SQL, [idempotencyKey]);
      return rows.length > 0;
    },

    async markPublished(idempotencyKey, orderId) {
      await client.query(MARK_PUBLISHED_SQL, [idempotencyKey, orderId]);
    },

    async appendHistoryOnce(orderId, eventId, entry) {
      const at = z.iso.datetime({ offset: true }).parse(entry.at);
      const rows = await client.query<{ order_id: string }>(APPEND_HISTORY_ONCE_SQL, [eventId, orderId, at, at, entry.reason]);
      return { applied: rows.length > 0 };
    },

    async markParked(orderId, step, parked) {
      const entry = parked === null ? null : ParkedStep.parse(parked);
      if (entry !== null && entry.step !== step) {
        throw new RangeError(`parked step is named ${entry.step}, not ${step}`);
      }
      const now = new Date().toISOString();
      const rows = await client.query<{ order_id: string }>(MARK_PARKED_SQL, [
        orderId,
        step,
        entry === null ? null : JSON.stringify(entry),
        now,
        now,
      ]);
      return { applied: rows.length > 0 };
    },

    async countParked() {
      const [row] = await client.query<{ n: number | bigint }>(COUNT_PARKED_SQL);
      return Number(row?.n ?? 0);
    },

    async listParkedSteps(limit) {
      const [rows, [count]] = await Promise.all([
        client.query<ParkedStepRow>(LIST_PARKED_STEPS_SQL, [resolveLimit(limit)]),
        client.query<unknown>(COUNT_PARKED_STEPS_SQL),
      ]);
      const { n, oldest } = CountRow.parse(count);
      return { total: n, oldestSince: oldest, steps: rows.map((r) => ({ ...r })) };
    },

    async listRefundsOwed(closedBefore, limit) {
      const before = closedBefore.toISOString();
      const [rows, [count]] = await Promise.all([
        client.query<{ order_id: string; status: OrderStatus; rrn: string; since: string; parked_error: string | null }>(LIST_REFUNDS_OWED_SQL, [
          before,
          resolveLimit(limit),
        ]),
        client.query<unknown>(COUNT_REFUNDS_OWED_SQL, [before]),
      ]);
      const { n, oldest } = CountRow.parse(count);
      return {
        total: n,
        oldestSince: oldest,
        refunds: rows.map((r) => ({ order_id: r.order_id, status: r.status, rrn: r.rrn, since: r.since, parkedError: r.parked_error })),
      };
    },

    async saveRemediationSnapshot(snapshot) {
      const s = RemediationSnapshot.parse(snapshot);
      await client.query(SAVE_REMEDIATION_SQL, [s.run_id, s.run_at, JSON.stringify(s)]);
      await client.query(PRUNE_REMEDIATION_SQL, [REMEDIATION_SNAPSHOTS_KEPT]);
    },

    async latestRemediationSnapshot() {
      const [row] = await client.query<{ run_id: string; snapshot: unknown }>(LATEST_REMEDIATION_SQL);
      if (row === undefined) return undefined;
      const parsed = RemediationSnapshot.safeParse(row.snapshot);
      if (!parsed.success) throw new StoredRecordInvalidError(`remediation run ${row.run_id}`, parsed.error);
      return parsed.data;
    },

    async ping() {
      await client.query('SELECT 1');
    },

    close: () => client.close(),
  };
}

/** The `parked` column: in the PARKED queue. Kept in SQL in MARK_PARKED_SQL too. */
function isParked(status: OrderStatus, parkedSteps: readonly ParkedStep[]): boolean {
  return parkedSteps.length > 0 || status === 'PARKED';
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
