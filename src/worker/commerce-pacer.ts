// Spaces the Commerce calls of all workers 1/rate apart, so that no 1 s window holds more than the limit.
//
// The Temporal queue limit caps the long-run rate for all workers together, but the server enforces it with a token
// bucket whose burst is one second's worth of tasks: a backlog that meets an idle queue is dispatched at up to twice
// the rate for its first second (measured on the dev server: 24 tasks in the first second at a limit of 10/s), and a
// task reaches whichever worker polls, so per-process smoothing cannot undo that burst. The pacer can: one slot
// schedule for the whole service (GCRA with no burst) in the store every worker already shares — a single-row
// UPDATE hands each call the next free slot — or, with the embedded store that only one process can open, in memory.
import { ErrorType, failure } from '../../contracts';
import { openPgClient, type SqlClient } from '../store/sql-client';

export interface CommercePacer {
  /**
   * Runs `call` at its slot: no earlier than 1/rate after the previous slot of any worker sharing the pacer, and no
   * later than MAX_LATENESS_MS after it (else another slot; after MAX_LATE_SLOTS, a retryable failure, no call).
   */
  schedule<T>(call: () => Promise<T>): Promise<T>;
  /** Calls per second; the queue's limit when it changes at runtime. */
  setRate(requestsPerSecond: number): void;
  readonly rate: number;
  readonly kind: 'shared' | 'in-process';
  /**
   * Calls made; slots given up because the process woke too late for them; attempts that gave up (retried by
   * Temporal) — CPU starvation shows here, never as a call out of its slot.
   */
  stats(): { calls: number; lateSlots: number; lateAttempts: number };
  close(): Promise<void>;
}

const SLOT_NAME = 'commerce-api';

const SCHEMA = `CREATE TABLE IF NOT EXISTS oms_rate_slots (
  name text PRIMARY KEY,
  next_at timestamptz NOT NULL
)`;

/**
 * The next free slot, by the database's clock (one clock for every worker): slot = max(next_at, now);
 * next_at = slot + interval. Returns the slot as epoch milliseconds and how long it is from now.
 */
const RESERVE = `WITH reserved AS (
    INSERT INTO oms_rate_slots AS s (name, next_at)
    VALUES ($1, clock_timestamp() + $2::float8 * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE SET next_at = greatest(s.next_at, clock_timestamp()) + $2::float8 * interval '1 millisecond'
    RETURNING next_at
  )
  SELECT (extract(epoch FROM next_at) * 1000 - $2::float8)::float8 AS slot_ms,
         (extract(epoch FROM (next_at - clock_timestamp())) * 1000 - $2::float8)::float8 AS wait_ms
  FROM reserved`;

/**
 * A call that wakes up later than this after its slot (a starved event loop, a paused process) gives the slot up and
 * takes a new one: calls that run late would bunch up with the ones on time. Together with COMMERCE_DISPATCH_SHARE
 * this bounds a 1 s window to 0.95 × limit × (1 + 0.02) + 1 calls ≤ the limit, leaving ~3 % for the trip to the socket.
 */
export const MAX_LATENESS_MS = 20;

/**
 * How many slots a call gives up for waking late before this attempt gives up: a process starved for CPU wakes late
 * every time, and must neither spin on the schedule until its activity times out nor call late. The attempt then
 * fails as retryable, without calling, and Temporal retries it after RETRY_LATE_AFTER — on whichever worker polls.
 */
export const MAX_LATE_SLOTS = 3;
const RETRY_LATE_AFTER = '1s';

function tooLate(): Error {
  return failure(
    ErrorType.UPSTREAM_RATE_LIMITED,
    `Commerce pacer: this worker woke more than ${MAX_LATENESS_MS} ms after ${MAX_LATE_SLOTS} slots in a row (short of CPU); ` +
      `not calling late, retried in ${RETRY_LATE_AFTER}`,
    { nextRetryDelay: RETRY_LATE_AFTER },
  );
}

export interface Slot {
  /** Epoch ms of the slot by the database's clock. */
  slotMs: number;
  /** How long until the slot, from the database's now (0 when free now). */
  waitMs: number;
}

/** Reserves the next slot of `name`. */
export async function reserveSlot(sql: SqlClient, slotIntervalMs: number, name = SLOT_NAME): Promise<Slot> {
  const [row] = await sql.query<{ slot_ms: number; wait_ms: number }>(RESERVE, [name, slotIntervalMs]);
  if (row === undefined) throw new Error('the slot reservation returned no row');
  return { slotMs: Number(row.slot_ms), waitMs: Math.max(0, Number(row.wait_ms)) };
}

/** Creates the slot table (idempotent; workers starting together may race on it). */
export async function ensureSlotTable(sql: SqlClient): Promise<void> {
  try {
    await sql.exec(SCHEMA);
  } catch (err) {
    // Concurrent CREATE TABLE IF NOT EXISTS can still fail on the catalog's unique index: the table is there then.
    if (!/already exists|duplicate key/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

function intervalMs(rate: number): number {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`Commerce pacer: rate must be a positive number, got ${rate}`);
  return 1000 / rate;
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** A slot a schedule handed out: when it is, on `clock`, and how long from now until then. */
interface TakenSlot {
  at: number;
  waitMs: number;
}

/**
 * The pacer around one slot schedule: takes a slot, waits for it, and calls — or, woken later than MAX_LATENESS_MS
 * after it, gives it up for the next one (MAX_LATE_SLOTS times at most). The two schedules differ only in where the
 * slots come from and by which clock they are kept.
 */
function pacerOn(schedule: {
  kind: CommercePacer['kind'];
  requestsPerSecond: number;
  take(intervalMs: number): Promise<TakenSlot>;
  clock(): number;
  close(): Promise<void>;
}): CommercePacer {
  let interval = intervalMs(schedule.requestsPerSecond);
  let rate = schedule.requestsPerSecond;
  const counts = { calls: 0, lateSlots: 0, lateAttempts: 0 };
  return {
    kind: schedule.kind,
    stats: () => ({ ...counts }),
    get rate() {
      return rate;
    },
    setRate(r) {
      interval = intervalMs(r);
      rate = r;
    },
    async schedule(call) {
      for (let late = 0; ; late++) {
        const slot = await schedule.take(interval);
        await sleep(slot.waitMs);
        if (schedule.clock() - slot.at <= MAX_LATENESS_MS) {
          counts.calls += 1;
          return call();
        }
        counts.lateSlots += 1;
        if (late + 1 >= MAX_LATE_SLOTS) {
          counts.lateAttempts += 1;
          throw tooLate();
        }
      }
    },
    close: () => schedule.close(),
  };
}

/** One process's own slot schedule: exact for that process only (`npm start` with the embedded store, tests). */
export function createInProcessPacer(requestsPerSecond: number): CommercePacer {
  let nextAt = 0;
  return pacerOn({
    kind: 'in-process',
    requestsPerSecond,
    clock: () => performance.now(),
    take(interval) {
      const now = performance.now();
      const at = Math.max(nextAt, now);
      nextAt = at + interval;
      return Promise.resolve({ at, waitMs: at - now });
    },
    close: () => Promise.resolve(),
  });
}

/** The slot schedule in the shared PostgreSQL store: one for every worker that points at the same DATABASE_URL. */
export async function createSharedPacer(options: { databaseUrl: string; requestsPerSecond: number; client?: SqlClient }): Promise<CommercePacer> {
  const sql = options.client ?? openPgClient(options.databaseUrl, { max: 4, connectionTimeoutMillis: 5_000 });
  try {
    await ensureSlotTable(sql);
  } catch (err) {
    await sql.close();
    throw err;
  }
  return pacerOn({
    kind: 'shared',
    requestsPerSecond: options.requestsPerSecond,
    clock: () => Date.now(),
    async take(interval) {
      let slot: Slot;
      try {
        slot = await reserveSlot(sql, interval);
      } catch (err) {
        // Retryable: the validation waits for the store like every other step does.
        throw failure(ErrorType.STORE_UNAVAILABLE, `Commerce pacer: no slot from the shared store (${err instanceof Error ? err.message : String(err)})`, {
          ...(err instanceof Error ? { cause: err } : {}),
        });
      }
      // Waits by the wall clock against the database's slot time: a reply this process read late (its event loop
      // busy) shortens the wait instead of shifting the call. Hosts' clocks are assumed NTP-close (a few ms).
      return { at: slot.slotMs, waitMs: Math.min(slot.waitMs, slot.slotMs - Date.now()) };
    },
    close: () => sql.close(),
  });
}

/** Shared when the processes share a PostgreSQL store; otherwise this process is the only worker that has the store. */
export function createCommercePacer(options: { databaseUrl: string | undefined; requestsPerSecond: number }): Promise<CommercePacer> {
  return options.databaseUrl
    ? createSharedPacer({ databaseUrl: options.databaseUrl, requestsPerSecond: options.requestsPerSecond })
    : Promise.resolve(createInProcessPacer(options.requestsPerSecond));
}
