// OrderWorkflow: one durable process per order id, from the first event (webhook or capture) until it is FORWARDED,
// CANCELLED or EXPIRED. This file is the table of contents: the messages it takes, then how it runs. The rules live
// in order/: flow.ts (validate → enrich → pay → publish), payments.ts, closing.ts (windows, cancel), parking.ts.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  cancelOrder,
  commerceOrderReceived,
  correctOrder,
  decideRisk,
  getOrderState,
  paymentCaptureReceived,
  retryParkedSteps,
  RETRY_AFTER_ITS_WRITE_PATCH,
  RETRY_NAMES_THE_AGENT_PATCH,
  RISK_COLLECTION_PATCH,
} from '../contracts/temporal';
import { rejection, RejectionType } from '../contracts/errors';
import type { OrderStatus, OrderWorkflowInput, RetryRequest } from '../contracts';
import { DEFAULT_STEP_RETRY_BUDGET_MS } from './activity-options';
import { Closer } from './order/closing';
import { Flow } from './order/flow';
import { handOverAsLateEvents } from './order/late-run';
import { OrderContext } from './order/order-context';
import { initialData, type OrderData } from './order/order-record';
import { Payments } from './order/payments';
import { WAITING_PHASES } from './order/phase';

export interface OrderOutcome {
  status: OrderStatus;
  orderId: string;
}

/** Well below Temporal's 50K-event limit, in case the server's continue-as-new suggestion never comes. */
const MAX_EVENTS_PER_RUN = 10_000;

/** `carried` is the state of the previous run when the order continued as new; the windows travel in it unchanged. */
export async function OrderWorkflow(input: OrderWorkflowInput, carried?: OrderData): Promise<OrderOutcome> {
  const firstEventAt = workflowInfo().startTime.getTime();
  const ctx = new OrderContext(carried ?? initialData(input, firstEventAt, input.stepRetryBudgetMs ?? DEFAULT_STEP_RETRY_BUDGET_MS));
  // Decided once, in the order's first task, and carried over a continue-as-new: an order started before the release
  // replays this task without the marker (false) and finishes without the risk step, wherever it is when the new
  // workers arrive; a later call, at the step itself, would answer true for it (docs/versioning.md).
  if (!carried) ctx.data.collectsRisk = patched(RISK_COLLECTION_PATCH);
  const payments = new Payments(ctx);
  const closer = new Closer(ctx, payments);
  const flow = new Flow(ctx, closer);

  // Every message the order takes, registered before the first await.
  setHandler(commerceOrderReceived, (event) => flow.receive(event));
  setHandler(paymentCaptureReceived, (event) => payments.receive(event));
  setHandler(getOrderState, () => ctx.snapshot());
  setHandler(correctOrder, (request) => shielded(() => flow.correct(request)), { validator: (request) => flow.validateCorrection(request) });
  setHandler(cancelOrder, (request) => shielded(() => closer.cancel(request.reason)), { validator: (_request) => closer.validateCancel() });
  setHandler(retryParkedSteps, (request) => shielded(() => retryParked(ctx, request)), { validator: (_request) => validateRetry(ctx) });
  setHandler(decideRisk, (request) => shielded(() => flow.decideRisk(request)), { validator: (request) => flow.validateRiskDecision(request) });

  // A cancellation requested through Temporal (the Web UI's "Request cancellation") is a cancel like the route's:
  // refused once paid, else CANCELLED and refunded. All work runs shielded from the root scope, so a cancellation
  // never cuts through compensation, a correction or a refund.
  CancellationScope.current().cancelRequested.catch(() => shielded(() => closer.cancelFromTemporal()));
  return shielded(async () => {
    if (!carried) {
      // The first write is also the check of the store's durable closure mark: a run started by a late event after
      // Temporal's retention dropped the closed run must not reopen the order.
      const { closedAs } = await ctx.open();
      if (closedAs) return handOverAsLateEvents(ctx, closedAs);
    }
    void payments.confirmEach();
    const flowScope = new CancellationScope();
    const flowDone = flowScope.run(() => flow.run());
    const outcome = await Promise.race([flowDone.then(() => 'forwarded' as const), closer.watch(), continueAsNewWhenQuiet(input, ctx, payments, closer)]);
    if (outcome !== 'forwarded') {
      flowScope.cancel();
      await flowDone.catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
      await closer.close(outcome);
    }
    // One wait for everything still in flight: captures being confirmed (and refunded if valid), refunds retrying,
    // Updates waiting for their answer. A capture that arrives meanwhile is settled before the order completes.
    await condition(() => payments.idle && !ctx.parking.any && allHandlersFinished());
    return { status: ctx.data.phase, orderId: ctx.data.orderId };
  });
}

/**
 * Resolves never: continues the order as new once Temporal suggests it (a long history, e.g. a flood of bad
 * captures) and the order is quiet — waiting on the outside world with nothing in flight — so the state carries over.
 */
async function continueAsNewWhenQuiet(input: OrderWorkflowInput, ctx: OrderContext, payments: Payments, closer: Closer): Promise<never> {
  const { data } = ctx;
  await condition(() => {
    const info = workflowInfo();
    const due = info.continueAsNewSuggested || info.historyLength >= MAX_EVENTS_PER_RUN;
    const waiting = WAITING_PHASES.includes(data.phase) && !(data.phase === 'AWAITING_ORDER' && data.submission) && !(data.phase === 'AWAITING_PAYMENT' && data.payment);
    return due && waiting && !data.closing && payments.idle && !ctx.parking.any && !closer.correctionInProgress && ctx.quiet && allHandlersFinished();
  });
  return continueAsNew<typeof OrderWorkflow>(input, data);
}

/** Runs outside the root scope: Temporal's cancellation request is handled as a cancel, never as an interruption. */
function shielded<T>(work: () => Promise<T>): Promise<T> {
  return CancellationScope.nonCancellable(work);
}

function validateRetry(ctx: OrderContext): void {
  if (!ctx.parking.any) throw rejection(RejectionType.ORDER_NOT_PARKED, `order is ${ctx.status}, no step is parked`);
}

/**
 * The history note of a retry. Earlier releases wrote the same words for every retry; behind its patch (a marker only
 * on an order that is retried) the note names the agent and their note, as a correction or a risk decision does.
 */
function retryNote(request: RetryRequest | undefined): string {
  if (!patched(RETRY_NAMES_THE_AGENT_PATCH) || !request?.agent) return 'parked steps retried by an operator';
  return `parked steps retried by ${request.agent}${request.note ? `: ${request.note}` : ''}`;
}

async function retryParked(ctx: OrderContext, request: RetryRequest | undefined) {
  if (!patched(RETRY_AFTER_ITS_WRITE_PATCH)) {
    ctx.parking.retryAllNow();
    ctx.note(retryNote(request));
    await ctx.persist();
    return ctx.record();
  }
  // The steps resume only once the write that unparks them is done. Released at once, a quick step's local activity
  // could finish in the same task as this write; replay then resolves both together and may issue the step's next
  // command before this Update's answer, the other way round from the live run (a non-determinism error).
  const resume = ctx.parking.releaseAll();
  ctx.note(retryNote(request));
  await ctx.persist();
  resume();
  return ctx.record();
}
