// Dev-only codec token relay of `npm start`: the local Temporal Web UI cannot send a Bearer token to a plain-http codec
// endpoint, so this loopback server adds CODEC_API_TOKEN and forwards to the gateway's strict /codec/*. It stands in
// for production's identity-aware proxy (SSO in front of the codec server, docs/pii.md) and refuses to run there.
import { createServer, request as httpRequest, Agent, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CodecRelayOptions {
  /** The gateway's base URL (http://127.0.0.1:3000): requests go to <upstream>/codec/…. */
  upstream: string;
  /** CODEC_API_TOKEN, sent as `Authorization: Bearer …` on every forwarded request. */
  token: string;
  /** Browser origins let through (the local Web UI's); a request without Origin (the temporal CLI) passes too. */
  allowedOrigins: readonly string[];
  /** 0 (default): any free port. */
  port?: number;
  /** Default process.env.NODE_ENV: `production` refuses to start. */
  nodeEnv?: string | undefined;
  /** Default 30 s: a gateway that takes longer is answered 504. */
  upstreamTimeoutMs?: number;
}

export interface CodecRelay {
  /** What the Web UI's codec endpoint is set to: http://127.0.0.1:<port>/codec. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export class CodecRelayError extends Error {
  override readonly name = 'CodecRelayError';
}

/** Loopback only: the relay hands out the token to whoever reaches it, so nothing off this machine may. */
const HOST = '127.0.0.1';
const PREFIX = '/codec/';
const METHODS = ['POST', 'OPTIONS'];
/** What the gateway's codec routes read; nothing else (cookies, the caller's own Authorization) goes through. */
const FORWARDED_HEADERS = ['origin', 'content-type', 'content-length', 'x-namespace', 'access-control-request-method', 'access-control-request-headers'];
/** Hop-by-hop (RFC 9110 §7.6.1): they describe one connection, not the answer, and Node sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export async function startCodecRelay(opts: CodecRelayOptions): Promise<CodecRelay> {
  if ((opts.nodeEnv ?? process.env.NODE_ENV) === 'production') {
    throw new CodecRelayError(
      'the codec token relay is a dev tool (it gives CODEC_API_TOKEN to any local caller) and does not run with NODE_ENV=production; ' +
        'in production an identity-aware proxy in front of the codec server authenticates the operator and adds the token (docs/pii.md)',
    );
  }
  const upstream = new URL(opts.upstream);
  if (upstream.protocol !== 'http:') throw new CodecRelayError(`codec relay: upstream ${opts.upstream} is not an http:// URL`);
  const allowedOrigins = new Set(opts.allowedOrigins);
  const timeoutMs = opts.upstreamTimeoutMs ?? 30_000;
  const agent = new Agent({ keepAlive: true });
  let allowedHosts: Set<string> = new Set();

  const server = createServer((req, res) => {
    const refusal = refuse(req, allowedHosts, allowedOrigins);
    if (refusal) {
      // Answered before its body is read: the connection closes after it, so no client reuses a half-read stream.
      res.shouldKeepAlive = false;
      req.resume();
      problem(res, refusal.status, refusal.slug, refusal.detail, refusal.field, refusal.status === 405 ? { allow: METHODS.join(', ') } : {});
      return;
    }
    forward(req, res, { upstream, agent, token: opts.token, timeoutMs, path: normalizedPath(req) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A DNS-rebinding page reaches 127.0.0.1 under its own host name: only our own names are answered.
  allowedHosts = new Set([`${HOST}:${port}`, `localhost:${port}`]);
  return {
    endpoint: `http://${HOST}:${port}/codec`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

interface Refusal {
  status: number;
  slug: string;
  detail: string;
  field: string;
}

/** Why a request is not forwarded, or undefined when it is. */
function refuse(req: IncomingMessage, allowedHosts: ReadonlySet<string>, allowedOrigins: ReadonlySet<string>): Refusal | undefined {
  if (!METHODS.includes(req.method ?? '')) {
    return { status: 405, slug: 'method-not-allowed', detail: 'the codec relay forwards POST and OPTIONS only', field: 'method' };
  }
  if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
    return { status: 403, slug: 'forbidden-host', detail: `the codec relay answers only as ${[...allowedHosts].join(' or ')}`, field: 'headers.host' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    const allowed = [...allowedOrigins].join(', ');
    return { status: 403, slug: 'forbidden-origin', detail: `origin ${origin} is not the local Temporal Web UI (${allowed}: CODEC_CORS_ORIGINS)`, field: 'headers.origin' };
  }
  if (!normalizedPath(req).startsWith(PREFIX)) return { status: 404, slug: 'not-found', detail: `the codec relay forwards ${PREFIX}* only`, field: 'path' };
  return undefined;
}

/** Path and query with dot segments resolved (also %2e): `/codec/../v1/orders` is `/v1/orders`, and refused. */
function normalizedPath(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://relay.invalid');
  return `${url.pathname}${url.search}`;
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { upstream: URL; agent: Agent; token: string; timeoutMs: number; path: string },
): void {
  const headers: OutgoingHttpHeaders = {};
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  headers.authorization = `Bearer ${ctx.token}`;
  const base = ctx.upstream.pathname.replace(/\/+$/, '');
  const out = httpRequest({
    protocol: ctx.upstream.protocol,
    hostname: ctx.upstream.hostname,
    port: ctx.upstream.port,
    method: req.method,
    path: `${base}${ctx.path}`,
    headers,
    agent: ctx.agent,
    timeout: ctx.timeoutMs,
  });
  out.on('response', (answer) => {
    const passed: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) passed[name] = value;
    res.writeHead(answer.statusCode ?? 502, passed);
    answer.pipe(res);
    answer.on('error', (err) => res.destroy(err));
  });
  out.on('timeout', () => out.destroy(Object.assign(new Error(`no answer from the gateway in ${ctx.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    const timedOut = err.code === 'ETIMEDOUT';
    const detail = `codec relay: the gateway at ${ctx.upstream.origin} did not answer (${err.code ?? err.message})`;
    problem(res, timedOut ? 504 : 502, timedOut ? 'gateway-timeout' : 'bad-gateway', detail, 'upstream');
  });
  // The caller gave up: so does the request it started.
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}

/** The gateway's error shape (RFC 9457), so a client reads the relay's refusals like the gateway's own. */
function problem(res: ServerResponse, status: number, slug: string, detail: string, field: string, headers: Record<string, string> = {}): void {
  const errors = [{ field, message: detail }];
  const body = JSON.stringify({ type: `https://oms.example/problems/${slug}`, title: STATUS_CODES[status] ?? 'Error', status, detail, errors });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
