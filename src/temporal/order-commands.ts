// Support and customer commands on a running order, as Temporal Updates: each answers from the workflow itself,
// after its validator accepted it. Refusals and lookups are mapped to one small error vocabulary for the gateway.
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import {
  cancelOrder,
  correctOrder,
  ErrorType,
  orderWorkflowId,
  RejectionType,
  retryParkedSteps,
  decideRisk,
  type CancelRequest,
  type CorrectionRequest,
  type CorrectionResult,
  type DashboardRecord,
  type RetryRequest,
  type RiskDecisionRequest,
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
  /** vNext: an agent's decision on an order in RISK_REVIEW. */
  decideRisk(orderId: string, request: RiskDecisionRequest): Promise<DashboardRecord>;
}

const CONFLICTS = new Set<string>(Object.values(RejectionType));

/** Deliveries of one command when the workflow task carrying it failed (see `lostWithItsTask`). */
const UPDATE_DELIVERIES = 5;
const FAILED_PRECONDITION = 9;

/**
 * The server drops an Update whose workflow task failed before recording it, and says so with FAILED_PRECONDITION.
 * It happens when an event arrives while that task runs and the task would complete the order: Temporal then
 * refuses the completion (UnhandledCommand) and the Update with it. Nothing of it was recorded, so it is sent again;
 * the same update id makes a delivery that did get recorded count once.
 */
function lostWithItsTask(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return isGrpcServiceError(cause) && cause.code === FAILED_PRECONDITION && /workflow task failure/i.test(cause.details ?? '');
}

/** gRPC codes of a server that is down, restarting or overloaded: the agent retries, as a webhook sender would. */
const SERVER_UNAVAILABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

/** The Temporal server did not answer (the client's own retries ran out): a 503 with Retry-After, not a 500. */
function serverUnavailable(err: unknown): boolean {
  const grpc = isGrpcServiceError(err) ? err : err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : undefined;
  return grpc !== undefined && SERVER_UNAVAILABLE_CODES.has(grpc.code);
}

export function createTemporalOrderCommands(client: Client): OrderCommands {
  async function update<R>(orderId: string, run: (handle: ReturnType<Client['workflow']['getHandle']>, updateId: string) => Promise<R>): Promise<R> {
    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    const updateId = randomUUID();
    try {
      for (let delivery = 1; ; delivery++) {
        try {
          return await run(handle, updateId);
        } catch (err) {
          if (delivery >= UPDATE_DELIVERIES || !lostWithItsTask(err)) throw err;
        }
      }
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
      if (serverUnavailable(err)) throw new OrderCommandError('unavailable', `the Temporal server is unavailable: ${(err as Error).message}`);
      throw err;
    }
  }
  return {
    cancel: (orderId, request) => update(orderId, (h, updateId) => h.executeUpdate(cancelOrder, { args: [request], updateId })),
    correct: (orderId, request) => update(orderId, (h, updateId) => h.executeUpdate(correctOrder, { args: [request], updateId })),
    retryParked: (orderId, request) => update(orderId, (h, updateId) => h.executeUpdate(retryParkedSteps, { args: [request], updateId })),
    decideRisk: (orderId, request) => update(orderId, (h, updateId) => h.executeUpdate(decideRisk, { args: [request], updateId })),
  };
}
