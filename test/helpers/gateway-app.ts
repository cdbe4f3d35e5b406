// What the gateway's unit and property tests share: the gateway built with recording fakes (app.inject, no servers),
// JSON exactly as it goes on the wire, values inside and outside the input rules of contract §4 (with oracles written
// here, independently of contracts/inputs.ts), and the mutations that turn a valid body into a mistyped one.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { onTestFinished } from 'vitest';
import { z } from 'zod';
import type { CommerceOrderEvent, CorrectionRequest, CorrectionResult, DashboardRecord, OrderStatus, PaymentCaptureEvent, RetryRequest, RiskDecisionRequest, CancelRequest } from '../../contracts';
import { DEV_CODEC_CORS_ORIGINS } from '../../src/config';
import { gatewayApp, gatewayServerOptions, type GatewayDeps, type GatewayOptions } from '../../src/gateway/app';
import type { GatewayMetrics } from '../../src/gateway/metrics';
import type { ReadinessCheck } from '../../src/gateway/routes/health';
import { createCustomerEmails, type CustomerEmails } from '../../src/pii/customer-emails';
import { DEV_PII_KEY, parseKeyring, type Keyring } from '../../src/pii/keyring';
import { AesGcmPayloadCodec } from '../../src/pii/payload-codec';
import { createMemoryCustomerKeyStore } from '../../src/store/customer-key-store';
import type { DashboardStore, ListOptions } from '../../src/store/dashboard-store';
import type { OrderCommands } from '../../src/temporal/order-commands';
import type { DeliveryOutcome, OrderEventSink } from '../../src/temporal/order-events';

// ---------------------------------------------------------------------------------------------------------------
// The gateway under test, with fakes for Temporal, the dashboard store and the order commands.

export interface GatewaySecrets {
  commerceWebhook: string;
  paymentWebhook: string;
  supportApiToken: string;
  /** Default: DEFAULT_SECRETS' one. */
  codecApiToken?: string;
}

/** Records every event handed to "Temporal"; can be told to answer late_event or to fail. */
export class RecordingSink implements OrderEventSink {
  readonly commerceEvents: CommerceOrderEvent[] = [];
  readonly paymentEvents: Array<{ orderId: string; event: PaymentCaptureEvent }> = [];
  answer: DeliveryOutcome | Error = 'delivered';

  get calls(): number {
    return this.commerceEvents.length + this.paymentEvents.length;
  }

  reset(): void {
    this.commerceEvents.length = 0;
    this.paymentEvents.length = 0;
    this.answer = 'delivered';
  }

  async commerceOrder(event: CommerceOrderEvent): Promise<DeliveryOutcome> {
    if (this.answer instanceof Error) throw this.answer;
    this.commerceEvents.push(event);
    return this.answer;
  }

  async paymentCapture(orderId: string, event: PaymentCaptureEvent): Promise<DeliveryOutcome> {
    if (this.answer instanceof Error) throw this.answer;
    this.paymentEvents.push({ orderId, event });
    return this.answer;
  }
}

/** The read side of the dashboard store over a Map, with the documented orderings. */
export class InMemoryStore implements Pick<DashboardStore, 'get' | 'listByCustomer' | 'listByStatus'> {
  readonly records = new Map<string, DashboardRecord>();
  readonly statusQueries: Array<{ status: OrderStatus; opts: ListOptions | undefined }> = [];

  put(...records: DashboardRecord[]): this {
    for (const r of records) this.records.set(r.order_id, r);
    return this;
  }

  async get(orderId: string): Promise<DashboardRecord | undefined> {
    return this.records.get(orderId);
  }

  async listByCustomer(customerId: string, opts?: ListOptions): Promise<DashboardRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.customer_id === customerId)
      .sort((a, b) => b.submitted_at.localeCompare(a.submitted_at))
      .slice(0, opts?.limit ?? 100);
  }

  async listByStatus(status: OrderStatus, opts?: ListOptions): Promise<DashboardRecord[]> {
    this.statusQueries.push({ status, opts });
    return [...this.records.values()]
      .filter((r) => r.status === status)
      .sort((a, b) => a.submitted_at.localeCompare(b.submitted_at))
      .slice(0, opts?.limit ?? 100);
  }
}

/** A dashboard record the response schema accepts (contract §6), for fakes to answer with. */
export function dashboardRecord(orderId: string, overrides: Partial<DashboardRecord> = {}): DashboardRecord {
  return {
    order_id: orderId,
    customer_id: 'cus-007',
    status: 'AWAITING_PAYMENT',
    status_reason: null,
    items: [{ item_id: 'itm-tee', quantity: 2, sku_id: 'SKU-TEE', brand_code: 'ACME' }],
    validation_errors: [],
    submitted_at: '2026-11-22T10:00:00.000Z',
    expires_at: '2026-12-22T10:00:00.000Z',
    updated_at: '2026-11-22T10:00:05.000Z',
    history: [
      { status: 'VALIDATING', at: '2026-11-22T10:00:00.000Z' },
      { status: 'AWAITING_PAYMENT', at: '2026-11-22T10:00:05.000Z' },
    ],
    parked_steps: [],
    ...overrides,
  };
}

export type CommandCall =
  | { command: 'cancel'; orderId: string; request: CancelRequest }
  | { command: 'correct'; orderId: string; request: CorrectionRequest }
  | { command: 'retryParked'; orderId: string; request: RetryRequest }
  | { command: 'decideRisk'; orderId: string; request: RiskDecisionRequest };

/** Stands in for the Temporal Updates: every call would change an order, so it is recorded and answered with success. */
export class RecordingCommands implements OrderCommands {
  readonly calls: CommandCall[] = [];

  reset(): void {
    this.calls.length = 0;
  }

  async cancel(orderId: string, request: CancelRequest): Promise<DashboardRecord> {
    this.calls.push({ command: 'cancel', orderId, request });
    return dashboardRecord(orderId, { status: 'CANCELLED', status_reason: request.reason });
  }

  async correct(orderId: string, request: CorrectionRequest): Promise<CorrectionResult> {
    this.calls.push({ command: 'correct', orderId, request });
    return { accepted: true, record: dashboardRecord(orderId) };
  }

  async retryParked(orderId: string, request: RetryRequest): Promise<DashboardRecord> {
    this.calls.push({ command: 'retryParked', orderId, request });
    return dashboardRecord(orderId);
  }

  async decideRisk(orderId: string, request: RiskDecisionRequest): Promise<DashboardRecord> {
    this.calls.push({ command: 'decideRisk', orderId, request });
    return dashboardRecord(orderId, request.decision === 'approve' ? { status: 'FORWARDING' } : { status: 'CANCELLED', status_reason: 'risk_rejected' });
  }
}

/** Collaborators a test must never reach: each call is recorded, then fails (which would surface as a 5xx). */
export class StrayCalls {
  readonly names: string[] = [];

  forbid(name: string): () => Promise<never> {
    return async () => {
      this.names.push(name);
      throw new Error(`this request must not call ${name}`);
    };
  }

  get sink(): OrderEventSink {
    return { commerceOrder: this.forbid('events.commerceOrder'), paymentCapture: this.forbid('events.paymentCapture') };
  }

  get commands(): OrderCommands {
    return {
      cancel: this.forbid('commands.cancel'),
      correct: this.forbid('commands.correct'),
      retryParked: this.forbid('commands.retryParked'),
      decideRisk: this.forbid('commands.decideRisk'),
    };
  }

  get store(): Pick<DashboardStore, 'get' | 'listByCustomer' | 'listByStatus'> {
    return { get: this.forbid('store.get'), listByCustomer: this.forbid('store.listByCustomer'), listByStatus: this.forbid('store.listByStatus') };
  }

  get readiness(): Record<string, ReadinessCheck> {
    return { temporal: this.forbid('readiness.temporal'), kafka: this.forbid('readiness.kafka') };
  }
}

export const DEFAULT_SECRETS: GatewaySecrets = {
  commerceWebhook: 'test-commerce-webhook-secret',
  paymentWebhook: 'test-payment-webhook-secret',
  supportApiToken: 'test-support-api-token',
  codecApiToken: 'test-codec-api-token',
};

type GatewayStore = GatewayOptions['store'];

export interface BuildOptions<Sink extends OrderEventSink, Store extends GatewayStore> {
  /** Default: a fresh RecordingSink. */
  events?: Sink;
  /** The commands a test expects; every other one refuses (a 5xx, so a stray call shows). */
  commands?: Partial<OrderCommands>;
  /** Default: a fresh InMemoryStore. */
  store?: Store;
  /** Gives the store a countParked, which turns on the oms_orders_with_parked_steps gauge. */
  countParked?: DashboardStore['countParked'];
  /** Default: DEFAULT_SECRETS. */
  secrets?: GatewaySecrets;
  /** Default: every check passes. */
  readiness?: Record<string, ReadinessCheck>;
  /** Default: no logging. */
  logger?: GatewayDeps['logger'];
  /** Default: a fresh registry, as in production. */
  metrics?: GatewayMetrics;
  /** Default: the dev key. */
  keyring?: Keyring;
  /** Default: real envelope encryption over an in-memory key store. */
  emails?: CustomerEmails;
  /** Default: CODEC_CORS_ORIGINS' default (the local Web UI). */
  codecCorsOrigins?: string[];
  /**
   * One gateway for many tests, built in beforeAll: its caller closes it (afterAll). Without it the gateway closes when
   * the test that built it finishes, so it can only be built inside a test.
   */
  shared?: boolean;
}

export interface TestGateway<Sink extends OrderEventSink, Store extends GatewayStore> {
  app: FastifyInstance;
  /** The event sink the gateway hands webhooks to ("Temporal"). */
  sink: Sink;
  store: Store;
  emails: CustomerEmails;
  codec: AesGcmPayloadCodec;
}

function refusing(name: string): () => Promise<never> {
  return async () => Promise.reject(new Error(`unexpected call of ${name}`));
}

/** The store as it is, plus a countParked (a delegate, so that the caller's store object stays untouched). */
function withCountParked(store: GatewayStore, countParked: DashboardStore['countParked']): GatewayStore {
  return {
    get: (orderId) => store.get(orderId),
    listByCustomer: (customerId, opts) => store.listByCustomer(customerId, opts),
    listByStatus: (status, opts) => store.listByStatus(status, opts),
    countParked,
  };
}

/**
 * The one way tests build the gateway: the real plugin (every plugin, hook and route) on a Fastify instance made with
 * the production server options, as server.ts does, over fakes for Temporal, the store and the commands.
 */
export async function build<Sink extends OrderEventSink = RecordingSink, Store extends GatewayStore = InMemoryStore>(
  options: BuildOptions<Sink, Store> = {},
): Promise<TestGateway<Sink, Store>> {
  // The casts only name the defaults: a caller that passes no sink (store) gets a RecordingSink (InMemoryStore).
  const sink = options.events ?? (new RecordingSink() as OrderEventSink as Sink);
  const store = options.store ?? (new InMemoryStore() as GatewayStore as Store);
  const given = options.commands ?? {};
  const commands: OrderCommands = {
    cancel: given.cancel?.bind(given) ?? refusing('commands.cancel'),
    correct: given.correct?.bind(given) ?? refusing('commands.correct'),
    retryParked: given.retryParked?.bind(given) ?? refusing('commands.retryParked'),
    decideRisk: given.decideRisk?.bind(given) ?? refusing('commands.decideRisk'),
  };
  const keyring = options.keyring ?? parseKeyring(DEV_PII_KEY);
  const emails = options.emails ?? createCustomerEmails(keyring, createMemoryCustomerKeyStore());
  const codec = new AesGcmPayloadCodec(keyring);
  const app = Fastify(gatewayServerOptions(options.logger ?? false));
  if (!options.shared) onTestFinished(() => app.close());
  await app.register(gatewayApp, {
    events: sink,
    commands,
    store: options.countParked ? withCountParked(store, options.countParked) : store,
    secrets: { ...(options.secrets ?? DEFAULT_SECRETS) },
    emails,
    codec: { codec, apiToken: options.secrets?.codecApiToken ?? DEFAULT_SECRETS.codecApiToken ?? '', corsOrigins: options.codecCorsOrigins ?? DEV_CODEC_CORS_ORIGINS.split(','), namespace: 'default' },
    readiness: options.readiness ?? { temporal: async () => undefined, kafka: async () => undefined },
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return { app, sink, store, emails, codec };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Contract §3: every error is an RFC 9457 problem with one errors[] entry per bad field. */
export const ProblemShape = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })),
});
export type ProblemShape = z.infer<typeof ProblemShape>;

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const ANY_4XX = 'any 4xx';
export type Expected = number | typeof ANY_4XX;

/**
 * What every rejection must keep of contract §3, as a list of faults (empty when it does): a 4xx (the expected one,
 * where the docs fix it), sent as application/problem+json, whose body is a problem carrying the same status.
 */
export function rejectionFaults(res: LightMyRequestResponse, expected: Expected): { faults: string[]; problem: ProblemShape | undefined } {
  const faults: string[] = [];
  const status = res.statusCode;
  if (status < 400 || status > 499) faults.push(`status ${status} is not a 4xx`);
  else if (expected !== ANY_4XX && status !== expected) faults.push(`status ${status}, expected ${expected}`);
  const contentType = String(res.headers['content-type'] ?? '');
  if (!/^application\/problem\+json\s*(;|$)/.test(contentType)) faults.push(`content-type ${JSON.stringify(contentType)} is not application/problem+json`);
  const problem = ProblemShape.safeParse(parseJson(res.body));
  if (!problem.success) {
    faults.push('the body is not a problem document {type, title, status, detail, errors[]}');
    return { faults, problem: undefined };
  }
  if (problem.data.status !== status) faults.push(`body.status ${problem.data.status} differs from the HTTP status ${status}`);
  return { faults, problem: problem.data };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON values that may carry literals JSON.stringify can never produce (1e400 parses to Infinity).

/** Verbatim JSON text spliced into a document: number literals out of double range, or very deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}

  [fc.toStringMethod](): string {
    return this.text.length <= 40 ? `raw(${this.text})` : `raw(${this.text.slice(0, 20)}…${this.text.length} chars)`;
  }
}

export type Json = null | boolean | number | string | RawJson | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof RawJson);
}

export function jsonText(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (isObject(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** Object.fromEntries defines own properties, so even a "__proto__" key stays data and never touches the prototype. */
export function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  return value;
}

export function cloneObject(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
}

export type Path = ReadonlyArray<string | number>;

export function navigate(value: Json, path: Path): Json | undefined {
  let here: Json | undefined = value;
  for (const step of path) {
    if (Array.isArray(here) && typeof step === 'number') here = here[step];
    else if (isObject(here) && typeof step === 'string' && Object.hasOwn(here, step)) here = here[step];
    else return undefined;
  }
  return here;
}

/** Reads a field a valid body is known to have (restructurings start from valid bodies). */
export function field(body: JsonObject, path: Path): Json {
  const value = navigate(body, path);
  if (value === undefined) throw new Error(`test bug: valid body without ${path.join('.')}`);
  return value;
}

export function pick(body: JsonObject, keys: string[]): JsonObject {
  return Object.fromEntries(keys.map((k) => [k, field(body, [k])]));
}

/** A key named "__proto__" as an own data property: JSON.parse creates exactly this, and it must not count as a field. */
export function underProto(hidden: JsonObject, rest: JsonObject): JsonObject {
  return Object.fromEntries([['__proto__', hidden], ...Object.entries(rest)]);
}

/** fast-check's JSON values allow `undefined` under optional keys; JSON itself has none. */
export function fromJsonValue(value: fc.JsonValue): Json {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, fromJsonValue(v)]])));
  }
  return value;
}

export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** `body` plus an unknown (so ignored) padding field of `char`s, making the UTF-8 document at least `bytes` long. */
export function padded(body: JsonObject, bytes: number, char: string): Buffer {
  const base = Buffer.byteLength(jsonText({ ...body, padding_: '' }));
  const count = Math.max(0, Math.ceil((bytes - base) / Buffer.byteLength(char)));
  return utf8(jsonText({ ...body, padding_: char.repeat(count) }));
}

/** Deterministic pseudo-random bytes (xorshift) from a seed: fast-check generates and shrinks two integers, not 256 KiB. */
export function garbage(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests, rendered compactly so that a counterexample names the exact request.

export interface Wire {
  url: string;
  headers: Record<string, string | string[]>;
  /** `undefined`: no body at all (not even an empty one). */
  body: Buffer | undefined;
}

export function renderBody(body: Buffer | undefined): string {
  if (body === undefined) return '(none)';
  const text = body.toString('utf8');
  const isUtf8 = Buffer.from(text, 'utf8').equals(body);
  if (body.length <= 2048) return isUtf8 ? JSON.stringify(text) : `hex:${body.toString('hex')}`;
  const digest = createHash('sha256').update(body).digest('hex');
  return `<${body.length} bytes, sha256:${digest}, starting ${isUtf8 ? JSON.stringify(text.slice(0, 160)) : `hex:${body.subarray(0, 160).toString('hex')}`}>`;
}

/** One generated request with a label of what is wrong with it; fast-check prints it through toStringMethod. */
export class Probe {
  constructor(
    readonly what: string,
    readonly wire: Wire,
    /** A field errors[] must name, when the probe knows which one it broke. */
    readonly mustName?: string,
  ) {}

  [fc.toStringMethod](): string {
    return `[${this.what}] POST ${this.wire.url} headers=${JSON.stringify(this.wire.headers)} body=${renderBody(this.wire.body)}`;
  }
}

/** A path segment for any string: percent-encoded UTF-8, and a lone surrogate as the bytes a sender's WTF-8 would put. */
export function pathSegment(value: string): string {
  return Array.from(value)
    .map((c) => {
      if (!isLoneSurrogate(c)) return encodeURIComponent(c);
      const cp = c.charCodeAt(0);
      return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}

/** Characters JSON is made of, so random text often comes close to JSON without being a valid body. */
export const JSONISH = [...'{}[]":,.-+0123456789eEtrufalsn \n\t\\'];

/** Ways to break the syntax of a valid document; each leaves it unparseable by JSON.parse. */
export const SYNTAX_BREAKERS: Record<string, (text: string) => string> = {
  'trailing comma': (t) => `${t.slice(0, -1)},}`,
  'single quotes': (t) => t.replace(/"/g, "'"),
  'a comment first': (t) => `/* webhook */${t}`,
  'a line comment first': (t) => `// webhook\n${t}`,
  'an unquoted key': (t) => `{unquoted:1,${t.slice(1)}`,
  'trailing garbage': (t) => `${t}x`,
  'two documents': (t) => `${t}\n${t}`,
  'a byte-order mark first': (t) => `\ufeff${t}`,
  'leading garbage': (t) => `)]}'\n${t}`,
  'a raw control character in a key': (t) => t.replace(/^\{"/, '{"\u0001'),
  'an invalid escape in a key': (t) => t.replace(/^\{"/, '{"\\x41'),
  'NaN for a number': (t) => `${t.slice(0, -1)},"n":NaN}`,
  'Infinity for a number': (t) => `${t.slice(0, -1)},"n":-Infinity}`,
  'undefined for a value': (t) => `${t.slice(0, -1)},"n":undefined}`,
  'a missing closing brace': (t) => t.slice(0, -1),
  'an extra closing brace': (t) => `${t}}`,
};

/** Byte sequences that are not UTF-8 (stray continuation, overlong, surrogate, beyond U+10FFFF, truncated). */
export const INVALID_UTF8: number[][] = [[0xff], [0xfe], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

// ---------------------------------------------------------------------------------------------------------------
// Contract §4 "Identifiers and text", spelled out code point by code point. Deliberately not contracts/inputs.ts:
// these oracles are a second, differently written statement of the same rule, so a slip in the schema's single
// regex (a quantifier off by one, a missing flag) makes the two disagree and a property fail.

/** Code points, not UTF-16 units: a lone surrogate is one element of its own. */
const codePoints = (s: string): string[] => Array.from(s);
const codeOf = (c: string): number => c.codePointAt(0) ?? -1;

export const isLetterMarkNumber = (c: string): boolean => /^\p{L}$/u.test(c) || /^\p{M}$/u.test(c) || /^\p{N}$/u.test(c);
export const ID_PUNCTUATION: readonly string[] = ['.', '_', ':', '@', '#', '+', '-'];
/** Unicode Cc: C0 controls, DEL and C1 controls. */
export const isControl = (c: string): boolean => {
  const cp = codeOf(c);
  return (cp >= 0 && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f);
};
export const isLoneSurrogate = (c: string): boolean => c.length === 1 && codeOf(c) >= 0xd800 && codeOf(c) <= 0xdfff;
const isLineSeparator = (c: string): boolean => c === '\u2028' || c === '\u2029';
const isTextChar = (c: string): boolean => !isControl(c) && !isLoneSurrogate(c);

export function idAllowed(s: string): boolean {
  const cps = codePoints(s);
  const first = cps[0];
  const last = cps[cps.length - 1];
  if (first === undefined || last === undefined || cps.length > 128) return false;
  return cps.every((c) => isLetterMarkNumber(c) || ID_PUNCTUATION.includes(c)) && isLetterMarkNumber(first) && isLetterMarkNumber(last);
}

/** JS trim() removes exactly the whitespace \s matches, so "not trimmed, refused" means `s.trim() === s`. */
export function agentAllowed(s: string): boolean {
  const cps = codePoints(s);
  return cps.length >= 1 && cps.length <= 128 && cps.every((c) => isTextChar(c) && !isLineSeparator(c)) && s.trim() === s;
}

export function noteAllowed(s: string): boolean {
  const cps = codePoints(s);
  return cps.length <= 2000 && cps.every((c) => c === '\n' || c === '\t' || isTextChar(c));
}

export function reasonAllowed(s: string): boolean {
  const cps = codePoints(s);
  return cps.length >= 1 && cps.length <= 500 && cps.every((c) => isTextChar(c) && !isLineSeparator(c)) && s.trim() !== '';
}

const char = (min: number, max: number): fc.Arbitrary<string> => fc.integer({ min, max }).map((cp) => String.fromCodePoint(cp));

/** Letters, marks and numbers of several scripts and planes (1- to 4-byte UTF-8): what an id is made of. */
export const idAlnum: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...'abcxyzABCXYZ0123456789'), weight: 4 },
  {
    arbitrary: fc.constantFrom('ß', 'é', 'ü', 'ø', 'Ω', 'λ', 'ж', 'Я', '注', '文', '号', '한', 'ك', 'ب', 'ع', 'अ', 'क', '٤', '٢', '〇', 'Ⅻ', '²', '½', '𝐀', '𝔸', '𠀀'),
    weight: 2,
  },
  {
    // Whole blocks, filtered to the letters, marks and numbers this runtime's Unicode knows (unassigned ones drop out).
    arbitrary: fc
      .oneof(char(0xc0, 0x24f), char(0x370, 0x3ff), char(0x400, 0x4ff), char(0x620, 0x64a), char(0x900, 0x97f), char(0x4e00, 0x9fff), char(0xac00, 0xd7a3), char(0x1d400, 0x1d7ff), char(0x20000, 0x2a6df))
      .filter(isLetterMarkNumber),
    weight: 2,
  },
  // Combining marks (U+0300–U+036F are all Mn), which an id may even begin or end with.
  { arbitrary: char(0x300, 0x36f), weight: 1 },
);
const idPunctuation = fc.constantFrom(...ID_PUNCTUATION);
const idInner = fc.oneof({ arbitrary: idAlnum, weight: 4 }, { arbitrary: idPunctuation, weight: 1 });
const joined = (parts: string[]): string => parts.join('');

/** Ids inside the rule, often at its edges: one code point, 128 code points, 128 four-byte letters. */
export const idInsideRule: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z]{3}-[0-9a-z]{1,24}$/), weight: 4 },
  { arbitrary: fc.tuple(idAlnum, fc.array(idInner, { maxLength: 20 }), idAlnum).map(([a, mid, z]) => a + joined(mid) + z), weight: 4 },
  { arbitrary: idAlnum, weight: 1 },
  { arbitrary: fc.tuple(idAlnum, fc.array(idInner, { minLength: 110, maxLength: 126 }), idAlnum).map(([a, mid, z]) => a + joined(mid) + z), weight: 1 },
  { arbitrary: fc.array(idAlnum, { minLength: 128, maxLength: 128 }).map(joined), weight: 1 },
  { arbitrary: fc.constantFrom('𝐀'.repeat(128), 'a'.repeat(128), 'a.b_c:d@e#f+g-h', 'Ωmega-ünï'), weight: 1 },
);

/** Whitespace of every kind JS trim() removes; zero-width space is NOT one of them (it is a format character). */
export const TRIMMED_WHITESPACE = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff'];
export const whitespace = fc.constantFrom(...TRIMMED_WHITESPACE);

const controlChar = fc.oneof(char(0x00, 0x1f), char(0x7f, 0x9f));
/** fromCodePoint of a surrogate value yields that lone half; JSON.stringify escapes it as \udXXX, which is valid JSON. */
const loneSurrogate = fc.oneof(char(0xd800, 0xdbff), char(0xdc00, 0xdfff));

/** One code point an id may not hold: controls, lone surrogates, format and space characters, symbols, emoji, … */
export const notIdChar: fc.Arbitrary<string> = fc
  .oneof(
    controlChar,
    loneSurrogate,
    // Format characters (Cf): soft hyphen, zero-width ones, bidi marks, overrides and isolates, BOM, a tag.
    fc.constantFrom('\u00ad', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u{e0001}'),
    whitespace,
    fc.constantFrom(...'/\\!"$%&\'()*,;<=>?[]^`{|}~'),
    fc.constantFrom('😀', '🚀', '€', '©', '™', '∑', '→', '★', '¿', '«', '、', '。'),
    char(0xe000, 0xf8ff), // private use
    fc.constantFrom('\ufffe', '\uffff'), // noncharacters
  )
  .filter((c) => !isLetterMarkNumber(c) && !ID_PUNCTUATION.includes(c));

/** `bad` inserted at a code-point boundary of `text` (never inside a surrogate pair). */
function insertAt(text: string, bad: string, at: number): string {
  const cps = codePoints(text);
  cps.splice(at % (cps.length + 1), 0, bad);
  return cps.join('');
}

export const whitespaceOnly = fc.string({ unit: whitespace, minLength: 1, maxLength: 20 });

/** Ids outside the rule: each differs from a valid id in one way (the filter keeps only those the oracle refuses). */
export const idOutsideRule: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.tuple(idInsideRule, notIdChar, fc.nat()).map(([id, bad, at]) => insertAt(id, bad, at)), weight: 6 },
    { arbitrary: fc.tuple(idInsideRule, idPunctuation, fc.boolean()).map(([id, p, first]) => (first ? p + id : id + p)), weight: 1 },
    { arbitrary: fc.tuple(idInsideRule, fc.string({ unit: whitespace, minLength: 1, maxLength: 2 }), fc.nat({ max: 2 })).map(([id, ws, where]) => [ws + id, id + ws, ws + id + ws][where] ?? id), weight: 1 },
    { arbitrary: fc.constantFrom('', '.', '..', '...', '-', '_', '@', '#', '+', ':', './x', '../x', 'x/..'), weight: 1 },
    { arbitrary: whitespaceOnly, weight: 1 },
    // 129 to 300 code points, often just one over: only the length is wrong.
    { arbitrary: fc.array(idAlnum, { minLength: 129, maxLength: 129 }).map(joined), weight: 1 },
    { arbitrary: fc.array(fc.oneof(fc.constantFrom('a', '7'), idAlnum), { minLength: 129, maxLength: 300 }).map(joined), weight: 1 },
  )
  .filter((s) => !idAllowed(s));

/** Any string an id slot might receive, about half inside the rule, for "202 exactly when the oracle says so". */
export const idCandidate: fc.Arbitrary<string> = fc.oneof(
  idInsideRule,
  idOutsideRule,
  fc.array(fc.oneof({ arbitrary: idInner, weight: 12 }, { arbitrary: notIdChar, weight: 1 }), { minLength: 0, maxLength: 132 }).map(joined),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

/** Mostly plain text, now and then any code point but a surrogate half (fast-check's 'binary' unit). */
const textChar = fc.oneof({ arbitrary: fc.constantFrom(...'abc XYZ 0-9 äöü 注文 🙂 / . , ! ?'), weight: 6 }, { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 }, { arbitrary: idAlnum, weight: 1 });

export const agentInsideRule: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.stringMatching(/^[a-z]{2,10}(-[a-z]{2,10})?$/), weight: 4 },
    { arbitrary: fc.constantFrom('Ann-Sophie Müller', 'ops/olga', '🙂 ann', 'ann\u200b', '注文 担当', 'a', '𝐀'.repeat(128)), weight: 1 },
    { arbitrary: fc.array(textChar, { minLength: 1, maxLength: 40 }).map(joined), weight: 3 },
    { arbitrary: fc.array(idAlnum, { minLength: 128, maxLength: 128 }).map(joined), weight: 1 },
  )
  .filter(agentAllowed);

export const noteInsideRule: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.array(fc.oneof({ arbitrary: textChar, weight: 8 }, { arbitrary: fc.constantFrom('\n', '\t', '\u2028'), weight: 1 }), { maxLength: 80 }).map(joined), weight: 6 },
    { arbitrary: fc.constantFrom('', 'called the customer\nthey confirmed 2 items\tok', '𝐀'.repeat(2000), 'x'.repeat(2000)), weight: 1 },
  )
  .filter(noteAllowed);

export const reasonInsideRule: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.constantFrom('customer asked', ' kept as sent ', 'Kunde möchte stornieren 🙂', '取消', '𝐀'.repeat(500), 'x'.repeat(500)), weight: 1 },
    { arbitrary: fc.array(textChar, { minLength: 1, maxLength: 80 }).map(joined), weight: 4 },
  )
  .filter(reasonAllowed);

function outside(inside: fc.Arbitrary<string>, bad: fc.Arbitrary<string>, more: fc.Arbitrary<string>[], allowed: (s: string) => boolean): fc.Arbitrary<string> {
  return fc
    .oneof({ arbitrary: fc.tuple(inside, bad, fc.nat()).map(([text, b, at]) => insertAt(text, b, at)), weight: 4 }, ...more.map((arbitrary) => ({ arbitrary, weight: 1 })))
    .filter((s) => !allowed(s));
}
/** `min` to `max` code points of one character (1- to 4-byte UTF-8), half the time exactly `min`: just over the limit. */
const longText = (min: number, max: number) => fc.tuple(fc.oneof(fc.constant(min), fc.integer({ min, max })), fc.constantFrom('x', 'é', '注', '𝐀')).map(([n, c]) => c.repeat(n));

export const agentOutsideRule = outside(
  agentInsideRule,
  fc.oneof(controlChar, loneSurrogate, fc.constantFrom('\u2028', '\u2029')),
  [
    fc.tuple(agentInsideRule, fc.string({ unit: whitespace, minLength: 1, maxLength: 2 }), fc.boolean()).map(([a, ws, before]) => (before ? ws + a : a + ws)),
    fc.constant(''),
    whitespaceOnly,
    longText(129, 300),
  ],
  agentAllowed,
);

export const noteOutsideRule = outside(noteInsideRule, fc.oneof(controlChar.filter((c) => c !== '\n' && c !== '\t'), loneSurrogate), [longText(2001, 2100), fc.constant('line one\r\nline two')], noteAllowed);

export const reasonOutsideRule = outside(
  reasonInsideRule,
  fc.oneof(controlChar, loneSurrogate, fc.constantFrom('\u2028', '\u2029')),
  [fc.constant(''), whitespaceOnly, longText(501, 600)],
  reasonAllowed,
);

/** Values outside each rule, by the slot they belong in. */
export const OUTSIDE_RULE = { id: idOutsideRule, agent: agentOutsideRule, note: noteOutsideRule, reason: reasonOutsideRule } as const;

/** Unknown extra fields, which the gateway must ignore (contract §4); `reserved` keys are never generated. */
export function extras(reserved: readonly string[] = []): fc.Arbitrary<JsonObject> {
  return fc
    .oneof(
      { arbitrary: fc.constant({}), weight: 3 },
      { arbitrary: fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => !reserved.includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), weight: 1 },
    )
    .map((dict) => Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, fromJsonValue(v)])));
}

/** A quantity only has to be a finite JSON number: 0, -1, 1.5 are business mismatches (docs/api.md), not a 400. */
export const validQuantity = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));

/** -0 and other numbers exactly as they come back out of JSON. */
export function throughJson(value: number): number {
  return JSON.parse(JSON.stringify(value)) as number;
}

/** For 500-item lists: plain ids, so that the document stays far below the 256 KiB limit. */
export const leanItem = fc.record({ item_id: fc.stringMatching(/^itm-[0-9a-z]{1,12}$/), quantity: fc.integer({ min: 1, max: 99 }) });

// ---------------------------------------------------------------------------------------------------------------
// Mutations that turn a valid body into a mistyped one. Each one alone makes the body schema-invalid, and none can
// repair an earlier one (a later change either replaces a subtree with another bad value or finds its target gone).

/** What lives at a path: decides which bad values make sense there. */
export type Slot = 'id' | 'quantity' | 'amount' | 'object' | 'items' | 'item' | 'agent' | 'note' | 'reason';
export interface Target {
  path: Path;
  slot: Slot;
  /** An optional field: leaving it out (or misspelling its key) is no error. */
  optional?: boolean;
}

/** The targets of a body carrying an order (`customer_id` + `order`): the webhook and the support correction. */
export function orderBodyTargets(body: JsonObject): Target[] {
  const items = navigate(body, ['order', 'items']);
  const count = Array.isArray(items) ? items.length : 0;
  const perItem = Array.from({ length: count }, (_, i): Target[] => [
    { path: ['order', 'items', i], slot: 'item' },
    { path: ['order', 'items', i, 'item_id'], slot: 'id' },
    { path: ['order', 'items', i, 'quantity'], slot: 'quantity' },
  ]).flat();
  return [
    { path: ['customer_id'], slot: 'id' },
    { path: ['order'], slot: 'object' },
    { path: ['order', 'order_id'], slot: 'id' },
    { path: ['order', 'items'], slot: 'items' },
    ...perItem,
  ];
}

export type Change = { op: 'remove' } | { op: 'rename'; to: string } | { op: 'set'; value: Json } | { op: 'wrap' } | { op: 'encode' };
export type Mutation = Change & { path: Path };
export type Family = 'missing' | 'type' | 'range';

export function applyMutation(body: JsonObject, mutation: Mutation): void {
  const parent = navigate(body, mutation.path.slice(0, -1));
  const key = mutation.path[mutation.path.length - 1];
  if (parent === undefined || key === undefined) return;
  const current = navigate(parent, [key]);
  if (current === undefined) return;
  const replacement = (): Json | undefined => {
    switch (mutation.op) {
      case 'set':
        return mutation.value;
      case 'wrap':
        return [current];
      case 'encode':
        return jsonText(current);
      default:
        return undefined;
    }
  };
  if (Array.isArray(parent) && typeof key === 'number') {
    const value = replacement();
    if (value !== undefined) parent[key] = value;
  } else if (isObject(parent) && typeof key === 'string') {
    if (mutation.op === 'remove' || mutation.op === 'rename') {
      delete parent[key];
      if (mutation.op === 'rename') Object.defineProperty(parent, mutation.to, { value: current, enumerable: true, writable: true, configurable: true });
      return;
    }
    const value = replacement();
    if (value !== undefined) parent[key] = value;
  }
}

/** Strings that look numeric but are strings: a number field must reject every one of them. */
const numericLookingString = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1', '0', '-1', '1.5', '1e3', '0x10', ' 2 ', '', '7450', 'null', 'true'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ maxLength: 12 }),
);
export const randomObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }).map((d) => fromJsonValue(d));
export const randomArray = fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }).map((a) => fromJsonValue(a));
const notANumber: fc.Arbitrary<Json> = fc.oneof(numericLookingString, fc.boolean(), fc.constant(null), randomObject, randomArray);
export const notAString: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double(), // NaN and ±Infinity serialize as null: still not a string
  fc.boolean(),
  fc.constant(null),
  randomObject,
  randomArray,
  fc.constantFrom(new RawJson('1e400'), new RawJson('123456789012345678901234567890')),
);
/** Number literals that JSON.parse turns into ±Infinity: "huge numbers" no finite-number field may accept. */
export const infinite = fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), new RawJson('1e999'), new RawJson('-2e308'));
/** Deep nesting where a scalar belongs: must be a 400, not a stack overflow (≤ 30 KB, so four fit under the limit). */
export const deeplyNested = fc
  .tuple(fc.integer({ min: 1_000, max: 5_000 }), fc.boolean())
  .map(([depth, arrays]) => new RawJson(arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

function renames(key: string): fc.Arbitrary<Change> {
  const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  const candidates = [camel, key.toUpperCase(), `${key} `, `_${key}`, key.replace(/_/g, '-'), `${key}s`].filter((to) => to !== key);
  return fc.constantFrom(...new Set(candidates)).map((to): Change => ({ op: 'rename', to }));
}

const set = (values: fc.Arbitrary<Json>): fc.Arbitrary<Change> => values.map((value): Change => ({ op: 'set', value }));
const remove = fc.constant<Change>({ op: 'remove' });
const wrap = fc.constant<Change>({ op: 'wrap' });
const encode = fc.constant<Change>({ op: 'encode' });

/** Bad values for a slot, by family; `undefined` where the family makes no sense there. */
export function changesFor(target: Target): Record<Family, fc.Arbitrary<Change> | undefined> {
  const key = target.path[target.path.length - 1];
  const missing = typeof key === 'string' && target.optional !== true ? fc.oneof(remove, renames(key)) : undefined;
  // No `encode` for strings: a JSON-encoded string is still a string, and may well be inside the rule.
  const text = (outsideRule: fc.Arbitrary<string>) => ({ missing, type: fc.oneof(set(notAString), wrap, set(deeplyNested)), range: set(outsideRule) });
  switch (target.slot) {
    case 'id':
      return text(idOutsideRule);
    case 'agent':
      return text(agentOutsideRule);
    case 'note':
      return text(noteOutsideRule);
    case 'reason':
      return text(reasonOutsideRule);
    case 'quantity':
      // A finite number of any sign or size is valid (docs/api.md), so only ±Infinity is out of range.
      return { missing, type: fc.oneof(set(notANumber), wrap, encode), range: set(infinite) };
    case 'amount':
      return {
        missing,
        type: fc.oneof(set(notANumber), wrap, encode),
        range: set(
          fc.oneof(
            fc.integer({ max: -1 }),
            fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }),
            fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
            // Beyond Number.MAX_SAFE_INTEGER an amount in cents is no longer exact.
            fc.double({ min: 2 ** 53, noNaN: true, noDefaultInfinity: true }),
            infinite,
          ),
        ),
      };
    case 'object':
      return {
        missing: fc.oneof(missing ?? remove, set(fc.constant({}))),
        type: fc.oneof(set(fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string({ maxLength: 20 }), randomArray)), wrap, encode, set(deeplyNested)),
        range: undefined,
      };
    case 'items':
      return {
        missing,
        type: fc.oneof(set(fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string({ maxLength: 20 }), randomObject)), wrap, encode),
        range: set(
          fc.oneof<fc.Arbitrary<Json>[]>(
            fc.constant<Json>([]),
            fc.array(fc.oneof<fc.Arbitrary<Json>[]>(fc.double(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), randomArray), { minLength: 1, maxLength: 5 }),
            // 501 or more otherwise valid items: over the documented maximum of 500.
            fc.array(leanItem, { minLength: 501, maxLength: 520 }),
          ),
        ),
      };
    case 'item':
      return {
        missing: set(fc.constant({})),
        type: fc.oneof(set(fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string({ maxLength: 20 }), randomArray)), wrap, encode),
        range: undefined,
      };
  }
}

/** 1 to `maxMutations` changes of the given families to a valid body (from `valid`), at the targets `targets` lists. */
export function mutated<V extends { body: JsonObject }>(
  valid: fc.Arbitrary<V>,
  targets: (body: JsonObject) => Target[],
  families: Family[],
  maxMutations: number,
): fc.Arbitrary<{ body: JsonObject; mutations: Mutation[]; source: V }> {
  return valid.chain((v) => {
    const usable = targets(v.body).filter((t) => families.some((f) => changesFor(t)[f] !== undefined));
    const one = fc.constantFrom(...usable).chain((target) => {
      const options = families.flatMap((f) => {
        const arb = changesFor(target)[f];
        return arb === undefined ? [] : [arb];
      });
      return fc.oneof(...options).map((change): Mutation => ({ ...change, path: target.path }));
    });
    return fc.array(one, { minLength: 1, maxLength: maxMutations }).map((mutations) => {
      const body = cloneObject(v.body);
      for (const m of mutations) applyMutation(body, m);
      return { body, mutations, source: v };
    });
  });
}

export function describeMutations(mutations: Mutation[]): string {
  return mutations.map((m) => `${m.op} ${m.path.join('.')}`).join(', ');
}
