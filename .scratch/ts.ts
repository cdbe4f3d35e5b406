import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execSync } from 'node:child_process';
import { ensureTimeSkippingServer } from '../src/devstack/tools';
const exe = await ensureTimeSkippingServer(console.log);
const pids = () => execSync('pgrep -f io.temporal.testserver.TestServer || true').toString().trim();
for (let i = 0; i < Number(process.argv[2] ?? 3); i++) {
  const t0 = Date.now();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: exe } });
  const ready = Date.now() - t0;
  const before = await env.currentTimeMs();
  await env.sleep('30 days');
  const after = await env.currentTimeMs();
  const running = pids();
  await env.teardown();
  await new Promise((r) => setTimeout(r, 300));
  console.log(`createTimeSkipping ready in ${ready} ms; skipped ${(after - before) / 86400000} days; jvm pid ${running} -> after teardown: '${pids()}'`);
}
