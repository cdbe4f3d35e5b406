// Compensation survives a worker crash: a worker process is SIGKILLed after the Payment API applied the refund but
// before the activity reported completion; on a real Temporal dev server the attempt times out, another worker
// retries it with the same Idempotency-Key, and the Payment API (an independent implementation) refunds once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderWorkflowId, paymentCaptureReceived, TASK_QUEUES } from '../../contracts';
import { createPaymentActivities } from '../../activities/payment';
import { createPaymentApi } from '../../src/clients/payment-api';
import { WORKFLOWS_PATH } from '../../src/worker/create-workers';
import { OrderWorkflow } from '../../workflows';
import { fakeActivities } from '../helpers/fake-activities';
import { captureEvent, uniqueOrderId } from '../helpers/fixtures';
import { startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { startIndependentApis, type IndependentApis } from '../helpers/independent-apis';

let dev: TestDevServer;
let apis: IndependentApis;
let server: TestDevServer['server'];
let client: Client;

beforeAll(async () => {
  [dev, apis] = await Promise.all([startTestDevServer({ name: 'crash' }), startIndependentApis()]);
  ({ server, client } = dev);
});

afterAll(async () => {
  await apis?.stop();
  await dev?.stop();
});

function startCrashingWorker(): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/crashing-worker.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, PAYMENT_API_URL: apis.urls.payment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

describe('refund after a worker crash', () => {
  it('happens once: the killed worker applied it, the next worker retries with the same key', async () => {
    const orderId = uniqueOrderId('ord-crash');
    const rrn = `rrn-${orderId}`;
    apis.payments.set(rrn, { rrn, order_id: orderId, amount_cents: 7_450, status: 'captured' });

    const crashing = startCrashingWorker();
    try {
      await vi.waitFor(() => expect(crashing.output()).toContain('WORKER_READY'), { timeout: 60_000, interval: 100 });
      // Payment only, and 2-second windows: the order expires and the payment must be refunded.
      const handle = await client.workflow.signalWithStart(OrderWorkflow, {
        workflowId: orderWorkflowId(orderId),
        taskQueue: TASK_QUEUES.orders,
        args: [{ orderId, orderTtlMs: 2_000, paymentCaptureWindowMs: 2_000 }],
        signal: paymentCaptureReceived,
        signalArgs: [captureEvent(orderId)],
      });
      await vi.waitFor(() => expect(crashing.output()).toContain('REFUND_APPLIED'), { timeout: 60_000, interval: 100 });
      crashing.child.kill('SIGKILL');
      await new Promise((resolve) => crashing.child.once('exit', resolve));
      expect(apis.refunds.filter((r) => r.rrn === rrn)).toHaveLength(1);

      // A fresh worker: the lost attempt times out on the server (startToClose) and is retried here.
      const connection = await NativeConnection.connect({ address: server.address });
      const payments = createPaymentActivities({ payments: createPaymentApi({ baseUrl: apis.urls.payment }), claims: { claimRrn: async (_r, o) => o } });
      const worker = await Worker.create({
        connection,
        taskQueue: TASK_QUEUES.orders,
        workflowsPath: WORKFLOWS_PATH,
        activities: { ...fakeActivities().orders, refundCapture: payments.refundCapture },
      });
      try {
        expect(await worker.runUntil(handle.result())).toMatchObject({ status: 'EXPIRED' });
      } finally {
        await connection.close();
      }
      const refundCalls = apis.requests.filter((r) => r === `payment POST /payments/${rrn}/refunds`);
      expect(refundCalls).toHaveLength(2);
      expect(apis.refunds.filter((r) => r.rrn === rrn)).toEqual([
        { rrn, idempotencyKey: `refund-${rrn}`, body: { amount_cents: 7_450, reason: 'order_expired: not_forwarded_in_time' } },
      ]);
    } finally {
      if (crashing.child.exitCode === null && crashing.child.signalCode === null) crashing.child.kill('SIGKILL');
    }
  }, 180_000);
});
