// The one harness of the OrderWorkflow tests on the time-skipping server: a fresh server per test, workers with
// stand-in activities, events stamped on the server's clock, and the assertions every such test reads state with.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { commerceOrderReceived, getOrderState, orderWorkflowId, paymentCaptureReceived, TASK_QUEUES, type OrderState, type OrderWorkflowInput } from '../../contracts';
import { OrderWorkflow } from '../../workflows';
import { captureEvent, commerceEvent } from './fixtures';
import { fakeActivities, type FakeBehaviour } from './fake-activities';
import { bundleWorkflows } from './dev-server';
import { createTimeSkippingEnv } from './workflow-env';

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

export type Fakes = ReturnType<typeof fakeActivities>;

/** Registers the hooks (bundle once per file, a server per test) and returns the harness bound to them. */
export function useOrderWorkflowHarness() {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
  });
  // A fresh time-skipping server per test (≈0.5 s): on the Java test server an Update leaves time skipping locked
  // (sdk-java #2283), so a later env.sleep would hang. Isolation also keeps one test's timers out of another's.
  beforeEach(async () => {
    env = await createTimeSkippingEnv();
  });
  afterEach(async () => {
    await env?.teardown();
    env = undefined;
  });

  const current = (): TestWorkflowEnvironment => {
    if (!env) throw new Error('the harness is used outside a test');
    return env;
  };

  /** Runs `body` while an `orders` worker and a Commerce-queue worker poll with the given stand-in activities. */
  async function withWorkers<T>(behaviourOrFakes: FakeBehaviour | Fakes, body: (fakes: Fakes) => Promise<T>): Promise<T> {
    const fakes = 'log' in behaviourOrFakes ? (behaviourOrFakes as Fakes) : fakeActivities(behaviourOrFakes as FakeBehaviour);
    const { nativeConnection: connection } = current();
    const orders = await Worker.create({ connection, taskQueue: TASK_QUEUES.orders, workflowBundle: bundle, activities: fakes.orders });
    const commerce = await Worker.create({ connection, taskQueue: TASK_QUEUES.commerce, activities: fakes.commerce });
    return orders.runUntil(commerce.runUntil(body(fakes)));
  }

  function input(orderId: string, overrides: Partial<OrderWorkflowInput> = {}): OrderWorkflowInput {
    return { orderId, orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY, ...overrides };
  }

  /** The gateway's receipt stamp, on the test server's clock (which time skipping moves ahead of the wall clock). */
  async function receivedNow(): Promise<string> {
    return new Date(await current().currentTimeMs()).toISOString();
  }

  async function sendCommerce(orderId: string, overrides: Partial<OrderWorkflowInput> = {}) {
    return current().client.workflow.signalWithStart(OrderWorkflow, {
      workflowId: orderWorkflowId(orderId),
      taskQueue: TASK_QUEUES.orders,
      args: [input(orderId, overrides)],
      signal: commerceOrderReceived,
      signalArgs: [commerceEvent(orderId, await receivedNow())],
    });
  }

  async function sendCapture(orderId: string, capture: Parameters<typeof captureEvent>[1] = {}, overrides: Partial<OrderWorkflowInput> = {}) {
    return current().client.workflow.signalWithStart(OrderWorkflow, {
      workflowId: orderWorkflowId(orderId),
      taskQueue: TASK_QUEUES.orders,
      args: [input(orderId, overrides)],
      signal: paymentCaptureReceived,
      signalArgs: [captureEvent(orderId, capture, await receivedNow())],
    });
  }

  return {
    get env() {
      return current();
    },
    withWorkers,
    input,
    receivedNow,
    sendCommerce,
    sendCapture,
  };
}

export async function eventually(handle: WorkflowHandle, expected: Partial<OrderState> | ((s: OrderState) => void)): Promise<OrderState> {
  return vi.waitFor(
    async () => {
      const state = await handle.query(getOrderState);
      if (typeof expected === 'function') expected(state);
      else expect(state).toMatchObject(expected);
      return state;
    },
    { timeout: 20_000, interval: 100 },
  );
}

/** The update's refusal as the client sees it: the ApplicationFailure type the validator or handler threw. */
export async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

/** Statuses in revision order (concurrent writes may run in any order; the store keeps the highest revision). */
export function distinctStatuses(fakes: Fakes): string[] {
  return [...fakes.log.saved]
    .sort((a, b) => a.revision - b.revision)
    .map((s) => s.record.status)
    .filter((s, i, all) => s !== all[i - 1]);
}

/** The statuses the order's last record shows it went through, each once, in order (written or only passed). */
export function statusesOnRecord(fakes: Fakes): string[] {
  return (lastRecord(fakes)?.history ?? []).map((h) => h.status).filter((s, i, all) => s !== all[i - 1]);
}

export function lastRecord(fakes: Fakes) {
  return [...fakes.log.saved].sort((a, b) => a.revision - b.revision).at(-1)?.record;
}

/** A promise the test resolves: holds an activity at an exact point so a race is driven, not waited for. */
export function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}
