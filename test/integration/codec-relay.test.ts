// The dev codec token relay of `npm start` (dev/stack/codec-relay.ts): what it forwards to the gateway's /codec/* and
// what it refuses, against a recording upstream (exact headers) and against the real gateway plugin on a real port.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CodecRelayError, startCodecRelay, type CodecRelay } from '../../dev/stack/codec-relay';
import { build, DEFAULT_SECRETS, type InMemoryStore, type RecordingSink, type TestGateway } from '../helpers/gateway-app';

const UI = 'http://127.0.0.1:18233';
const UI_LOCALHOST = 'http://localhost:18233';
const TOKEN = 'relay-test-codec-token';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP call: fetch would not let a test set Host, nor leave Origin out on purpose. */
function send(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('codec relay against a recording upstream', () => {
  const seen: Seen[] = [];
  let upstream: Server;
  let relay: CodecRelay;

  beforeAll(async () => {
    // Answers like the gateway would: CORS for the UI origin it is given, and a status and header of its own choosing.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const cors = req.headers.origin ? { 'access-control-allow-origin': req.headers.origin, vary: 'Origin' } : {};
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'X-Namespace, Content-Type', 'access-control-max-age': '600' });
          res.end();
          return;
        }
        res.writeHead(207, { ...cors, 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ echoed: body }));
      });
    });
    const port = await listen(upstream);
    relay = await startCodecRelay({ upstream: `http://127.0.0.1:${port}`, token: TOKEN, allowedOrigins: [UI, UI_LOCALHOST], nodeEnv: 'development' });
  });

  afterAll(async () => {
    await relay?.stop();
    if (upstream) await close(upstream);
  });

  afterEach(() => {
    seen.length = 0;
  });

  const host = () => `127.0.0.1:${relay.port}`;

  it('listens on loopback and names its endpoint as the Web UI is given it', () => {
    expect(relay.endpoint).toBe(`http://127.0.0.1:${relay.port}/codec`);
  });

  it('adds the Bearer token and forwards method, path, body and only the headers that matter', async () => {
    const body = JSON.stringify({ payloads: [{ metadata: {}, data: 'aGk=' }] });
    const res = await send(relay.port, {
      path: '/codec/decode?x=1',
      headers: {
        host: host(),
        origin: UI,
        'content-type': 'application/json',
        'x-namespace': 'default',
        // What a browser also sends, which the codec server has no business seeing.
        cookie: 'session=secret',
        authorization: 'Bearer not-the-callers-to-give',
        referer: `${UI}/namespaces/default/workflows`,
      },
      body,
    });

    expect(res.status).toBe(207);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers.vary).toBe('Origin');
    expect(JSON.parse(res.body)).toEqual({ echoed: body });
    expect(seen).toHaveLength(1);
    const [got] = seen;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/codec/decode?x=1');
    expect(got?.body).toBe(body);
    expect(got?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(got?.headers.origin).toBe(UI);
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['x-namespace']).toBe('default');
    expect(got?.headers.cookie).toBeUndefined();
    expect(got?.headers.referer).toBeUndefined();
  });

  it('passes a CORS preflight through with its Access-Control-Request-* headers, and the answer back', async () => {
    const res = await send(relay.port, {
      method: 'OPTIONS',
      path: '/codec/decode',
      headers: { host: `localhost:${relay.port}`, origin: UI_LOCALHOST, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI_LOCALHOST);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers']).toBe('X-Namespace, Content-Type');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(seen[0]?.method).toBe('OPTIONS');
    expect(seen[0]?.headers['access-control-request-method']).toBe('POST');
    expect(seen[0]?.headers['access-control-request-headers']).toBe('content-type,x-namespace');
    expect(seen[0]?.headers.origin).toBe(UI_LOCALHOST);
  });

  it('forwards a call without Origin (the temporal CLI’s --codec-endpoint)', async () => {
    const res = await send(relay.port, { path: '/codec/encode', headers: { host: host(), 'content-type': 'application/json' }, body: '{"payloads":[]}' });

    expect(res.status).toBe(207);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.headers.origin).toBeUndefined();
  });

  it('refuses another Origin with 403, before anything reaches the gateway', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:18234', 'null']) {
      for (const method of ['POST', 'OPTIONS']) {
        const res = await send(relay.port, { method, path: '/codec/decode', headers: { host: host(), origin, 'access-control-request-method': 'POST' }, body: '{"payloads":[]}' });
        expect(res.status, `${method} from ${origin}`).toBe(403);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(JSON.parse(res.body)).toMatchObject({ status: 403, errors: [{ field: 'headers.origin' }] });
      }
    }
    expect(seen).toEqual([]);
  });

  it('refuses paths outside /codec/ with 404, dot segments and their percent-encoding too', async () => {
    for (const path of ['/v1/orders/ord-1', '/codec', '/codecx/decode', '/codec/../v1/orders/ord-1', '/codec/%2e%2e/v1/orders/ord-1', '/readyz', '/']) {
      const res = await send(relay.port, { path, headers: { host: host(), origin: UI }, body: '{}' });
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ status: 404, errors: [{ field: 'path' }] });
    }
    expect(seen).toEqual([]);
  });

  it('refuses methods other than POST and OPTIONS with 405', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await send(relay.port, { method, path: '/codec/decode', headers: { host: host(), origin: UI } });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('POST, OPTIONS');
    }
    expect(seen).toEqual([]);
  });

  it('refuses a Host that is not its own (a DNS-rebinding page reaching 127.0.0.1 under another name)', async () => {
    const res = await send(relay.port, { path: '/codec/decode', headers: { host: `rebind.example:${relay.port}` }, body: '{"payloads":[]}' });

    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ field: 'headers.host' }] });
    expect(seen).toEqual([]);
  });
});

describe('codec relay against the real gateway', () => {
  let gateway: TestGateway<RecordingSink, InMemoryStore> | undefined;
  let relay: CodecRelay;
  let gatewayPort: number;

  beforeAll(async () => {
    gateway = await build({ shared: true, codecCorsOrigins: [UI, UI_LOCALHOST] });
    await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    gatewayPort = (gateway.app.server.address() as AddressInfo).port;
    relay = await startCodecRelay({ upstream: `http://127.0.0.1:${gatewayPort}`, token: DEFAULT_SECRETS.codecApiToken ?? '', allowedOrigins: [UI, UI_LOCALHOST], nodeEnv: 'test' });
  });

  afterAll(async () => {
    await relay?.stop();
    await gateway?.app.close();
  });

  it('decodes through the relay what the gateway refuses without a token, with CORS on both answers', async () => {
    if (!gateway) throw new Error('no gateway');
    const [encrypted] = await gateway.codec.encode([defaultPayloadConverter.toPayload({ marker: 'relay-marker-7' })]);
    const wire = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(encrypted?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
          data: Buffer.from(encrypted?.data ?? new Uint8Array()).toString('base64'),
        },
      ],
    };
    const headers = { origin: UI, 'content-type': 'application/json', 'x-namespace': 'default' };

    const direct = await send(gatewayPort, { path: '/codec/decode', headers: { ...headers, host: `127.0.0.1:${gatewayPort}` }, body: JSON.stringify(wire) });
    expect(direct.status).toBe(401);
    expect(direct.headers['access-control-allow-origin']).toBe(UI);

    const preflight = await send(relay.port, {
      method: 'OPTIONS',
      path: '/codec/decode',
      headers: { host: `127.0.0.1:${relay.port}`, origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('x-namespace');

    const relayed = await send(relay.port, { path: '/codec/decode', headers: { ...headers, host: `127.0.0.1:${relay.port}` }, body: JSON.stringify(wire) });
    expect(relayed.status).toBe(200);
    expect(relayed.headers['access-control-allow-origin']).toBe(UI);
    const [decoded] = (JSON.parse(relayed.body) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(decoded?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded?.data ?? '', 'base64').toString())).toEqual({ marker: 'relay-marker-7' });
  });

  it('answers 502 while the gateway is down (e.g. being restarted by npm start)', async () => {
    const idle = createServer();
    const port = await listen(idle);
    await close(idle);
    const orphan = await startCodecRelay({ upstream: `http://127.0.0.1:${port}`, token: TOKEN, allowedOrigins: [UI], nodeEnv: 'test' });
    try {
      const res = await send(orphan.port, { path: '/codec/decode', headers: { host: `127.0.0.1:${orphan.port}`, origin: UI }, body: '{"payloads":[]}' });
      expect(res.status).toBe(502);
      expect(JSON.parse(res.body)).toMatchObject({ status: 502, title: 'Bad Gateway' });
    } finally {
      await orphan.stop();
    }
  });
});

describe('codec relay outside development', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('refuses to start with NODE_ENV=production, given or from the environment', async () => {
    const opts = { upstream: 'http://127.0.0.1:1', token: TOKEN, allowedOrigins: [UI] };
    await expect(startCodecRelay({ ...opts, nodeEnv: 'production' })).rejects.toThrow(CodecRelayError);
    vi.stubEnv('NODE_ENV', 'production');
    await expect(startCodecRelay({ ...opts, port: 0 })).rejects.toThrow(/NODE_ENV=production/);
  });
});
