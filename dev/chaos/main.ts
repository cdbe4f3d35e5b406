// `npm run chaos [-- --orders N --fault-scale S …]`: N orders through the gateway of `npm start -- --workers 2` on the
// local stack with the independent fakes, while workers are SIGKILLed, Kafka and Temporal restart, the Commerce App
// errs, PIM is down and the store is unreachable; then a report of what the contract promises (PASS/FAIL, exit 0/1).
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DEV_SECRETS } from '../../src/config';
import { startIndependentApis, type IndependentApis } from '../../test/helpers/independent-apis';
import { isPidAlive, sleep } from '../stack/processes';
import { ChaosUsageError, faultSchedule, parseChaosArgs, type ChaosArgs, type ScheduledFault } from './args';
import { createDriver, type Driver } from './driver';
import { expectedOutcome, ITEM_POOL, kindCounts, planOrders, type PlannedOrder } from './plan';
import { buildReport, formatReport, type FaultWindow, type ObservedMessage, type ObservedOrder } from './report';
import { startPrometheus, type RunningPrometheus } from './prometheus';
import { FULFILLMENT_TOPIC, startChaosStack, type ChaosStack } from './stack';

const say = (message: string): void => {
  process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

const TERMINAL = new Set(['FORWARDED', 'CANCELLED', 'EXPIRED']);
/** How long an order whose driver gave up must keep its status before the wait stops watching it. */
const STUCK_MS = 60_000;
/** Bounds on the fault injector itself, whatever the flags say. */
const MAX_KILLS = 1000;

interface RunState {
  stopped: boolean;
  reason: string | undefined;
}

function seedApis(apis: IndependentApis, orders: readonly PlannedOrder[]): void {
  for (const item of ITEM_POOL) apis.items.set(item.item_id, item);
  const placedAt = new Date().toISOString();
  for (const o of orders) {
    apis.orders.set(o.orderId, { order_id: o.orderId, customer_id: o.customerId, items: o.commerceItems, placed_at: placedAt });
    for (const rrn of o.rrns) apis.payments.set(rrn, { rrn, order_id: o.orderId, amount_cents: o.amountCents, status: 'captured' });
  }
}

/** Commerce answers 50 % 5xx, and every 10 s a 2-s burst of 429 with Retry-After. */
function commerceFaults(apis: IndependentApis): void {
  const start = Date.now();
  apis.faults.commerce = () => {
    const second = Math.floor((Date.now() - start) / 1000);
    if (second % 10 >= 8) return { status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate limited (chaos)' } };
    if (Math.random() < 0.5) return { status: [500, 502, 503][Math.floor(Math.random() * 3)] ?? 503, body: { error: 'chaos' } };
    return undefined;
  };
}

async function runFault(f: ScheduledFault, stack: ChaosStack, apis: IndependentApis, timeline: FaultWindow[], state: RunState): Promise<void> {
  if (state.stopped) return;
  let start = Date.now();
  const record = (fault: string, detail?: string) => {
    timeline.push({ fault, start, end: Date.now(), ...(detail ? { detail } : {}) });
    say(`fault done: ${fault} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  };
  const hold = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until && !state.stopped) await sleep(Math.min(250, until - Date.now()));
  };
  say(`fault: ${f.kind}${f.durationMs ? ` for ${(f.durationMs / 1000).toFixed(0)} s` : ''}`);
  switch (f.kind) {
    case 'commerce-errors':
      commerceFaults(apis);
      await hold(f.durationMs);
      delete apis.faults.commerce;
      return record('Commerce 50% 5xx + 429 bursts');
    case 'pim-down':
      apis.faults.pim = () => ({ status: 503, body: { error: 'down (chaos)' } });
      await hold(f.durationMs);
      delete apis.faults.pim;
      return record('PIM down');
    case 'store-unreachable':
      stack.storeProxy.down();
      await hold(f.durationMs);
      stack.storeProxy.up();
      return record('store unreachable', `${JSON.stringify(stack.storeProxy.counts())}`);
    case 'kafka-restart':
      start = await stack.restartKafka();
      return record('Kafka restart');
    case 'temporal-restart':
      start = await stack.restartTemporal();
      return record('Temporal restart');
  }
}

/** A worker SIGKILLed every `everyS` seconds until `until()` says stop; its supervisor restarts it. */
async function killWorkers(
  stack: ChaosStack,
  everyS: number,
  until: () => boolean,
  timeline: FaultWindow[],
  state: RunState,
): Promise<{ kills: number; skipped: number }> {
  let kills = 0;
  let skipped = 0;
  let turn = 0;
  const killed = new Set<number>();
  while (!until() && !state.stopped && kills < MAX_KILLS) {
    await sleep(everyS * 1000);
    if (until() || state.stopped) break;
    const procs = await stack.processes().catch(() => undefined);
    if (!procs) continue;
    // Take turns; skip a worker that is still down from the last kill (its new pid is not listed yet).
    const before = kills;
    for (let k = 0; k < procs.workers.length; k++) {
      const w = procs.workers[(turn + k) % procs.workers.length];
      if (!w || killed.has(w.pid) || !isPidAlive(w.pid)) continue;
      try {
        process.kill(w.pid, 'SIGKILL');
      } catch {
        continue;
      }
      killed.add(w.pid);
      kills += 1;
      const now = Date.now();
      timeline.push({ fault: 'worker SIGKILL', start: now, end: now, detail: `worker ${w.n} pid ${w.pid}` });
      break;
    }
    if (kills === before) skipped += 1;
    turn += 1;
  }
  return { kills, skipped };
}

async function readTopic(brokers: string[]): Promise<Map<string, ObservedMessage[]>> {
  const kafka = new Kafka({ clientId: 'oms-chaos-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(FULFILLMENT_TOPIC);
  await admin.disconnect();
  const byKey = new Map<string, ObservedMessage[]>();
  const next = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: `oms-chaos-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: FULFILLMENT_TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      next.set(partition, BigInt(message.offset) + 1n);
      const key = message.key?.toString() ?? '';
      let rrn: string | undefined;
      try {
        const value = JSON.parse(message.value?.toString() ?? 'null') as { payment_details?: { rrn?: string } } | null;
        rrn = value?.payment_details?.rrn;
      } catch {
        rrn = undefined;
      }
      const header = message.headers?.['idempotency-key'];
      const list = byKey.get(key) ?? [];
      list.push({ partition, offset: message.offset, timestamp: Number(message.timestamp), idempotencyKey: header === undefined ? undefined : String(header), rrn });
      byKey.set(key, list);
    },
  });
  const deadline = Date.now() + 120_000;
  while (ends.some((p) => (next.get(p.partition) ?? 0n) < BigInt(p.high))) {
    if (Date.now() > deadline) throw new Error('the topic reader did not reach the end of order-fulfillment in 120 s');
    await sleep(200);
  }
  await consumer.disconnect();
  return byKey;
}

/** Polls the records until every order is settled (terminal, and refunded where owed) or the deadline passes. */
async function waitUntilSettled(
  orders: readonly PlannedOrder[],
  driver: Driver,
  apis: IndependentApis,
  deadline: number,
  state: RunState,
): Promise<{ records: Map<string, Record<string, unknown> | null>; deadlineHit: boolean }> {
  const records = new Map<string, Record<string, unknown> | null>();
  const pending = new Set(orders.map((o) => o.orderId));
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  /** An order whose driver gave up (errors recorded) and whose status stays put will not move: it is not waited for. */
  const lastChange = new Map<string, { status: string; since: number }>();
  let lastLog = 0;
  while (pending.size > 0 && Date.now() < deadline && !state.stopped) {
    const ids = [...pending];
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(
        ids.slice(i, i + 8).map(async (id) => {
          const { http, record } = await driver.getRecord(id);
          if (http === 200 || http === 404) records.set(id, record);
          const order = byId.get(id);
          const status = typeof record?.status === 'string' ? record.status : '';
          const trace = driver.traces.get(id);
          const seen = lastChange.get(id);
          if (seen?.status !== status) lastChange.set(id, { status, since: Date.now() });
          else if (trace?.done && trace.driverErrors.length > 0 && Date.now() - seen.since > STUCK_MS) {
            pending.delete(id);
            return;
          }
          if (!order || !TERMINAL.has(status) || !trace?.done) return;
          const owed = expectedOutcome(order).refunded.length;
          const refunded = new Set(apis.refunds.filter((r) => order.rrns.includes(r.rrn)).map((r) => r.rrn)).size;
          if (refunded >= owed) pending.delete(id);
        }),
      );
    }
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      const statuses: Record<string, number> = {};
      for (const id of pending) {
        const s = String(records.get(id)?.status ?? 'none');
        statuses[s] = (statuses[s] ?? 0) + 1;
      }
      say(`waiting for ${pending.size} order(s): ${JSON.stringify(statuses)}`);
    }
    if (pending.size > 0) await sleep(3000);
  }
  return { records, deadlineHit: pending.size > 0 };
}

interface Cleanup {
  stack?: ChaosStack;
  apis?: IndependentApis;
  prometheus?: RunningPrometheus;
}

async function run(args: ChaosArgs, state: RunState, cleanup: Cleanup): Promise<boolean> {
  const runId = Date.now().toString(36);
  const dataDir = path.resolve(args.dataDir ?? path.join('.data', 'chaos', runId));
  await mkdir(dataDir, { recursive: true });
  const orders = planOrders(args.orders, args.seed, runId);
  say(`run ${runId}: ${args.orders} orders ${JSON.stringify(kindCounts(args.orders))}, rate ${args.rate}/s, fault scale ${args.faultScale}, data ${dataDir}`);

  const apis = await startIndependentApis();
  cleanup.apis = apis;
  seedApis(apis, orders);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  say(`starting the stack (store: ${databaseUrl ? 'PostgreSQL from DATABASE_URL' : 'embedded shared store'}, behind a fault proxy)…`);
  const stack = await startChaosStack({
    dataDir,
    workers: args.workers,
    apiUrls: apis.urls,
    databaseUrl,
    extraEnv: {
      LOG_LEVEL: 'warn',
      PAYMENT_CAPTURE_WINDOW: `${Math.round(args.captureWindowMs / 1000)}s`,
      COMMERCE_WEBHOOK_SECRET: DEV_SECRETS.COMMERCE_WEBHOOK_SECRET,
      PAYMENT_WEBHOOK_SECRET: DEV_SECRETS.PAYMENT_WEBHOOK_SECRET,
      SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN,
    },
    log: say,
  });
  cleanup.stack = stack;
  void stack.exited.then((code) => {
    if (state.stopped) return;
    state.stopped = true;
    state.reason = `npm start exited (code ${code}) during the run`;
    say(`${state.reason}; its last output:\n${stack.output().slice(-3000)}`);
  });
  say(`stack ready: gateway ${stack.gatewayUrl}, Temporal ${stack.temporalAddress}, Kafka ${stack.kafkaBrokers.join(',')}`);

  if (args.prometheus) {
    const procs = await stack.processes();
    cleanup.prometheus = await startPrometheus({
      targets: { gateway: stack.gatewayUrl, workers: procs.workers.map((w) => w.metrics).filter((m): m is string => m !== null) },
      dataDir: path.join(dataDir, 'prometheus'),
      log: say,
    });
  }

  const startedAt = Date.now();
  const deadline = startedAt + args.deadlineMs;
  const timeline: FaultWindow[] = [];
  const driver = createDriver(
    stack.gatewayUrl,
    { commerce: DEV_SECRETS.COMMERCE_WEBHOOK_SECRET, payment: DEV_SECRETS.PAYMENT_WEBHOOK_SECRET, support: DEV_SECRETS.SUPPORT_API_TOKEN },
    () => state.stopped || Date.now() > deadline,
  );
  const schedule = faultSchedule(args.faultScale);
  const faultErrors: string[] = [];
  let sending = true;
  let faulting = true;
  const sent = driver.run(orders, args.rate, args.concurrency).finally(() => {
    sending = false;
    say(`all ${orders.length} orders started (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  });
  const faults = Promise.all(
    schedule.map(async (f) => {
      await sleep(Math.max(0, startedAt + f.atMs - Date.now()));
      const start = Date.now();
      await runFault(f, stack, apis, timeline, state).catch((err: unknown) => {
        // A fault that could not be applied (or undone) is on the timeline and fails the run, never hides it.
        timeline.push({ fault: `FAILED ${f.kind}`, start, end: Date.now(), detail: (err as Error).message.split('\n')[0] ?? '' });
        faultErrors.push(`${f.kind}: ${(err as Error).message}`);
        say(`fault ${f.kind} failed: ${(err as Error).message}`);
      });
    }),
  ).finally(() => (faulting = false));
  // Kills go on through every other fault, the store outage too: a worker restarted into it waits for the store.
  const kills = killWorkers(stack, args.killEverySeconds, () => !sending && !faulting, timeline, state);
  await Promise.all([sent, faults]);
  const { kills: killCount, skipped: killsSkipped } = await kills;
  say(
    `faults over: ${killCount} worker kills (${killsSkipped} ticks skipped: every worker was still restarting); waiting for the orders' scripts…`,
  );
  const scriptsDone = driver.finished();
  let allDone = false;
  void scriptsDone.then(() => (allDone = true));
  while (!allDone && Date.now() < deadline && !state.stopped) {
    await Promise.race([scriptsDone, sleep(15_000)]);
    if (!allDone) say(`${driver.running()} order script(s) still running (corrections waiting for NEEDS_CORRECTION, or retrying)`);
  }

  const { records, deadlineHit } = await waitUntilSettled(orders, driver, apis, deadline, state);
  say(deadlineHit ? 'deadline reached: reporting what is not final' : 'every order is settled; reading the topic…');
  const messages = await readTopic(stack.kafkaBrokers);
  const endedAt = Date.now();
  const alerts = cleanup.prometheus ? await cleanup.prometheus.firedAlerts(startedAt).catch((err: unknown) => {
    say(`could not read the alerts: ${(err as Error).message}`);
    return undefined;
  }) : undefined;

  const refundsByRrn = new Map<string, number>();
  for (const r of apis.refunds) refundsByRrn.set(r.rrn, (refundsByRrn.get(r.rrn) ?? 0) + 1);
  const observed: ObservedOrder[] = orders.map((order) => {
    const rec = records.get(order.orderId) ?? null;
    const trace = driver.traces.get(order.orderId);
    const payment = rec?.payment as { rrn?: string } | null | undefined;
    return {
      order,
      record: rec ? { status: String(rec.status), status_reason: (rec.status_reason as string | null) ?? null, rrn: payment?.rrn ?? null } : null,
      messages: (messages.get(order.orderId) ?? []).sort((a, b) => a.timestamp - b.timestamp),
      refunds: Object.fromEntries(order.rrns.map((rrn) => [rrn, refundsByRrn.get(rrn) ?? 0])),
      webhookAnswers: trace?.webhookAnswers ?? [],
      accepted: trace?.accepted ?? { commerce: false, captures: [] },
      driverErrors: [...(trace?.driverErrors ?? []), ...(trace ? [] : ['never started (the run stopped first)'])],
    };
  });
  const pimWindow = timeline.find((f) => f.fault === 'PIM down');
  const report = buildReport({
    startedAt,
    endedAt,
    orders: observed,
    faults: timeline.sort((a, b) => a.start - b.start),
    calls: { commerce: apis.calls.filter((c) => c.api === 'commerce').map((c) => c.at), pim: apis.calls.filter((c) => c.api === 'pim').map((c) => c.at) },
    pimOutage: pimWindow ? { start: pimWindow.start, end: pimWindow.end } : undefined,
    deadlineHit,
    faultErrors,
    alerts,
    stoppedEarly: state.reason,
    settings: {
      ...args,
      runId,
      dataDir,
      store: stack.storeKind,
      workerKills: killCount,
      workerKillTicksSkipped: killsSkipped,
      stoppedEarly: state.reason ?? null,
      faultErrors,
      paymentCaptureWindow: `${Math.round(args.captureWindowMs / 1000)}s`,
    },
  });
  // From here on npm start's exit is the run's own stop, not a failure.
  state.stopped = true;
  const jsonFile = path.join(dataDir, 'chaos-report.json');
  await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(report, jsonFile)}\n`);
  return report.verdict === 'PASS';
}

async function main(): Promise<void> {
  let args: ChaosArgs;
  try {
    args = parseChaosArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ChaosUsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const state: RunState = { stopped: false, reason: undefined };
  const cleanup: Cleanup = {};
  let stopping: Promise<void> | undefined;
  const stopEverything = () =>
    (stopping ??= (async () => {
      say('stopping every process of the run…');
      await cleanup.prometheus?.stop().catch(() => undefined);
      await cleanup.stack?.stop();
      await cleanup.apis?.stop();
      say('stopped');
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (state.stopped && stopping) return;
      state.stopped = true;
      state.reason = `interrupted by ${signal}`;
      setTimeout(() => process.exit(1), 90_000).unref();
      void stopEverything().finally(() => process.exit(1));
    });
  }
  let pass = false;
  try {
    pass = await run(args, state, cleanup);
  } catch (err) {
    say(`chaos run failed: ${(err as Error).stack ?? String(err)}`);
  }
  await stopEverything();
  process.exit(pass ? 0 : 1);
}

await main();
