// The gateway's hand-off to Temporal for the baseline path: the service's own createTemporalOrderEvents, given a
// client whose signalWithStart sends the very same call (same workflow id, arguments, signal, signal arguments,
// reuse policy, search attributes — whatever src/temporal/order-events.ts passes today) to the baseline workflow
// type on the baseline task queue instead. So the two paths cannot drift apart when the service's call changes.
// Anything else the sink might call (client.workflow.start of a LateEventWorkflow, for an order id used twice)
// is refused: the benchmark never reuses an id, and a late event has no baseline counterpart.
import type { Client, WorkflowSignalWithStartOptions } from '@temporalio/client';
import { ORDER_WORKFLOW_TYPE, TASK_QUEUES, type OrderWorkflowInput } from '../../contracts';
import { createTemporalOrderEvents, type OrderEventSink } from '../../src/temporal/order-events';
import { BASELINE_TASK_QUEUES } from './names';

export function createBaselineOrderEvents(options: {
  client: Client;
  workflowType: string;
  windows: Pick<OrderWorkflowInput, 'orderTtlMs' | 'paymentCaptureWindowMs' | 'stepRetryBudgetMs'>;
}): OrderEventSink {
  const { client, workflowType } = options;
  const redirecting = {
    workflow: {
      signalWithStart(type: unknown, opts: WorkflowSignalWithStartOptions) {
        if (type !== ORDER_WORKFLOW_TYPE || opts.taskQueue !== TASK_QUEUES.orders) {
          throw new Error(`baseline: unexpected signalWithStart of ${String(type)} on ${opts.taskQueue}`);
        }
        return client.workflow.signalWithStart(workflowType, { ...opts, taskQueue: BASELINE_TASK_QUEUES.orders });
      },
      start() {
        throw new Error('baseline: an order id was used twice (the late-event path has no baseline counterpart)');
      },
    },
  };
  return createTemporalOrderEvents({ client: redirecting as unknown as Client, windows: options.windows });
}
