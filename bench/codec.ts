// `npm run bench -- codec`: what the payload codec (src/pii/payload-codec.ts, contract §9) adds to every Temporal
// payload. Realistic payloads go through the SDK's own data-converter path (encodeToPayload / decodeFromPayloadsAtIndex,
// as every client and worker call) with the service's encrypting data converter and with the default one, in turn
// within each round (A-B, then B-A), so that noise hits both; medians of µs per payload, bytes before and after.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import ms from 'ms';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, encodeToPayload, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { CommerceOrderEvent, DashboardRecord } from '../contracts';
import { encryptingDataConverter } from '../src/pii/data-converter';
import { parseKeyring } from '../src/pii/keyring';
import { UsageError, type BenchContext, type Benchmark } from './lib/benchmark';
import { codeRevision, describeMachine, formatLoadavg, machineInfo } from './lib/machine';
import { positiveInt } from './lib/options';
import { temporal } from './lib/proto';
import { fmt, median, table } from './lib/stats';

interface Options {
  rounds: number;
  /** Time of one measured batch (one path, one direction, one payload); the batch size is calibrated to it. */
  batchMs: number;
}

const USAGE = [
  '--rounds N   rounds; in each, every payload is encoded and decoded by both paths in turn (default 21; env BENCH_ROUNDS)',
  '--batch D    time of one measured batch: 25, 25ms, 0.1s (default 25 ms; env BENCH_BATCH)',
] as const;

function parseOptions(argv: readonly string[]): Options {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: { rounds: { type: 'string' }, batch: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const o = { rounds: positiveInt('rounds', values['rounds'], 'BENCH_ROUNDS', 21), batchMs: batchMs(values['batch'] ?? process.env['BENCH_BATCH']) };
  if (o.rounds > 1_000) throw new UsageError(`--rounds must be at most 1000, got ${o.rounds}`);
  return o;
}

/** A bare number is milliseconds here (batches are short), unlike the load benches' seconds. */
function batchMs(raw: string | undefined): number {
  const text = raw?.trim() ?? '';
  if (text === '') return 25;
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 2_000) {
    throw new UsageError(`--batch (or BENCH_BATCH) must be a duration from 1 ms to 2 s, like 25, 25ms or 0.1s, got "${raw}"`);
  }
  return value;
}

/** Per round: 4 payloads × 2 paths × 2 directions batches, plus the calibration and warm-up once. */
function expectedMs(o: Options): number {
  return WORKLOADS.length * 4 * o.batchMs * (o.rounds + 3);
}

export const codecBenchmark: Benchmark = {
  name: 'codec',
  summary: 'the payload codec per payload: SDK converter + AES-GCM codec vs the converter alone, encode and decode, bytes',
  usage: USAGE,
  budgetMs(argv) {
    try {
      return expectedMs(parseOptions(argv)) * 3 + 60_000;
    } catch {
      return 5 * 60_000;
    }
  },
  run: runCodecBenchmark,
};

// ---------------------------------------------------------------------------------------------------------------------
// Payloads: what the service really hands to Temporal.

const SEALED_EMAIL = `pii1.dk_${randomBytes(16).toString('base64url')}.${randomBytes(12 + 24 + 16).toString('base64url')}`;

/** The gateway's start argument / signal of one commerce webhook (contracts CommerceOrderEvent). */
function commerceEvent(items: number): CommerceOrderEvent {
  return {
    receivedAt: '2026-11-22T10:00:00.000Z',
    payload: {
      customer_id: 'cust-bench-0001',
      order: {
        order_id: 'bench-codec-000000001',
        items: Array.from({ length: items }, (_, i) => ({ item_id: `SKU-${String(i).padStart(5, '0')}-TSHIRT-M-BLUE`, quantity: 1 + (i % 3) })),
      },
    },
    sealedEmail: SEALED_EMAIL,
  };
}

/** The order's state as its query and updates answer it (contracts DashboardRecord), mid-life, with 10 items. */
function dashboardRecord(): DashboardRecord {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s)).toISOString();
  return {
    order_id: 'bench-codec-000000001',
    customer_id: 'cust-bench-0001',
    status: 'AWAITING_PAYMENT',
    status_reason: null,
    items: Array.from({ length: 10 }, (_, i) => ({ item_id: `SKU-${String(i).padStart(5, '0')}-TSHIRT-M-BLUE`, quantity: 1 + (i % 3), sku_id: `SKU-${i}`, brand_code: 'ACME' })),
    validation_errors: [],
    submitted_at: at(0),
    expires_at: '2026-12-22T10:00:00.000Z',
    updated_at: at(5),
    history: [
      { status: 'VALIDATING', at: at(0) },
      { status: 'ENRICHING', at: at(3) },
      { status: 'AWAITING_PAYMENT', at: at(5) },
    ],
    parked_steps: [],
    customer_email_sealed: SEALED_EMAIL,
  };
}

const WORKLOADS: ReadonlyArray<{ name: string; value: unknown }> = [
  { name: 'commerce event, 1 item', value: commerceEvent(1) },
  { name: 'commerce event, 50 items', value: commerceEvent(50) },
  { name: 'commerce event, 500 items', value: commerceEvent(500) },
  { name: 'dashboard record, 10 items', value: dashboardRecord() },
];

// ---------------------------------------------------------------------------------------------------------------------
// Measurement

type Path = 'plain' | 'encrypted';
type Direction = 'encode' | 'decode';

interface Subject {
  converter: LoadedDataConverter;
  /** The payload this path stores for the workload (what decode starts from). */
  stored: Payload;
}

/** µs per payload of `n` back-to-back calls of one direction on one path. */
async function batch(subject: Subject, value: unknown, direction: Direction, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  if (direction === 'encode') {
    for (let i = 0; i < n; i++) await encodeToPayload(subject.converter, value);
  } else {
    const payloads = [subject.stored];
    for (let i = 0; i < n; i++) await decodeFromPayloadsAtIndex(subject.converter, 0, payloads);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

/** Calls per batch so that the slower (encrypted) path's batch lasts about `batchMs`. */
async function calibrate(subject: Subject, value: unknown, direction: Direction, batchMs: number): Promise<number> {
  let n = 8;
  for (;;) {
    const us = await batch(subject, value, direction, n);
    if (us * n >= (batchMs * 1000) / 4 || n >= 1 << 20) return Math.max(16, Math.round((batchMs * 1000) / us));
    n *= 4;
  }
}

const payloadBytes = (p: Payload): number => temporal.api.common.v1.Payload.encode(p).finish().length;

interface Row {
  name: string;
  bytesPlain: number;
  bytesEncrypted: number;
  calls: Record<Direction, number>;
  us: Record<Path, Record<Direction, number[]>>;
}

async function runCodecBenchmark(argv: readonly string[], ctx: BenchContext): Promise<number> {
  const opts = parseOptions(argv);
  const machine = machineInfo();
  const started = Date.now();
  ctx.out(`# codec benchmark — ${new Date().toISOString()}`);
  ctx.out(`command   npm run bench -- codec ${argv.join(' ')}`.trimEnd());
  for (const line of describeMachine(machine)) ctx.out(line);
  ctx.out(`code      ${codeRevision() ?? '(not a git checkout)'}`);
  ctx.out(`settings  ${opts.rounds} rounds, batches of ~${opts.batchMs} ms; A-B then B-A in alternate rounds; one payload per SDK call`);
  ctx.out(`paths     plain = the SDK's default data converter; encrypted = + AesGcmPayloadCodec (src/pii/data-converter.ts), one fresh key`);

  const keyring = parseKeyring(`bench-1:${randomBytes(32).toString('base64')}`);
  const converters: Record<Path, LoadedDataConverter> = { plain: loadDataConverter(), encrypted: loadDataConverter(encryptingDataConverter(keyring)) };

  const rows: Row[] = [];
  const subjects: Array<Record<Path, Subject>> = [];
  for (const w of WORKLOADS) {
    const subject = {} as Record<Path, Subject>;
    for (const path of ['plain', 'encrypted'] as const) {
      const stored = await encodeToPayload(converters[path], w.value);
      // The benchmark is void if a path does not give the value back.
      if (!isDeepStrictEqual(await decodeFromPayloadsAtIndex(converters[path], 0, [stored]), w.value)) throw new Error(`${w.name}: the ${path} path does not round-trip`);
      subject[path] = { converter: converters[path], stored };
    }
    if (Buffer.from(subject.encrypted.stored.data ?? new Uint8Array()).includes(Buffer.from(SEALED_EMAIL))) throw new Error(`${w.name}: the encrypted payload holds the plaintext`);
    subjects.push(subject);
    ctx.log(`calibrating ${w.name}`);
    const calls = { encode: await calibrate(subject.encrypted, w.value, 'encode', opts.batchMs), decode: await calibrate(subject.encrypted, w.value, 'decode', opts.batchMs) };
    // Warm-up: one unmeasured batch of each kind, so both paths are optimised before round 1.
    for (const path of ['plain', 'encrypted'] as const) for (const d of ['encode', 'decode'] as const) await batch(subject[path], w.value, d, calls[d]);
    rows.push({
      name: w.name,
      bytesPlain: payloadBytes(subject.plain.stored),
      bytesEncrypted: payloadBytes(subject.encrypted.stored),
      calls,
      us: { plain: { encode: [], decode: [] }, encrypted: { encode: [], decode: [] } },
    });
  }

  for (let round = 0; round < opts.rounds; round++) {
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
    ctx.log(`round ${round + 1}/${opts.rounds}`);
    const order: Path[] = round % 2 === 0 ? ['plain', 'encrypted'] : ['encrypted', 'plain'];
    for (const [i, w] of WORKLOADS.entries()) {
      const row = rows[i]!;
      for (const d of ['encode', 'decode'] as const) {
        for (const path of order) row.us[path][d].push(await batch(subjects[i]![path], w.value, d, row.calls[d]));
      }
    }
  }

  // Per round the ratio of the two paths measured side by side, then the median: drift between rounds cancels out.
  const ratio = (row: Row, d: Direction) => median(row.us.encrypted[d].map((e, r) => e / (row.us.plain[d][r] ?? Number.NaN)));
  const codecUs = (row: Row, d: Direction) => median(row.us.encrypted[d].map((e, r) => e - (row.us.plain[d][r] ?? Number.NaN)));
  ctx.out('');
  ctx.out(`## Per payload: median of ${opts.rounds} rounds (µs); × = encrypted / plain (median of the per-round ratios)`);
  ctx.out(
    table(
      ['payload', 'bytes', 'encrypted', '+bytes', 'enc plain', 'enc crypt', 'enc ×', 'dec plain', 'dec crypt', 'dec ×', 'codec µs enc/dec'],
      rows.map((row) => [
        row.name,
        String(row.bytesPlain),
        String(row.bytesEncrypted),
        `+${row.bytesEncrypted - row.bytesPlain}`,
        fmt(median(row.us.plain.encode), 2),
        fmt(median(row.us.encrypted.encode), 2),
        fmt(ratio(row, 'encode'), 2),
        fmt(median(row.us.plain.decode), 2),
        fmt(median(row.us.encrypted.decode), 2),
        fmt(ratio(row, 'decode'), 2),
        `${fmt(codecUs(row, 'encode'), 2)} / ${fmt(codecUs(row, 'decode'), 2)}`,
      ]),
    ),
  );
  ctx.out('plain = the converter alone, crypt = converter + codec, per payload through encodeToPayload / decodeFromPayloadsAtIndex;');
  ctx.out('bytes = the stored temporal.api.common.v1.Payload (metadata + data); codec µs = crypt − plain, per round, median.');
  // The interquartile range, not max − min: one batch caught by a GC or a busy neighbour should not set the figure.
  const spread = (values: number[]) => {
    const sorted = Float64Array.from(values).sort();
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? Number.NaN;
    return values.length < 4 ? Number.NaN : (q(0.75) - q(0.25)) / median(values);
  };
  const worst = Math.max(...rows.flatMap((row) => (['plain', 'encrypted'] as const).flatMap((p) => (['encode', 'decode'] as const).map((d) => spread(row.us[p][d])))));
  ctx.out(`noise     widest interquartile range / median of any series across rounds: ${fmt(worst * 100, 0)} %`);
  ctx.out(`load avg  ${formatLoadavg(machineInfo().loadavg)} at end; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
