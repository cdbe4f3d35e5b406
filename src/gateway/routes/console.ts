// The support console (docs/console.md): a handful of static files under /console, read once at start and served
// from memory with a strict Content-Security-Policy. No auth here: the files hold no data; every read and action of
// the page goes through the API with the Bearer token the agent typed in.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The whole console, one URL per file (a fixed list: no path from the request ever reaches the file system). Each
 * file is named with `new URL(…, import.meta.url)` so that the image check (test/unit/docker-compose.test.ts) sees it.
 */
const FILES: ReadonlyArray<{ name: string; url: URL; type: string }> = [
  { name: 'index.html', url: new URL('../../../console/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  { name: 'app.js', url: new URL('../../../console/app.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  { name: 'api.js', url: new URL('../../../console/api.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  { name: 'views.js', url: new URL('../../../console/views.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  { name: 'console.css', url: new URL('../../../console/console.css', import.meta.url), type: 'text/css; charset=utf-8' },
  { name: 'lifecycle.svg', url: new URL('../../../console/lifecycle.svg', import.meta.url), type: 'image/svg+xml; charset=utf-8' },
];

/**
 * Only the console's own files run or style the page; it talks to this origin only; nothing may frame it. The SVG
 * is drawn with presentation attributes, so no inline style is needed either.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // Small files, changed by a deploy: always revalidated, so an agent never runs a stale console against a new API.
  'cache-control': 'no-cache',
};

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of FILES) files.set(f.name, { body: await readFile(fileURLToPath(f.url)), type: f.type });
  const send = (name: string) => {
    const file = files.get(name);
    if (!file) throw new Error(`console file ${name} is not loaded`);
    return file;
  };

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 308));
  app.get('/console/', { schema: { hide: true } }, async (_request, reply) => {
    const file = send('index.html');
    return reply.headers(SECURITY_HEADERS).type(file.type).send(file.body);
  });
  for (const { name } of FILES) {
    app.get(`/console/${name}`, { schema: { hide: true } }, async (_request, reply) => {
      const file = send(name);
      return reply.headers(SECURITY_HEADERS).type(file.type).send(file.body);
    });
  }
};
