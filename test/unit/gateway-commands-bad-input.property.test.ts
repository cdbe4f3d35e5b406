// Proof against bad input on the command routes (property-based), like the webhooks' test: thousands of
// unauthenticated, wrongly typed, malformed, wrongly encoded, mistyped and oversized requests, and requests with bad
// path ids, go to POST /v1/orders/{id}/cancel, POST /v1/support/orders/{id}/correction and
// POST /v1/support/orders/{id}/retry through app.inject. Every one must be answered with a 4xx
// application/problem+json whose body carries the same `status` (contract §3), never a 2xx or a 5xx, and NONE may
// reach OrderCommands, which in production sends a Temporal Update that changes the order. A positive control at the
// end sends valid requests through the same harness and expects 200 with exactly one command call carrying exactly
// the schema's output (unknown fields dropped, nothing trimmed), so a green run proves the harness tells good from bad.
//
// Order of checks (Fastify's lifecycle, docs/api.md): Bearer token (401, before the body is even read) → media type
// (415) → body size (413) → JSON syntax and UTF-8 (400) → path id, then body, against the schemas (400 naming the
// field) → the route's own checks (400 when a correction names another order). Where docs/api.md fixes the code it is
// asserted exactly; a non-JSON media type is only required to be some 4xx (the docs fix no code for the commands).
//
// Reproducibility: fixed seed SEED; FC_SEED=<int> explores another. A Probe renders as the exact request.
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  agentInsideRule,
  ANY_4XX,
  bearer,
  build,
  cloneObject,
  deeplyNested,
  describeMutations,
  extras,
  field,
  fromJsonValue,
  garbage,
  idInsideRule,
  idOutsideRule,
  INVALID_UTF8,
  isLoneSurrogate,
  JSONISH,
  jsonText,
  leanItem,
  mutated,
  noteInsideRule,
  OUTSIDE_RULE,
  padded,
  pathSegment,
  pick,
  Probe,
  reasonInsideRule,
  RecordingCommands,
  rejectionFaults,
  StrayCalls,
  SYNTAX_BREAKERS,
  throughJson,
  underProto,
  utf8,
  validQuantity,
  applyMutation,
  type CommandCall,
  type Expected,
  type Family,
  type Json,
  type JsonObject,
  type Mutation,
  type Target,
  type Wire,
  orderBodyTargets,
} from '../helpers/gateway-app';

/** Fixed so that CI and a developer see the same inputs; override with FC_SEED to explore other inputs. */
const SEED = Number(process.env.FC_SEED ?? 20_260_612);

/** Runs per kind; with about 30 kinds per route this is several thousand requests in a few seconds. */
const RUNS = { auth: 40, mediaType: 40, malformed: 40, encoding: 40, mistyped: 60, oversized: 20, path: 60, positive: 120 } as const;

/** docs/api.md: the body limit is 256 KiB for every route. */
const LIMIT = 256 * 1024;

const SECRETS = { commerceWebhook: 'cmd-test-commerce-secret', paymentWebhook: 'cmd-test-payment-secret', supportApiToken: 'cmd-test-support-token' } as const;
const TOKEN = SECRETS.supportApiToken;

// ---------------------------------------------------------------------------------------------------------------
// The gateway under test: recording commands, and collaborators no command request may touch.

const commands = new RecordingCommands();
const stray = new StrayCalls();
let app: FastifyInstance;

beforeAll(async () => {
  // One gateway for the whole file: thousands of requests, and building one per run would dominate.
  ({ app } = await build({ events: stray.sink, commands, store: stray.store, secrets: { ...SECRETS }, readiness: stray.readiness, shared: true }));
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  commands.reset();
  stray.names.length = 0;
});

// ---------------------------------------------------------------------------------------------------------------
// Valid commands (docs/api.md "Commands", contract §4 for the fields): the raw material every bad request comes from.

interface ValidCommand {
  /** The order id of the path, decoded. */
  orderId: string;
  /** `undefined`: no body at all (only the retry takes that). */
  body: JsonObject | undefined;
  /** Exactly what OrderCommands must receive. */
  expected: CommandCall;
}

const validItem = fc.record({ id: idInsideRule, quantity: validQuantity, extra: extras(['item_id', 'quantity']) });
const leanValidItem = leanItem.map(({ item_id, quantity }) => ({ id: item_id, quantity, extra: {} as JsonObject }));

const validCancel: fc.Arbitrary<ValidCommand> = fc.record({ orderId: idInsideRule, reason: reasonInsideRule, extra: extras(['reason']) }).map(({ orderId, reason, extra }) => ({
  orderId,
  body: { ...extra, reason },
  expected: { command: 'cancel', orderId, request: { reason } },
}));

/** A correction; `withNote` decides whether the optional note is sent (absent, it defaults to ''). */
function validCorrection(withNote: fc.Arbitrary<boolean>): fc.Arbitrary<ValidCommand> {
  return fc
    .record({
      orderId: idInsideRule,
      customer: idInsideRule,
      items: fc.oneof({ arbitrary: fc.array(validItem, { minLength: 1, maxLength: 6 }), weight: 20 }, { arbitrary: fc.array(leanValidItem, { minLength: 500, maxLength: 500 }), weight: 1 }),
      note: noteInsideRule,
      sendNote: withNote,
      agent: agentInsideRule,
      top: extras(['customer_id', 'order', 'note', 'agent']),
      inOrder: extras(['order_id', 'items']),
    })
    .map(({ orderId, customer, items, note, sendNote, agent, top, inOrder }) => ({
      orderId,
      body: {
        ...top,
        customer_id: customer,
        order: { ...inOrder, order_id: orderId, items: items.map((i) => ({ ...i.extra, item_id: i.id, quantity: i.quantity })) },
        ...(sendNote ? { note } : {}),
        agent,
      },
      expected: {
        command: 'correct',
        orderId,
        request: { customer_id: customer, order: { order_id: orderId, items: items.map((i) => ({ item_id: i.id, quantity: throughJson(i.quantity) })) }, note: sendNote ? note : '', agent },
      },
    }));
}

/** A retry: no body, an empty object, or either or both optional fields (docs/api.md: "{agent?, note?} (body optional)"). */
function validRetry(shape: fc.Arbitrary<'none' | 'agent' | 'note' | 'both' | 'empty'>): fc.Arbitrary<ValidCommand> {
  return fc.record({ orderId: idInsideRule, agent: agentInsideRule, note: noteInsideRule, shape, extra: extras(['agent', 'note']) }).map(({ orderId, agent, note, shape: s, extra }) => {
    const fields = { ...(s === 'agent' || s === 'both' ? { agent } : {}), ...(s === 'note' || s === 'both' ? { note } : {}) };
    return { orderId, body: s === 'none' ? undefined : { ...extra, ...fields }, expected: { command: 'retryParked', orderId, request: fields } };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The three routes, described once so that every category runs against each.

interface CommandRoute {
  name: string;
  command: CommandCall['command'];
  url(segment: string): string;
  /** Every valid request, for the positive control and as the carrier of bad headers or paths. */
  valid: fc.Arbitrary<ValidCommand>;
  /** Valid requests with a body holding every field, for mutations. */
  full: fc.Arbitrary<ValidCommand & { body: JsonObject }>;
  targets(body: JsonObject): Target[];
  /** The mutation families that can make this body invalid (an optional field cannot be "missing"). */
  families: Family[];
  /** Valid content, wrong structure. */
  restructurings: Record<string, (body: JsonObject) => JsonObject>;
  /** A request without a body is valid (the retry), so empty bodies are no bad input here. */
  bodyOptional: boolean;
  /** What another route's body is here; undefined where it is a valid body (unknown fields are ignored). */
  foreignBodies?: fc.Arbitrary<JsonObject>;
}

const hasBody = (v: ValidCommand): v is ValidCommand & { body: JsonObject } => v.body !== undefined;

const cancel: CommandRoute = {
  name: 'cancel',
  command: 'cancel',
  url: (id) => `/v1/orders/${id}/cancel`,
  valid: validCancel,
  full: validCancel.filter(hasBody),
  targets: () => [{ path: ['reason'], slot: 'reason' }],
  families: ['missing', 'type', 'range'],
  restructurings: {
    'the whole body under "data"': (b) => ({ data: b }),
    'reason under a "__proto__" key': (b) => underProto({ reason: field(b, ['reason']) }, {}),
    'reason as a key/value pair': (b) => ({ fields: [['reason', field(b, ['reason'])]] }),
  },
  bodyOptional: false,
  foreignBodies: fc.oneof(validCorrection(fc.boolean()), validRetry(fc.constantFrom('agent', 'note', 'both', 'empty'))).map((v) => v.body ?? {}),
};

const correction: CommandRoute = {
  name: 'correction',
  command: 'correct',
  url: (id) => `/v1/support/orders/${id}/correction`,
  valid: validCorrection(fc.boolean()),
  full: validCorrection(fc.constant(true)).filter(hasBody),
  targets(body) {
    return [
      ...orderBodyTargets(body),
      { path: ['note'], slot: 'note', optional: true },
      { path: ['agent'], slot: 'agent' },
    ];
  },
  families: ['missing', 'type', 'range'],
  restructurings: {
    'order flattened into the top level': (b) => ({ ...pick(b, ['customer_id', 'agent']), order_id: field(b, ['order', 'order_id']), items: field(b, ['order', 'items']) }),
    'items beside order instead of inside it': (b) => ({ ...pick(b, ['customer_id', 'agent']), order: { order_id: field(b, ['order', 'order_id']) }, items: field(b, ['order', 'items']) }),
    'customer_id inside order': (b) => ({ agent: field(b, ['agent']), order: { customer_id: field(b, ['customer_id']), order_id: field(b, ['order', 'order_id']), items: field(b, ['order', 'items']) } }),
    'agent inside order': (b) => ({ customer_id: field(b, ['customer_id']), order: { agent: field(b, ['agent']), order_id: field(b, ['order', 'order_id']), items: field(b, ['order', 'items']) } }),
    'the whole body under "correction"': (b) => ({ correction: b }),
    'order under a "__proto__" key': (b) => underProto({ order: field(b, ['order']) }, pick(b, ['customer_id', 'agent'])),
  },
  bodyOptional: false,
  foreignBodies: fc.oneof(validCancel, validRetry(fc.constantFrom('agent', 'note', 'both', 'empty'))).map((v) => v.body ?? {}),
};

const retry: CommandRoute = {
  name: 'retry',
  command: 'retryParked',
  url: (id) => `/v1/support/orders/${id}/retry`,
  valid: validRetry(fc.constantFrom('none', 'agent', 'note', 'both', 'empty')),
  full: validRetry(fc.constant('both')).filter(hasBody),
  targets: () => [
    { path: ['agent'], slot: 'agent', optional: true },
    { path: ['note'], slot: 'note', optional: true },
  ],
  families: ['type', 'range'],
  // Moving or nesting the optional fields leaves unknown fields only, which is a valid (empty) retry: no such kind.
  restructurings: {},
  bodyOptional: true,
};

const ROUTES: CommandRoute[] = [cancel, correction, retry];

// ---------------------------------------------------------------------------------------------------------------
// Building probes.

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8'];
const jsonType = fc.constantFrom(...CONTENT_TYPES);

/**
 * Spellings of one valid id in a path, all meaning the same id: percent-encoded (upper- or lower-case hex), or with
 * `: @ +` left raw, which RFC 3986 allows in a path segment (and `+` is no space there).
 */
function encodedId(id: string): fc.Arbitrary<string> {
  const encoded = pathSegment(id);
  return fc.constantFrom(
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    encoded.replace(/%3A/g, ':').replace(/%40/g, '@').replace(/%2B/g, '+'),
  );
}

interface WireOptions {
  /** `null` leaves the header out. */
  contentType?: string | null;
  /** Headers that replace the default Authorization: Bearer <token>. */
  auth?: Record<string, string>;
  /** The path segment for the id; default: the valid id, encoded. */
  segment?: string;
}

function wire(route: CommandRoute, orderId: string, body: Buffer | undefined, options: WireOptions = {}): Wire {
  const contentType = options.contentType === undefined ? (body === undefined ? null : 'application/json') : options.contentType;
  return {
    url: route.url(options.segment ?? pathSegment(orderId)),
    headers: { ...(options.auth ?? bearer(TOKEN)), ...(contentType === null ? {} : { 'content-type': contentType }) },
    body,
  };
}

const bodyBytes = (v: ValidCommand): Buffer | undefined => (v.body === undefined ? undefined : utf8(jsonText(v.body)));

/** An authenticated probe with an accepted media type and a valid path: only the body can be at fault. */
function withBody(route: CommandRoute, what: string, bodies: fc.Arbitrary<Buffer>): fc.Arbitrary<Probe> {
  return fc.tuple(route.full, bodies, jsonType).map(([v, bytes, contentType]) => new Probe(what, wire(route, v.orderId, bytes, { contentType })));
}

/**
 * True for bytes that decode (strict UTF-8) to a JSON object. Random bytes or text are meant as malformed input, but
 * fast-check can come up with `{}`, which is a complete retry (every field optional); such draws are no bad input.
 */
function isJsonObject(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Malformed bytes for `route`: never empty where an empty body is a valid request. */
function malformed(route: CommandRoute, bodies: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return bodies.filter((b) => !isJsonObject(b) && (!route.bodyOptional || b.length > 0));
}

// ---------------------------------------------------------------------------------------------------------------
// The check every bad request must pass.

async function send(w: Wire): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: w.url, headers: w.headers, ...(w.body === undefined ? {} : { payload: w.body }) });
}

interface Rejection {
  expected: Expected;
  /** Schema failures must name at least one field (contract §3). */
  namesFields?: boolean;
}

/** One kind of bad input: a property of its own, so every broken kind is reported, not just the first one found. */
interface Kind extends Rejection {
  name: string;
  probes: fc.Arbitrary<Probe>;
}

/** Collects every way the answer breaks the contract, then fails once with the exact request and response. */
async function expectRejected(probe: Probe, rejection: Rejection): Promise<void> {
  // Deltas, not totals: while fast-check shrinks, an earlier failing run must not make every later run look bad.
  const commandsBefore = commands.calls.length;
  const strayBefore = stray.names.length;
  const res = await send(probe.wire);
  const status = res.statusCode;
  const { faults, problem } = rejectionFaults(res, rejection.expected);
  if (problem) {
    const fields = problem.errors.map((e) => e.field);
    if (status === 401) {
      if (!(fields.length === 1 && fields[0] === 'authorization')) faults.push(`401 errors[] should name authorization, got ${JSON.stringify(fields)}`);
      if (!/^Bearer/.test(String(res.headers['www-authenticate'] ?? ''))) faults.push('401 without WWW-Authenticate: Bearer');
    }
    if (status === 400 && !fields.every((f) => /^(body|params)(\.|$)/.test(f))) faults.push(`400 errors[] fields should be rooted at body or params, got ${JSON.stringify(fields)}`);
    if (status === 400 && rejection.namesFields === true && fields.length === 0) faults.push('a schema 400 should name the bad field(s) in errors[]');
    if (probe.mustName !== undefined && !fields.includes(probe.mustName)) faults.push(`errors[] should name ${probe.mustName}, got ${JSON.stringify(fields)}`);
  }
  if (commands.calls.length !== commandsBefore) faults.push(`OrderCommands was called: ${JSON.stringify(commands.calls.slice(commandsBefore)).slice(0, 300)} — the order would have changed`);
  if (stray.names.length !== strayBefore) faults.push(`forbidden collaborators were called: ${stray.names.slice(strayBefore).join(', ')}`);
  if (faults.length > 0) {
    throw new Error(`${faults.join('; ')}\n  request:  ${fc.stringify(probe)}\n  response: ${status} ${String(res.headers['content-type'] ?? '')} ${res.body.slice(0, 600)}`);
  }
}

function runKinds(kinds: Kind[], numRuns: number): void {
  for (const kind of kinds) {
    it(kind.name, async () => {
      await fc.assert(
        fc.asyncProperty(kind.probes, (probe) => expectRejected(probe, kind)),
        { numRuns, seed: SEED },
      );
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Without a valid Bearer token → 401, whatever else is right or wrong with the request.

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 60 });

/** Authorization headers that do not carry the token; the scheme is case-insensitive, so `bearer <token>` is valid. */
const wrongAuth: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  fc.constantFrom('', 'Bearer', 'Bearer ', `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Bearer x${TOKEN}`, `Bearer ${TOKEN.toUpperCase()}`, `Basic ${TOKEN}`, `Token ${TOKEN}`, TOKEN, `Bearer${TOKEN}`, `Bearer ${TOKEN} extra`, `Bearer ${SECRETS.commerceWebhook}`, `Bearer ${SECRETS.paymentWebhook}`).map((authorization) => ({ authorization })),
  printable.filter((t) => !t.includes(TOKEN)).map((t) => ({ authorization: `Bearer ${t}` })),
  fc.constantFrom('x-api-key', 'x-support-token', 'proxy-authorization', 'x-commerce-signature').map((name) => ({ [name]: `Bearer ${TOKEN}` })),
);

function authKinds(route: CommandRoute): Kind[] {
  const kind = (name: string, request: fc.Arbitrary<{ what: string; orderId: string; body: Buffer | undefined; contentType?: string | null; segment?: string }>): Kind => ({
    name,
    expected: 401,
    probes: fc
      .tuple(request, wrongAuth)
      .map(([r, auth]) => new Probe(`${r.what}, auth ${JSON.stringify(auth)}`, wire(route, r.orderId, r.body, { auth, ...(r.contentType === undefined ? {} : { contentType: r.contentType }), ...(r.segment === undefined ? {} : { segment: r.segment }) }))),
  });
  return [
    kind('a valid request without a valid token', route.valid.map((v) => ({ what: 'valid', orderId: v.orderId, body: bodyBytes(v) }))),
    // The token is checked first (onRequest), before the body is read, parsed or validated.
    kind(
      'an oversized, malformed, mistyped or wrongly typed request without a valid token (the token is checked first)',
      fc.tuple(route.full, fc.constantFrom('oversized', 'malformed', 'mistyped', 'text/plain', 'bad path id')).map(([v, also]) => ({
        what: also,
        orderId: v.orderId,
        body: also === 'oversized' ? padded(v.body, LIMIT + 1, 'x') : also === 'malformed' ? utf8(jsonText(v.body).slice(0, -1)) : also === 'mistyped' ? utf8('{"x":1}') : utf8(jsonText(v.body)),
        ...(also === 'text/plain' ? { contentType: 'text/plain' } : {}),
        ...(also === 'bad path id' ? { segment: '%00' } : {}),
      })),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. A valid body under a media type that is not JSON, or without one → a 4xx (415 where the docs say so).

function mediaTypeKinds(route: CommandRoute): Kind[] {
  return [
    {
      name: 'a valid body under a non-JSON media type',
      expected: ANY_4XX,
      probes: fc
        .tuple(
          route.full,
          fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'text/html', 'application/xml', 'text/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/x-ndjson', 'text/csv', 'text/json', 'application/x-json', 'application/json5', 'application/javascript', 'image/png', 'nonsense', '*/*'),
        )
        .map(([v, contentType]) => new Probe(`content-type ${contentType}`, wire(route, v.orderId, bodyBytes(v), { contentType }))),
    },
    {
      // Fastify: a body without Content-Type has no parser (415); an empty one counts as no body at all.
      name: 'a valid body without a Content-Type header → 415',
      expected: 415,
      probes: route.full.map((v) => new Probe('no content-type', wire(route, v.orderId, bodyBytes(v), { contentType: null }))),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Malformed and wrongly encoded bodies → 400.

const MARKER = 'BAD-BYTES-GO-HERE';

/** A valid body whose JSON text carries MARKER inside a string (an unknown field, so the marker itself is harmless). */
const markedText = (v: ValidCommand & { body: JsonObject }): string => jsonText({ ...v.body, x_: `a${MARKER}b` });

function spliced(text: string, bytes: number[]): Buffer {
  const [head = '', tail = ''] = text.split(MARKER);
  return Buffer.concat([utf8(head), Buffer.from(bytes), utf8(tail)]);
}

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1] ?? 0, le[i] ?? 0];
  return le;
}

/** CESU-8: each half of a surrogate pair encoded on its own (3 bytes each), which strict UTF-8 refuses. */
function cesu8(text: string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) parts.push(Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]));
    else parts.push(utf8(text[i] ?? ''));
  }
  return Buffer.concat(parts);
}

function malformedKinds(route: CommandRoute): Kind[] {
  const expected = 400;
  const kinds: Kind[] = [
    { name: 'random bytes', expected, probes: withBody(route, 'random bytes', malformed(route, fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)))) },
    {
      name: 'random text',
      expected,
      probes: withBody(route, 'random text', malformed(route, fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...JSONISH), maxLength: 60 })).map(utf8))),
    },
    {
      name: 'a valid body truncated (possibly inside a UTF-8 sequence)',
      expected,
      probes: fc
        .tuple(route.full, fc.nat(), jsonType)
        .map(([v, n, contentType]) => {
          const bytes = utf8(jsonText(v.body));
          return new Probe('truncated', wire(route, v.orderId, bytes.subarray(0, route.bodyOptional ? 1 + (n % (bytes.length - 1)) : n % bytes.length), { contentType }));
        }),
    },
    {
      name: 'a valid body with broken JSON syntax',
      expected,
      probes: fc
        .tuple(route.full, fc.constantFrom(...Object.entries(SYNTAX_BREAKERS)), jsonType)
        .map(([v, [breaker, brk], contentType]) => new Probe(`syntax: ${breaker}`, wire(route, v.orderId, utf8(brk(jsonText(v.body))), { contentType }))),
    },
    {
      name: 'JSON of the wrong top-level type (null, array, string, number, the body double-encoded, deep nesting)',
      expected,
      namesFields: true,
      probes: withBody(
        route,
        'wrong top-level type',
        fc
          .oneof(
            route.full.map((v): Json => [v.body]),
            route.full.map((v): Json => jsonText(v.body)),
            fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map(fromJsonValue),
            // Deeply nested arrays only: a deeply nested object is an object, i.e. a complete retry with unknown fields.
            deeplyNested.filter((raw) => raw.text.startsWith('[')),
          )
          .map((value) => utf8(jsonText(value))),
      ),
    },
    {
      name: 'a whitespace-only body',
      expected,
      probes: withBody(route, 'whitespace', fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), minLength: 1, maxLength: 20 }).map(utf8)),
    },
  ];
  if (!route.bodyOptional) {
    kinds.push({ name: 'an empty body', expected, probes: withBody(route, 'empty', fc.constant(Buffer.alloc(0))) });
  }
  return kinds;
}

/** RFC 8259 §8.1 and docs/api.md: bodies are strict UTF-8 without a byte-order mark; anything else is a 400. */
function encodingKinds(route: CommandRoute): Kind[] {
  const kind = (name: string, encode: (v: ValidCommand & { body: JsonObject }) => fc.Arbitrary<{ note: string; bytes: Buffer }>): Kind => ({
    name,
    expected: 400,
    probes: fc
      .tuple(route.full.chain((v) => encode(v).map((e) => ({ v, e }))), jsonType)
      .map(([{ v, e }, contentType]) => new Probe(`${name}: ${e.note}`, wire(route, v.orderId, e.bytes, { contentType }))),
  });
  return [
    kind('bytes that are not UTF-8 inside a string', (v) => fc.constantFrom(...INVALID_UTF8).map((bad) => ({ note: Buffer.from(bad).toString('hex'), bytes: spliced(markedText(v), bad) }))),
    kind('the body in UTF-16 (LE or BE, with or without a byte-order mark)', (v) =>
      fc.constantFrom('le', 'be', 'le+bom', 'be+bom').map((how) => {
        const text = (how.endsWith('+bom') ? '\ufeff' : '') + jsonText(v.body);
        return { note: how, bytes: how.startsWith('le') ? Buffer.from(text, 'utf16le') : utf16be(text) };
      }),
    ),
    kind('the body in Latin-1 with non-ASCII text', (v) => fc.constantFrom('é', 'ü', 'ß', '£', '\u00ff').map((c) => ({ note: c, bytes: Buffer.from(jsonText({ ...v.body, x_: `caf${c}` }), 'latin1') }))),
    kind('the body in UTF-8 after a byte-order mark', (v) => fc.constant({ note: 'BOM', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(jsonText(v.body))]) })),
    kind('an astral character in CESU-8 (surrogate halves encoded separately)', (v) => fc.constantFrom('𝐀', '😀', '𠀀').map((c) => ({ note: c, bytes: cesu8(jsonText({ ...v.body, x_: c })) }))),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Mistyped bodies (JSON objects outside the schema) → 400 naming the bad field(s).

const RULED_SLOTS = ['id', 'agent', 'note', 'reason'] as const;
type RuledSlot = (typeof RULED_SLOTS)[number];
const isRuled = (t: Target): t is Target & { slot: RuledSlot } => (RULED_SLOTS as readonly string[]).includes(t.slot);

function mistypedKinds(route: CommandRoute): Kind[] {
  type Mutated = { body: JsonObject; mutations: Mutation[]; source: ValidCommand };
  // A mutated body travels under the path of the valid request it came from, so only the body is at fault.
  const probe = (what: string) => (arb: fc.Arbitrary<Mutated>) =>
    fc.tuple(arb, jsonType).map(([m, contentType]) => new Probe(`${what}: ${describeMutations(m.mutations)}`, wire(route, m.source.orderId, utf8(jsonText(m.body)), { contentType })));
  const kind = (name: string, probes: fc.Arbitrary<Probe>): Kind => ({ name, expected: 400, namesFields: true, probes });
  const mutations = (families: Family[], max: number) => mutated(route.full, route.targets, families.filter((f) => route.families.includes(f)), max);
  const kinds: Kind[] = [];
  if (route.families.includes('missing')) kinds.push(kind('a required field missing or renamed', probe('missing')(mutations(['missing'], 1))));
  kinds.push(
    kind('a field of the wrong type (number↔string, null, boolean, object, array, wrapped, JSON-encoded)', probe('type')(mutations(['type'], 1))),
    kind('a field out of range (ids, agent, note, reason outside the rules of contract §4; 0 or 501+ items; infinite quantities)', probe('range')(mutations(['range'], 1))),
    kind('several fields wrong at once', probe('several')(mutations(['missing', 'type', 'range'], 4))),
    kind(
      'one id or text field outside its rule, the rest valid → 400 naming exactly that field',
      route.full.chain((v) =>
        fc
          .constantFrom(...route.targets(v.body).filter(isRuled))
          .chain((target) => OUTSIDE_RULE[target.slot].map((bad) => ({ target, bad })))
          .map(({ target, bad }) => {
            const body = cloneObject(v.body);
            applyMutation(body, { path: target.path, op: 'set', value: bad });
            return new Probe(`${target.path.join('.')} = ${JSON.stringify(bad).slice(0, 200)}`, wire(route, v.orderId, utf8(jsonText(body))), ['body', ...target.path].join('.'));
          }),
      ),
    ),
  );
  const restructurings = Object.entries(route.restructurings);
  if (restructurings.length > 0) {
    kinds.push(
      kind(
        'valid fields nested wrongly',
        fc
          .tuple(route.full, fc.constantFrom(...restructurings), jsonType)
          .map(([v, [how, restructure], contentType]) => new Probe(`nested wrongly: ${how}`, wire(route, v.orderId, utf8(jsonText(restructure(cloneObject(v.body)))), { contentType }))),
      ),
    );
  }
  if (route.foreignBodies) {
    kinds.push(kind("another command's valid body", fc.tuple(idInsideRule, route.foreignBodies).map(([id, body]) => new Probe('other command body', wire(route, id, utf8(jsonText(body)))))));
  }
  return kinds;
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Oversized bodies (> 256 KiB) → 413, whatever else is right or wrong with them.

function oversizedKinds(route: CommandRoute): Kind[] {
  const expected = 413;
  const extra = fc.integer({ min: 1, max: 32 * 1024 });
  return [
    { name: 'a valid body padded with ASCII past 256 KiB', expected, probes: withBody(route, 'padded ASCII', fc.tuple(route.full, extra).map(([v, n]) => padded(v.body, LIMIT + n, 'x'))) },
    { name: 'a valid body 1 to 16 bytes over the limit', expected, probes: withBody(route, 'just over', fc.tuple(route.full, fc.integer({ min: 1, max: 16 })).map(([v, n]) => padded(v.body, LIMIT + n, 'x'))) },
    {
      // Under 256 Ki UTF-16 code units but over 256 KiB of UTF-8: the limit is on bytes, not characters.
      name: 'a valid body padded with multi-byte characters past 256 KiB',
      expected,
      probes: withBody(route, 'padded multi-byte', fc.tuple(route.full, fc.constantFrom('é', '€', '😀'), extra).map(([v, c, n]) => padded(v.body, LIMIT + n, c))),
    },
    { name: 'garbage bytes past 256 KiB', expected, probes: withBody(route, 'garbage', fc.tuple(fc.integer(), extra).map(([seed, n]) => garbage(seed, LIMIT + n))) },
    {
      name: 'a mistyped body padded past 256 KiB (size is checked before the schema)',
      expected,
      probes: withBody(route, 'oversized and mistyped', fc.tuple(mutated(route.full, route.targets, route.families, 2), extra).map(([m, n]) => padded(m.body, LIMIT + n, 'x'))),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 6. A valid, authenticated body under a bad path id → a 4xx, and never a command.

/** Ids outside the rule that a path can carry as a parameter: the router decodes them and the id schema refuses them. */
const decodableBadId = idOutsideRule.filter((id) => id !== '.' && id !== '..' && !Array.from(id).some(isLoneSurrogate));

/**
 * Path segments the router refuses or resolves elsewhere before any route: a lone surrogate (no UTF-8 can carry it:
 * 400 bad-url), broken percent-encoding (400 bad-url), dot segments (another path: 404), a segment over the router's
 * bound of 1024 characters (414).
 */
const unroutableSegment = fc.oneof(
  fc.constantFrom('.', '..', '%2e', '%2E%2E', '%', '%zz', '%E0%A4%A', '%C0%80', '%FF', '%ED%A0%80', 'a%ED%B0%80b', '%F4%90%80%80', 'ord%'),
  fc.integer({ min: 1025, max: 1100 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 180, max: 300 }).map((n) => '%F0%9D%90%80'.repeat(n)),
);

function pathKinds(route: CommandRoute): Kind[] {
  const kinds: Kind[] = [
    {
      name: 'a path id outside the rule of contract §4 → 400 naming params.order_id',
      expected: 400,
      namesFields: true,
      probes: fc.tuple(route.valid, decodableBadId).map(([v, bad]) => {
        const segment = pathSegment(bad);
        return new Probe(`path id ${JSON.stringify(bad).slice(0, 200)}`, wire(route, v.orderId, bodyBytes(v), { segment }), 'params.order_id');
      }),
    },
    {
      name: 'a path segment the router cannot take as an id (lone surrogate, broken percent-encoding, dot segment, over 1024 characters)',
      expected: ANY_4XX,
      probes: fc.tuple(route.valid, unroutableSegment).map(([v, segment]) => new Probe(`path segment ${segment.slice(0, 80)}`, wire(route, v.orderId, bodyBytes(v), { segment }))),
    },
  ];
  if (route === correction) {
    kinds.push({
      // docs/api.md: "400 when order.order_id differs from the path".
      name: "a valid correction for another order than the path's → 400 naming body.order.order_id",
      expected: 400,
      namesFields: true,
      probes: fc
        .tuple(route.full, idInsideRule)
        .filter(([v, other]) => other !== v.orderId)
        .chain(([v, other]) => encodedId(other).map((segment) => new Probe(`path ${segment}, body order ${v.orderId}`, wire(route, v.orderId, bodyBytes(v), { segment }), 'body.order.order_id'))),
    });
  }
  return kinds;
}

// ---------------------------------------------------------------------------------------------------------------
// The properties.

for (const route of ROUTES) {
  describe(`POST ${route.url('{order_id}')} rejects bad input with a 4xx problem and never reaches the order`, () => {
    describe('1. without a valid Bearer token → 401', () => runKinds(authKinds(route), RUNS.auth));
    describe('2. a media type that is not JSON → 4xx', () => runKinds(mediaTypeKinds(route), RUNS.mediaType));
    describe('3. malformed or wrongly encoded bodies → 400', () => {
      runKinds(malformedKinds(route), RUNS.malformed);
      runKinds(encodingKinds(route), RUNS.encoding);
    });
    describe('4. mistyped bodies → 400 naming the bad field', () => runKinds(mistypedKinds(route), RUNS.mistyped));
    describe('5. oversized bodies → 413', () => runKinds(oversizedKinds(route), RUNS.oversized));
    describe('6. bad path ids → 4xx', () => runKinds(pathKinds(route), RUNS.path));
  });
}

for (const route of ROUTES) {
  describe(`POST ${route.url('{order_id}')} positive control`, () => {
    it('sends every valid request to the command exactly once, with exactly the schema output, and answers 200', async () => {
      await fc.assert(
        fc.asyncProperty(
          route.valid.chain((v) => fc.tuple(fc.constant(v), encodedId(v.orderId), jsonType)),
          async ([v, segment, contentType]) => {
            const probe = new Probe('valid', wire(route, v.orderId, bodyBytes(v), { segment, ...(v.body === undefined ? {} : { contentType }) }));
            const before = commands.calls.length;
            const res = await send(probe.wire);
            const context = `request: ${fc.stringify(probe)}\nresponse: ${res.statusCode} ${res.body.slice(0, 600)}`;
            expect(res.statusCode, context).toBe(200);
            expect(commands.calls.length - before, context).toBe(1);
            // The path id decoded exactly, unknown fields dropped, nothing trimmed, the note's default filled in.
            expect(commands.calls.at(-1), context).toEqual(v.expected);
            expect(stray.names, context).toEqual([]);
          },
        ),
        { numRuns: RUNS.positive, seed: SEED },
      );
    });
  });
}
