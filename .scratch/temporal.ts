import { Connection } from '@temporalio/client';
import { startTemporalDevServer } from '../src/devstack/temporal-dev-server';
import { execSync } from 'node:child_process';
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);
const port = Number(process.argv[2] ?? 17233);
const ui = process.argv[3] === 'ui' ? port + 1000 : undefined;
const db = process.argv[4];
const t0 = Date.now();
const server = await startTemporalDevServer({
  port, ...(ui !== undefined ? { uiPort: ui } : {}), ...(db ? { dbFile: db } : {}), namespace: 'default',
  searchAttributes: { OrderStatus: 'Keyword', CustomerId: 'Keyword' },
  uiCodecEndpoint: 'http://127.0.0.1:3000/codec',
  logFile: '/tmp/oms-scratch/temporal.log', log,
});
console.log('start-to-ready', Date.now() - t0, 'ms', server);
const c = await Connection.connect({ address: server.address });
const sa = await c.operatorService.listSearchAttributes({ namespace: 'default' });
console.log('custom SAs:', sa.customAttributes);
await c.close();
console.log(execSync(`ss -ltnp | grep "pid=${server.pid}," || true`).toString());
if (ui) { const r = await fetch(server.uiUrl + '/api/v1/settings'); console.log('ui settings', r.status, (await r.text()).slice(0, 400)); }
const t1 = Date.now();
await server.stop();
console.log('stopped in', Date.now() - t1, 'ms; alive?', (() => { try { process.kill(server.pid!, 0); return true; } catch { return false; } })());
