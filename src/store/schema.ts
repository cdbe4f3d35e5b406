// The dashboard store's SQL schema, applied idempotently each time a store opens, on PGlite and PostgreSQL alike.
// Names are unqualified on purpose: the connection's search_path picks the schema (tests isolate themselves that way).

/**
 * Any fixed number shared by every process that opens the store: the schema script takes this advisory lock
 * first, because concurrent CREATE … IF NOT EXISTS on PostgreSQL can still fail on a catalog unique index when
 * a worker and a gateway start together. The lock lasts until the script's transaction ends.
 */
const SCHEMA_LOCK_KEY = 740_215_001;

/**
 * One row per order. `record` is the whole dashboard record and the only thing read back; the other columns
 * are copies of its fields that the queries filter and sort on, written by the same statement so they never drift.
 * `status` is text without a CHECK list: new statuses (vNext's RISK_REVIEW) must not need a migration.
 * `revision` is the writer's monotonic counter that makes retried and reordered writes harmless.
 * Ids are COLLATE "C" (byte order): the order_id tie-break then sorts alike on PGlite and on a server whose
 * default collation is, say, en_US, and the indexes do not depend on the OS's locale data (glibc upgrades).
 *
 * Later changes append idempotent statements here (ALTER TABLE … ADD COLUMN IF NOT EXISTS, CREATE INDEX IF NOT
 * EXISTS); nothing is ever edited in place, so every existing database converges on the same shape.
 */
export const DASHBOARD_SCHEMA_SQL = `
SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY});

CREATE TABLE IF NOT EXISTS dashboard_orders (
  order_id     text COLLATE "C" PRIMARY KEY,
  customer_id  text COLLATE "C" NOT NULL,
  status       text COLLATE "C" NOT NULL,
  revision     bigint           NOT NULL CHECK (revision >= 0),
  submitted_at timestamptz      NOT NULL,
  updated_at   timestamptz      NOT NULL,
  record       jsonb            NOT NULL
);

-- listByCustomer: equality on customer, newest first; order_id breaks ties so pages are stable.
CREATE INDEX IF NOT EXISTS dashboard_orders_customer_submitted_idx
  ON dashboard_orders (customer_id, submitted_at DESC, order_id DESC);

-- listByStatus: equality on status, oldest first (a work queue for support).
CREATE INDEX IF NOT EXISTS dashboard_orders_status_submitted_idx
  ON dashboard_orders (status, submitted_at, order_id);

-- One RRN pays one order: the first order whose valid capture claims an RRN owns it for good.
CREATE TABLE IF NOT EXISTS rrn_claims (
  rrn        text COLLATE "C" PRIMARY KEY,
  order_id   text COLLATE "C" NOT NULL,
  claimed_at timestamptz      NOT NULL DEFAULT now()
);

-- Orders whose fulfillment message the broker has acknowledged, by idempotency key. The publish runs as a local
-- activity, which Temporal may run again when the workflow task that recorded it is lost (a worker crash, a task
-- timeout, a signal arriving as the order completes): the second run finds the row and does not publish again.
CREATE TABLE IF NOT EXISTS fulfillment_publications (
  idempotency_key text COLLATE "C" PRIMARY KEY,
  order_id        text COLLATE "C" NOT NULL,
  published_at    timestamptz      NOT NULL DEFAULT now()
);

-- Events that arrived after their order closed, each recorded once on the order's history.
CREATE TABLE IF NOT EXISTS order_late_events (
  event_id    text COLLATE "C" PRIMARY KEY,
  order_id    text COLLATE "C" NOT NULL,
  recorded_at timestamptz      NOT NULL
);

-- The durable closure mark: written by the first save of a terminal record and never changed, so an order stays
-- closed for ever, also after Temporal's retention dropped its closed run (a late event then starts a new run,
-- which finds the mark and must not reopen the order).
CREATE TABLE IF NOT EXISTS order_closures (
  order_id  text COLLATE "C" PRIMARY KEY,
  status    text COLLATE "C" NOT NULL,
  closed_at timestamptz      NOT NULL
);

-- Marks for orders closed before the table existed. The uncorrelated NOT EXISTS is a one-time filter: once any
-- mark exists the scan is skipped, so this costs nothing on later starts. A terminal row that still lacks a mark
-- (written by an older release during a rolling upgrade) is closed all the same: saves check the row's status too.
INSERT INTO order_closures (order_id, status, closed_at)
SELECT order_id, status, updated_at FROM dashboard_orders
WHERE status IN ('FORWARDED', 'CANCELLED', 'EXPIRED')
  AND NOT EXISTS (SELECT 1 FROM order_closures)
ON CONFLICT (order_id) DO NOTHING;

-- Whether the order is in the parked queue: a step of it waits for its next automatic retry (record.parked_steps
-- not empty), whatever its business status, or it is in the PARKED status itself. Written with the record.
ALTER TABLE dashboard_orders ADD COLUMN IF NOT EXISTS parked boolean NOT NULL DEFAULT false;

-- Rows written before the column existed: only the PARKED status can put them in the queue (parked_steps is
-- newer than it). Reads the status index, so it is cheap on every start.
UPDATE dashboard_orders SET parked = true WHERE status = 'PARKED' AND NOT parked;

-- listByStatus('PARKED') (oldest first) and countParked(): only the few parked rows are indexed.
CREATE INDEX IF NOT EXISTS dashboard_orders_parked_submitted_idx
  ON dashboard_orders (submitted_at, order_id) WHERE parked;

-- Envelope encryption of the customers' e-mails (docs/pii.md): one data key per customer, stored only wrapped
-- (AES-256-GCM) by a master key of PII_ENCRYPTION_KEYS, whose id is kept beside it so rotation can rewrap it.
-- Erasure deletes the row: every copy of the e-mail sealed under that key (Temporal histories, records, Kafka
-- never) becomes unreadable for good. At most one live key per customer; a later order gets a new key.
CREATE TABLE IF NOT EXISTS customer_data_keys (
  key_id        text COLLATE "C" PRIMARY KEY,
  customer_id   text COLLATE "C" NOT NULL UNIQUE,
  master_key_id text COLLATE "C" NOT NULL,
  wrapped_key   text             NOT NULL,
  created_at    timestamptz      NOT NULL DEFAULT now()
);

-- Which customers were forgotten, when, and how many keys that destroyed: the proof of an erasure, holding no PII.
CREATE TABLE IF NOT EXISTS customer_erasures (
  customer_id    text COLLATE "C" NOT NULL,
  erased_at      timestamptz      NOT NULL DEFAULT now(),
  destroyed_keys integer          NOT NULL
);

-- The remediation sweeper's findings (workflows/sweeper-workflow.ts): one snapshot per run, by its run id (a retried
-- write is the same row), read back newest first by the gateway's gauges and its support route. Old runs are pruned
-- by the write itself.
CREATE TABLE IF NOT EXISTS remediation_snapshots (
  run_id     text COLLATE "C" PRIMARY KEY,
  run_at     timestamptz      NOT NULL,
  written_at timestamptz      NOT NULL DEFAULT now(),
  snapshot   jsonb            NOT NULL
);
CREATE INDEX IF NOT EXISTS remediation_snapshots_run_at_idx ON remediation_snapshots (run_at DESC, run_id DESC);
`;
