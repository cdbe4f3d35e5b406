// The verdict of a chaos run, from what was observed at its end (records, Kafka messages, refunds, webhook answers,
// API call times, the fault timeline): pure functions, so the rules are unit-tested (test/unit/chaos-report.test.ts).
import { expectedOutcome, type PlannedOrder } from './plan';

export interface FaultWindow {
  fault: string;
  /** epoch ms; an instantaneous fault (a SIGKILL) has end === start. */
  start: number;
  end: number;
  detail?: string;
}

export interface ObservedMessage {
  partition: number;
  offset: string;
  /** The broker's timestamp of the message (epoch ms). */
  timestamp: number;
  idempotencyKey: string | undefined;
  rrn: string | undefined;
}

export interface ObservedOrder {
  order: PlannedOrder;
  /** The record's status and reason at the end; null when GET answered 404 (or never answered 200). */
  record: { status: string; status_reason: string | null; rrn: string | null } | null;
  messages: ObservedMessage[];
  /** Refunds the Payment API made, per RRN of this order. */
  refunds: Record<string, number>;
  /** Every answer to a webhook of this order (retries included). */
  webhookAnswers: number[];
  /** Whether each kind of webhook got a 202 at least once. */
  accepted: { commerce: boolean; captures: string[] };
  /** Problems met while driving the order (e.g. a correction answered 422). */
  driverErrors: string[];
}

export interface RunFacts {
  startedAt: number;
  endedAt: number;
  orders: ObservedOrder[];
  faults: FaultWindow[];
  /** Calls per API, epoch ms each. */
  calls: { commerce: number[]; pim: number[] };
  /** The PIM outage window, for its calls per second. */
  pimOutage?: { start: number; end: number } | undefined;
  /** Orders the deadline cut off before they were final. */
  deadlineHit: boolean;
  /** Faults that could not be applied or undone (a restart that failed): the run did not test what it claims. */
  faultErrors?: string[];
  /** Alerts a Prometheus on the service's rules saw firing (--prometheus); informational, not part of the verdict. */
  alerts?: Array<{ alertname: string; labels: Record<string, string>; firstFiringMs: number; lastFiringMs: number }> | undefined;
  /** Why the run stopped before its end (npm start exited, Ctrl-C). */
  stoppedEarly?: string | undefined;
  settings: Record<string, unknown>;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export interface DuplicateDiagnosis {
  orderId: string;
  kind: string;
  messages: Array<ObservedMessage & { iso: string; activeFaults: string[]; recentFaults: string[] }>;
}

export interface ChaosReport {
  verdict: 'PASS' | 'FAIL';
  checks: Check[];
  totals: {
    orders: number;
    byKind: Record<string, number>;
    finalStatuses: Record<string, number>;
    messages: number;
    duplicateMessages: number;
    duplicatedOrders: number;
    refunds: number;
    webhookAnswers: Record<string, number>;
  };
  wrongStatus: Array<{ orderId: string; kind: string; expected: string; actual: string }>;
  lost: string[];
  unexpectedMessages: string[];
  refundProblems: Array<{ orderId: string; rrn: string; expected: number; actual: number }>;
  paidNotSettled: Array<{ orderId: string; rrn: string }>;
  lostAccepted: Array<{ orderId: string; what: string }>;
  badHeaders: Array<{ orderId: string; header: string | undefined }>;
  duplicates: DuplicateDiagnosis[];
  commerce: { maxPerSecond: number; atSecond: string | null; total: number };
  pimDuringOutage: { perSecond: number[]; total: number; seconds: number } | null;
  /** Calls per 5 s from the start of the orders to the end, per API: the outages' shape at a glance. */
  callsPer5s: { commerce: number[]; pim: number[] };
  faults: FaultWindow[];
  alerts: RunFacts['alerts'] | null;
  durationSeconds: number;
  settings: Record<string, unknown>;
}

/** Duplicates allowed: at most this share of the orders (issue 13 item 1). */
export const DUPLICATE_BUDGET = 0.005;
/** A fault that ended this long before a message still counts as "recent" for it (a kill's tasks time out later). */
const RECENT_MS = 15_000;

/** Most calls in any one wall-clock second, and which second. */
export function maxPerSecond(times: readonly number[]): { max: number; at: number | null } {
  const buckets = new Map<number, number>();
  for (const t of times) {
    const s = Math.floor(t / 1000);
    buckets.set(s, (buckets.get(s) ?? 0) + 1);
  }
  let max = 0;
  let at: number | null = null;
  for (const [s, c] of buckets) {
    if (c > max) {
      max = c;
      at = s;
    }
  }
  return { max, at: at === null ? null : at * 1000 };
}

/** Calls in each second of [start, end). */
export function perSecond(times: readonly number[], start: number, end: number): number[] {
  const seconds = Math.max(0, Math.ceil((end - start) / 1000));
  const out = new Array<number>(seconds).fill(0);
  for (const t of times) {
    if (t < start || t >= end) continue;
    const i = Math.floor((t - start) / 1000);
    out[i] = (out[i] ?? 0) + 1;
  }
  return out;
}

export function faultsAt(faults: readonly FaultWindow[], t: number): { active: string[]; recent: string[] } {
  const active: string[] = [];
  const recent: string[] = [];
  for (const f of faults) {
    const label = f.detail ? `${f.fault} (${f.detail})` : f.fault;
    if (t >= f.start && t <= f.end && f.end > f.start) active.push(label);
    else if (t > f.end && t - f.end <= RECENT_MS) recent.push(`${label} ${((t - f.end) / 1000).toFixed(1)}s before`);
  }
  return { active, recent };
}

const per5 = (acc: number[], c: number, i: number): number[] => {
  acc[Math.floor(i / 5)] = (acc[Math.floor(i / 5)] ?? 0) + c;
  return acc;
};

const count = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export function buildReport(facts: RunFacts): ChaosReport {
  const n = facts.orders.length;
  const byKind: Record<string, number> = {};
  const finalStatuses: Record<string, number> = {};
  const webhookAnswers: Record<string, number> = {};
  const wrongStatus: ChaosReport['wrongStatus'] = [];
  const lost: string[] = [];
  const unexpectedMessages: string[] = [];
  const refundProblems: ChaosReport['refundProblems'] = [];
  const paidNotSettled: ChaosReport['paidNotSettled'] = [];
  const lostAccepted: ChaosReport['lostAccepted'] = [];
  const badHeaders: ChaosReport['badHeaders'] = [];
  const duplicates: DuplicateDiagnosis[] = [];
  let messages = 0;
  let duplicateMessages = 0;
  let refunds = 0;
  const driverErrors: string[] = [];

  for (const o of facts.orders) {
    const { order } = o;
    const exp = expectedOutcome(order);
    count(byKind, order.kind);
    const actual = o.record === null ? 'NOT_FOUND' : o.record.status;
    count(finalStatuses, actual);
    for (const s of o.webhookAnswers) count(webhookAnswers, String(s));
    for (const e of o.driverErrors) driverErrors.push(`${order.orderId}: ${e}`);

    const statusOk = o.record !== null && o.record.status === exp.status && (exp.reason === undefined || o.record.status_reason === exp.reason);
    if (!statusOk) {
      wrongStatus.push({
        orderId: order.orderId,
        kind: order.kind,
        expected: exp.reason ? `${exp.status} (${exp.reason})` : exp.status,
        actual: o.record ? `${o.record.status}${o.record.status_reason ? ` (${o.record.status_reason})` : ''}` : 'NOT_FOUND',
      });
    }

    messages += o.messages.length;
    if (exp.messages === 1 && o.messages.length === 0) lost.push(order.orderId);
    if (exp.messages === 0 && o.messages.length > 0) unexpectedMessages.push(order.orderId);
    const wantKey = `order-${order.orderId}`;
    for (const m of o.messages) if (m.idempotencyKey !== wantKey) badHeaders.push({ orderId: order.orderId, header: m.idempotencyKey });
    if (o.messages.length > 1) {
      duplicateMessages += o.messages.length - 1;
      duplicates.push({
        orderId: order.orderId,
        kind: order.kind,
        messages: o.messages.map((m) => {
          const at = faultsAt(facts.faults, m.timestamp);
          return { ...m, iso: new Date(m.timestamp).toISOString(), activeFaults: at.active, recentFaults: at.recent };
        }),
      });
    }

    // Money: every RRN captured for the order is either what the forwarded message carries, or refunded exactly once.
    const forwardedRrns = new Set(o.messages.map((m) => m.rrn).filter((r): r is string => r !== undefined));
    for (const rrn of order.rrns) {
      const got = o.refunds[rrn] ?? 0;
      refunds += got;
      // A twice-paid order keeps whichever capture was confirmed first: the other one is the one owed back.
      let want = exp.refunded.includes(rrn) ? 1 : 0;
      if (order.kind === 'second_payment' && forwardedRrns.size > 0) want = forwardedRrns.has(rrn) ? 0 : 1;
      if (got !== want) refundProblems.push({ orderId: order.orderId, rrn, expected: want, actual: got });
      if (!forwardedRrns.has(rrn) && got === 0) paidNotSettled.push({ orderId: order.orderId, rrn });
    }

    // An accepted (202) event must show in the order: a webhook makes the record leave AWAITING_ORDER, a capture pays.
    if (o.accepted.commerce && (o.record === null || o.record.status === 'AWAITING_ORDER')) lostAccepted.push({ orderId: order.orderId, what: `commerce webhook accepted, record ${actual}` });
    if (o.accepted.captures.length > 0 && !o.accepted.commerce && o.record === null) lostAccepted.push({ orderId: order.orderId, what: 'capture accepted, no record' });
    for (const rrn of new Set(o.accepted.captures)) {
      const seen = forwardedRrns.has(rrn) || (o.refunds[rrn] ?? 0) > 0 || o.record?.rrn === rrn;
      if (!seen && o.record !== null && ['AWAITING_PAYMENT', 'CANCELLED', 'EXPIRED'].includes(o.record.status)) {
        lostAccepted.push({ orderId: order.orderId, what: `capture ${rrn} accepted, neither kept nor refunded (record ${actual})` });
      }
    }
  }

  const bad5xx = Object.entries(webhookAnswers).filter(([s]) => s !== '202' && s !== '503');
  const commerceMax = maxPerSecond(facts.calls.commerce);
  const pimDuringOutage = facts.pimOutage
    ? (() => {
        const ps = perSecond(facts.calls.pim, facts.pimOutage.start, facts.pimOutage.end);
        return { perSecond: ps, total: ps.reduce((a, b) => a + b, 0), seconds: ps.length };
      })()
    : null;
  const duplicatedOrders = duplicates.length;
  const budget = Math.floor(n * DUPLICATE_BUDGET);

  const checks: Check[] = [
    {
      name: 'final statuses as expected',
      pass: wrongStatus.length === 0,
      detail: wrongStatus.length === 0 ? `${n}/${n}` : `${wrongStatus.length} of ${n} not as expected${facts.deadlineHit ? ' (deadline reached)' : ''}`,
    },
    { name: 'no lost message (forwarded order without a message)', pass: lost.length === 0, detail: `${lost.length} lost` },
    { name: 'no message for an order that must not ship', pass: unexpectedMessages.length === 0, detail: `${unexpectedMessages.length}` },
    { name: 'every message carries idempotency-key = workflow id', pass: badHeaders.length === 0, detail: `${badHeaders.length} wrong` },
    {
      name: `duplicates ≤ ${DUPLICATE_BUDGET * 100}% of orders`,
      pass: duplicateMessages <= budget,
      detail: `${duplicateMessages} duplicate message(s) on ${duplicatedOrders} order(s); budget ${budget}`,
    },
    { name: 'refunds: exactly 1 where owed, 0 elsewhere', pass: refundProblems.length === 0, detail: `${refunds} refund(s), ${refundProblems.length} wrong` },
    { name: 'paid but neither forwarded nor refunded = 0', pass: paidNotSettled.length === 0, detail: `${paidNotSettled.length}` },
    {
      name: 'webhook answers only 202 or 503',
      pass: bad5xx.length === 0,
      detail: Object.entries(webhookAnswers).map(([s, c]) => `${s}×${c}`).join(' ') || 'none',
    },
    { name: 'no 202 whose event was lost', pass: lostAccepted.length === 0, detail: `${lostAccepted.length}` },
    { name: 'driver met no unexpected answer', pass: driverErrors.length === 0, detail: driverErrors.slice(0, 5).join('; ') || 'none' },
    {
      name: 'every fault applied, run not stopped early',
      pass: (facts.faultErrors ?? []).length === 0 && facts.stoppedEarly === undefined,
      detail: [...(facts.faultErrors ?? []), ...(facts.stoppedEarly ? [facts.stoppedEarly.split('\n')[0] ?? ''] : [])].join('; ') || 'yes',
    },
    {
      name: 'Commerce calls ≤ 150 in any second (contract §5)',
      pass: commerceMax.max <= 150,
      detail: `max ${commerceMax.max}/s${commerceMax.at ? ` at ${new Date(commerceMax.at).toISOString()}` : ''}`,
    },
  ];

  return {
    verdict: checks.every((c) => c.pass) ? 'PASS' : 'FAIL',
    checks,
    totals: { orders: n, byKind, finalStatuses, messages, duplicateMessages, duplicatedOrders, refunds, webhookAnswers },
    wrongStatus,
    lost,
    unexpectedMessages,
    refundProblems,
    paidNotSettled,
    lostAccepted,
    badHeaders,
    duplicates,
    commerce: { maxPerSecond: commerceMax.max, atSecond: commerceMax.at ? new Date(commerceMax.at).toISOString() : null, total: facts.calls.commerce.length },
    pimDuringOutage,
    callsPer5s: {
      commerce: perSecond(facts.calls.commerce, facts.startedAt, facts.endedAt).reduce(per5, []),
      pim: perSecond(facts.calls.pim, facts.startedAt, facts.endedAt).reduce(per5, []),
    },
    faults: facts.faults,
    alerts: facts.alerts ?? null,
    durationSeconds: Math.round((facts.endedAt - facts.startedAt) / 1000),
    settings: facts.settings,
  };
}

/** The report for a terminal: the verdict, each check, then what went wrong and the duplicates with their faults. */
export function formatReport(r: ChaosReport, jsonFile?: string): string {
  const t0 = r.faults.length > 0 ? Math.min(...r.faults.map((f) => f.start)) : 0;
  const rel = (t: number) => `+${((t - t0) / 1000).toFixed(1)}s`;
  const lines: string[] = [];
  lines.push(`=== chaos run: ${r.verdict} (${r.totals.orders} orders, ${r.durationSeconds} s) ===`);
  for (const c of r.checks) lines.push(`  [${c.pass ? 'ok  ' : 'FAIL'}] ${c.name}: ${c.detail}`);
  lines.push(`  kinds:    ${Object.entries(r.totals.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  statuses: ${Object.entries(r.totals.finalStatuses).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  messages: ${r.totals.messages} (duplicates ${r.totals.duplicateMessages} on ${r.totals.duplicatedOrders} orders); refunds ${r.totals.refunds}`);
  lines.push(`  Commerce: ${r.commerce.total} calls, max ${r.commerce.maxPerSecond} in one second`);
  if (r.pimDuringOutage) {
    lines.push(`  PIM while down: ${r.pimDuringOutage.total} calls in ${r.pimDuringOutage.seconds} s (per second: ${r.pimDuringOutage.perSecond.join(' ')})`);
  }
  lines.push(`  calls per 5 s from the first order: Commerce ${r.callsPer5s.commerce.join(' ')}`);
  lines.push(`                                      PIM      ${r.callsPer5s.pim.join(' ')}`);
  const kills = r.faults.filter((f) => f.fault === 'worker SIGKILL').length;
  lines.push(`  faults (${kills} worker kills, t0 = first fault):`);
  for (const f of r.faults.filter((x) => x.fault !== 'worker SIGKILL')) {
    lines.push(`    ${rel(f.start)} … ${rel(f.end)}  ${f.fault}${f.detail ? ` (${f.detail})` : ''}`);
  }
  if (r.alerts) {
    lines.push(`  alerts fired (Prometheus): ${r.alerts.length === 0 ? 'none' : ''}`);
    for (const a of r.alerts) {
      const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',');
      lines.push(`    ${rel(a.firstFiringMs)} … ${rel(a.lastFiringMs)}  ${a.alertname}${labels ? ` {${labels}}` : ''}`);
    }
  }
  const list = <T>(title: string, xs: readonly T[], show: (x: T) => string) => {
    if (xs.length === 0) return;
    lines.push(`  ${title} (${xs.length}):`);
    for (const x of xs.slice(0, 25)) lines.push(`    ${show(x)}`);
    if (xs.length > 25) lines.push(`    … ${xs.length - 25} more in the JSON report`);
  };
  list('not as expected', r.wrongStatus, (w) => `${w.orderId} [${w.kind}] expected ${w.expected}, is ${w.actual}`);
  list('lost messages', r.lost, (id) => id);
  list('refund problems', r.refundProblems, (p) => `${p.orderId} ${p.rrn}: ${p.actual} refund(s), expected ${p.expected}`);
  list('paid, neither forwarded nor refunded', r.paidNotSettled, (p) => `${p.orderId} ${p.rrn}`);
  list('accepted (202) but lost', r.lostAccepted, (p) => `${p.orderId}: ${p.what}`);
  list('duplicated orders', r.duplicates, (d) =>
    [
      `${d.orderId} [${d.kind}]`,
      ...d.messages.map(
        (m) =>
          `      p${m.partition}@${m.offset} ${m.iso} (${rel(m.timestamp)}) active: ${m.activeFaults.join(', ') || '-'}; recent: ${m.recentFaults.join(', ') || '-'}`,
      ),
    ].join('\n'),
  );
  if (jsonFile) lines.push(`  JSON report: ${jsonFile}`);
  return lines.join('\n');
}
