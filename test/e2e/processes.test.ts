// `npm start -- --workers 2` as an operator sees it: the gateway and two workers are separate processes (the pids of
// the banner and of .data/processes.json, the pollers Temporal lists), and killing one of them restarts it alone —
// the others keep their pids, the gateway keeps answering and orders keep reaching Kafka.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TASK_QUEUES } from '../../contracts';
import { isPidAlive } from '../../dev/stack/processes';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';

let world: E2eWorld;

beforeAll(async () => {
  world = await bootE2eWorld({}, { args: ['--workers', '2'] });
});

afterAll(async () => {
  await world?.stop();
});

/** The pids Temporal lists as pollers of a task queue (the SDK's identity is `<pid>@<host>`). */
async function pollerPids(taskQueue: string, taskQueueType: 1 | 2): Promise<number[]> {
  const res = await world.temporal.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
  return (res.pollers ?? []).map((p) => Number.parseInt(p.identity ?? '', 10));
}

/** One order through the gateway, both webhooks, until its message is on the topic. */
async function forwardOneOrder(): Promise<void> {
  const orderId = uniqueOrderId('ord-proc');
  world.seedOrder(orderId);
  expect((await world.gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
  expect((await world.gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
  await vi.waitFor(() => expect(world.topic.forKey(orderId)).toHaveLength(1), { timeout: 90_000, interval: 200 });
  // The record turns FORWARDED right after the publish, written through the shared store.
  await vi.waitFor(async () => expect((await world.gateway.getOrder(orderId)).body).toMatchObject({ status: 'FORWARDED' }), { timeout: 30_000, interval: 200 });
}

async function readyz(): Promise<number> {
  const res = await fetch(`${world.stack.gatewayUrl}/readyz`);
  await res.body?.cancel();
  return res.status;
}

describe('npm start -- --workers 2', () => {
  it('runs the gateway and two workers as separate processes, each polling Temporal, their pids in the banner', async () => {
    const procs = await world.stack.processes();
    const workerPids = procs.workers.map((w) => w.pid);
    expect(workerPids).toHaveLength(2);
    const all = [procs.supervisor, procs.gateway.pid, ...workerPids];
    expect(new Set(all).size).toBe(4);
    for (const pid of all) expect(isPidAlive(pid)).toBe(true);
    // Both workers poll both task queues: two worker processes really share the work.
    expect(await pollerPids(TASK_QUEUES.orders, 1)).toEqual(expect.arrayContaining(workerPids));
    expect(await pollerPids(TASK_QUEUES.commerce, 2)).toEqual(expect.arrayContaining(workerPids));
    // Each worker has its own metrics port.
    expect(new Set(procs.workers.map((w) => w.metrics)).size).toBe(2);
    for (const w of procs.workers) expect((await fetch(w.metrics ?? '')).status).toBe(200);
    expect(procs.store.kind).toBe('pglite');

    const banner = world.stack.output();
    expect(banner).toContain(`pid ${procs.gateway.pid}`);
    for (const pid of workerPids) expect(banner).toContain(`pid ${pid}`);
  });

  it('restarts a SIGKILLed worker alone: the gateway keeps answering and orders are still forwarded', async () => {
    const before = await world.stack.processes();
    const victim = before.workers[0];
    if (!victim) throw new Error('no worker 1');
    process.kill(victim.pid, 'SIGKILL');
    await vi.waitFor(() => expect(isPidAlive(victim.pid)).toBe(false), { timeout: 10_000, interval: 50 });

    // The gateway is another process: it answers while worker 1 is down, and the order it accepts goes through.
    expect(await readyz()).toBe(200);
    await forwardOneOrder();

    const after = await vi.waitFor(
      async () => {
        const now = await world.stack.processes();
        expect(now.workers[0]?.restarts).toBe(1);
        return now;
      },
      { timeout: 5 * 60_000, interval: 200 },
    );
    expect(after.workers[0]?.pid).not.toBe(victim.pid);
    expect(isPidAlive(after.workers[0]?.pid ?? 0)).toBe(true);
    expect(after.workers[1]?.pid).toBe(before.workers[1]?.pid);
    expect(after.gateway.pid).toBe(before.gateway.pid);
    expect(world.stack.output()).toContain(`worker 1 (pid ${victim.pid}) exited unexpectedly (killed by SIGKILL); restarting it`);
    expect(await pollerPids(TASK_QUEUES.orders, 1)).toContain(after.workers[0]?.pid);
  });

  it('restarts a SIGKILLed gateway alone: the workers keep their pids and orders flow again', async () => {
    const before = await world.stack.processes();
    process.kill(before.gateway.pid, 'SIGKILL');
    const after = await vi.waitFor(
      async () => {
        const now = await world.stack.processes();
        expect(now.gateway.restarts).toBe(1);
        return now;
      },
      { timeout: 2 * 60_000, interval: 200 },
    );
    expect(after.gateway.pid).not.toBe(before.gateway.pid);
    expect(await readyz()).toBe(200);
    expect(after.workers.map((w) => w.pid)).toEqual(before.workers.map((w) => w.pid));
    await forwardOneOrder();
  });
});
