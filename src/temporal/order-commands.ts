// Support and customer commands on a running order, as Temporal Updates: each answers from the workflow itself,
// after its validator accepted it. Refusals and lookups are mapped to one small error vocabulary for the gateway.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import {
  cancelOrder,
  correctOrder,
  ErrorType,
  orderWorkflowId,
  RejectionType,
  retryParkedSteps,
  type CancelRequest,
  type CorrectionRequest,
  type CorrectionResult,
  type DashboardRecord,
  type RetryRequest,
} from '../../contracts';

export type CommandRefusal = 'not_found' | 'conflict' | 'unavailable';

export class OrderCommandError extends Error {
  override readonly name = 'OrderCommandError';
  constructor(
    readonly refusal: CommandRefusal,
    message: string,
    readonly rejectionType?: string,
  ) {
    super(message);
  }
}

export interface OrderCommands {
  cancel(orderId: string, request: CancelRequest): Promise<DashboardRecord>;
  correct(orderId: string, request: CorrectionRequest): Promise<CorrectionResult>;
  retryParked(orderId: string, request: RetryRequest): Promise<DashboardRecord>;
}

const CONFLICTS = new Set<string>(Object.values(RejectionType));

export function createTemporalOrderCommands(client: Client): OrderCommands {
  async function update<R>(orderId: string, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<R>): Promise<R> {
    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      return await run(handle);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        if (cause instanceof ApplicationFailure && cause.type && CONFLICTS.has(cause.type)) {
          throw new OrderCommandError('conflict', cause.message, cause.type);
        }
        if (cause instanceof ApplicationFailure && cause.type === ErrorType.CHECK_UNAVAILABLE) {
          throw new OrderCommandError('unavailable', cause.message, cause.type);
        }
        throw err;
      }
      if (err instanceof WorkflowNotFoundError) {
        // An Update on a completed workflow is "not found" too: a closed order is a conflict, an unknown one is 404.
        const closed = await handle.describe().then(
          (d) => d.status.name,
          () => undefined,
        );
        if (closed) throw new OrderCommandError('conflict', `order ${orderId} is closed (${closed.toLowerCase()})`, RejectionType.ORDER_TERMINAL);
        throw new OrderCommandError('not_found', `no order ${orderId}`);
      }
      throw err;
    }
  }
  return {
    cancel: (orderId, request) => update(orderId, (h) => h.executeUpdate(cancelOrder, { args: [request] })),
    correct: (orderId, request) => update(orderId, (h) => h.executeUpdate(correctOrder, { args: [request] })),
    retryParked: (orderId, request) => update(orderId, (h) => h.executeUpdate(retryParkedSteps, { args: [request] })),
  };
}
