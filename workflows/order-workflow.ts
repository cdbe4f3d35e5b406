// OrderWorkflow: one durable process per order id, from the first event (webhook or capture) until it is FORWARDED,
// CANCELLED or EXPIRED — validation, support correction, enrichment, payment, both 30-day windows, compensation.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  cancelOrder,
  commerceOrderReceived,
  correctOrder,
  CustomerIdAttribute,
  getOrderState,
  OrderStatusAttribute,
  paymentCaptureReceived,
  rejection,
  RejectionType,
  retryParkedSteps,
  ErrorType,
  TERMINAL_STATUSES,
  type CorrectionRequest,
  type CorrectionResult,
  type DashboardItem,
  type DashboardRecord,
  type EnrichedItem,
  type HistoryEntry,
  type OrderItemInput,
  type OrderState,
  type OrderStatus,
  type OrderWorkflowInput,
  type ParkedStep,
  type PaymentCaptureEvent,
  type RefundedCapture,
  type RejectedCapture,
  type ValidationError,
} from '../contracts';
import type { CommerceActivities, OrderActivities } from '../activities';
import { ACTIVITY_OPTIONS, COMMERCE_NOT_FOUND_GRACE_MS, DEFAULT_STEP_RETRY_BUDGET_MS, stepOptions } from './activity-options';
import { describeFailure } from './failures';

export interface OrderOutcome {
  status: OrderStatus;
  orderId: string;
}

export async function OrderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const order = new OrderProcess(input);
  return order.run();
}

interface SubmittedOrder {
  customer_id: string;
  items: OrderItemInput[];
  /** When the submission reached us: the Commerce 404 grace runs from here. */
  receivedAt: string;
}

interface AcceptedPayment {
  rrn: string;
  amount_cents: number;
  captured_at: string;
}

/** Why the order closes without being forwarded. */
interface Closing {
  status: 'CANCELLED' | 'EXPIRED';
  reason: string;
}

/** Holds the order's state; every handler is registered in the constructor, before the first await. */
class OrderProcess {
  private readonly acts;
  private readonly firstEventAt: Date;
  private readonly captureDeadline: number;
  private readonly ttlDeadline: number;

  /** Where the order's own flow is; the visible status is PARKED instead while any step is parked. */
  private flowStatus: OrderStatus = 'AWAITING_ORDER';
  private statusReason: string | null = null;
  private customerId: string | undefined;
  private submitted: SubmittedOrder | undefined;
  private items: DashboardItem[] = [];
  private enrichedItems: EnrichedItem[] | undefined;
  private validationErrors: ValidationError[] = [];
  private correctionRunning = false;
  private correctionAccepted = false;

  private readonly pendingCaptures: PaymentCaptureEvent[] = [];
  private readonly seenRrns = new Set<string>();
  private confirming = false;
  private payment: AcceptedPayment | undefined;
  private readonly rejectedCaptures: RejectedCapture[] = [];
  private readonly refunds: RefundedCapture[] = [];

  private cancelRequest: { reason: string } | undefined;
  private closing: Closing | undefined;
  private forwardingStarted = false;

  private readonly parked = new Map<number, ParkedStep>();
  private parkSequence = 0;

  private readonly history: HistoryEntry[] = [];
  private duplicateEvents = 0;
  private revision = 0;

  constructor(private readonly input: OrderWorkflowInput) {
    const steps = stepOptions(input.stepRetryBudgetMs ?? DEFAULT_STEP_RETRY_BUDGET_MS);
    this.acts = {
      commerce: proxyActivities<CommerceActivities>(steps.commerce),
      pim: proxyActivities<OrderActivities>(steps.pim),
      payment: proxyActivities<OrderActivities>(steps.payment),
      fulfillment: proxyActivities<OrderActivities>(steps.fulfillment),
      dashboard: proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.dashboard),
      interactiveCommerce: proxyActivities<CommerceActivities>(ACTIVITY_OPTIONS.interactiveCommerce),
      interactive: proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.interactive),
    };
    // The workflow starts on the first event (signalWithStart), so its start time is when that event was accepted:
    // both windows run from there, on Temporal's clock, never on a gateway's.
    this.firstEventAt = workflowInfo().startTime;
    this.captureDeadline = this.firstEventAt.getTime() + input.paymentCaptureWindowMs;
    this.ttlDeadline = this.firstEventAt.getTime() + input.orderTtlMs;

    setHandler(commerceOrderReceived, (event) => {
      if (this.submitted) {
        // Webhooks are delivered at least once; only the first counts (corrections go through the support API).
        this.duplicateEvents++;
        log.info('duplicate commerce webhook ignored', { orderId: input.orderId });
        return;
      }
      this.submitted = { customer_id: event.payload.customer_id, items: event.payload.order.items, receivedAt: event.receivedAt };
      this.customerId = event.payload.customer_id;
      this.items = event.payload.order.items.map((i) => ({ item_id: i.item_id, quantity: i.quantity }));
    });
    setHandler(paymentCaptureReceived, (event) => {
      if (this.seenRrns.has(event.payload.rrn)) {
        this.duplicateEvents++;
        log.info('duplicate payment capture ignored', { orderId: input.orderId });
        return;
      }
      this.seenRrns.add(event.payload.rrn);
      this.customerId ??= event.payload.customer_id;
      this.pendingCaptures.push(event);
    });
    setHandler(getOrderState, () => this.snapshot());
    setHandler(correctOrder, (request) => this.correct(request), {
      validator: (request) => {
        if (this.flowStatus !== 'NEEDS_CORRECTION' || this.correctionRunning || this.closing) {
          throw rejection(RejectionType.ORDER_NOT_AWAITING_CORRECTION, `order is ${this.status()}, not awaiting correction`);
        }
        if (request.order.order_id !== input.orderId) {
          throw rejection(RejectionType.ORDER_NOT_AWAITING_CORRECTION, `correction is for order ${request.order.order_id}, not ${input.orderId}`);
        }
      },
    });
    setHandler(cancelOrder, (request) => this.cancel(request.reason), {
      validator: (_request) => {
        if (this.closing || this.cancelRequest || TERMINAL_STATUSES.includes(this.flowStatus)) {
          throw rejection(RejectionType.ORDER_TERMINAL, `order is ${this.status()}`);
        }
        if (this.payment || this.forwardingStarted) {
          throw rejection(RejectionType.PAYMENT_ALREADY_CAPTURED, 'payment already captured: the order goes on to fulfillment');
        }
      },
    });
    setHandler(retryParkedSteps, (_request) => this.retryParked(), {
      validator: (_request) => {
        if (this.parked.size === 0) throw rejection(RejectionType.ORDER_NOT_PARKED, `order is ${this.status()}, no step is parked`);
      },
    });
  }

  async run(): Promise<OrderOutcome> {
    void this.paymentLane();

    const progressScope = new CancellationScope();
    const progress = progressScope.run(() => this.advanceToForwarded());
    const closing = await Promise.race([progress.then(() => undefined), this.closingTrigger()]);
    if (closing) {
      progressScope.cancel();
      await progress.catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
      await this.close(closing);
    }
    // A capture still being confirmed (say a second payment) is settled, and refunded if valid, before completing.
    await condition(() => this.pendingCaptures.length === 0 && !this.confirming);
    // Updates waiting for the outcome (cancel, correction) answer before the workflow completes.
    await condition(allHandlersFinished);
    return { status: this.flowStatus, orderId: this.input.orderId };
  }

  // ---- the order's own flow ------------------------------------------------------------------------------------

  private async advanceToForwarded(): Promise<void> {
    if (!this.submitted) {
      await this.setFlowStatus('AWAITING_ORDER');
      await condition(() => this.submitted !== undefined);
    }
    await this.validateAndEnrich(this.submitted as SubmittedOrder);

    if (!this.payment) {
      await this.setFlowStatus('AWAITING_PAYMENT');
      await condition(() => this.payment !== undefined);
    }
    const payment = this.payment as AcceptedPayment;
    // From here cancel answers 409 and the windows no longer apply: the order is paid and goes to fulfillment.
    this.forwardingStarted = true;
    await this.setFlowStatus('FORWARDING');
    const message = {
      customer_id: this.customerId ?? '',
      order_id: this.input.orderId,
      payment_details: { rrn: payment.rrn },
      items: this.enrichedItems ?? [],
    };
    await this.step('publish to fulfillment', () =>
      this.acts.fulfillment.publishFulfillment({ message, idempotencyKey: workflowInfo().workflowId }),
    );
    await this.setFlowStatus('FORWARDED');
  }

  private async validateAndEnrich(order: SubmittedOrder): Promise<void> {
    await this.setFlowStatus('VALIDATING');
    const validation = await this.step('validation', () =>
      this.acts.commerce.validateOrder({
        orderId: this.input.orderId,
        submitted: { customer_id: order.customer_id, items: order.items },
        notFoundIsFinalAfter: new Date(Date.parse(order.receivedAt) + COMMERCE_NOT_FOUND_GRACE_MS).toISOString(),
      }),
    );
    if (!validation.valid) return this.awaitCorrection(validation.errors);

    await this.setFlowStatus('ENRICHING');
    const enrichment = await this.step('enrichment', () => this.acts.pim.enrichItems(order.items));
    if (!enrichment.complete) return this.awaitCorrection(enrichment.errors);
    this.applyEnrichment(enrichment.items);
  }

  /** Parks the order for the support team; the correction Update re-validates and enriches, then the flow goes on. */
  private async awaitCorrection(errors: ValidationError[]): Promise<void> {
    this.validationErrors = errors;
    this.correctionAccepted = false;
    await this.setFlowStatus('NEEDS_CORRECTION', errors.map((e) => e.code).join(','));
    await condition(() => this.correctionAccepted);
  }

  private applyEnrichment(items: EnrichedItem[]): void {
    this.enrichedItems = items;
    this.items = items.map((i) => ({ ...i }));
    this.validationErrors = [];
  }

  // ---- payments ----------------------------------------------------------------------------------------------

  /**
   * Confirms each capture as it arrives, independent of validation. The first valid one pays the order; a valid
   * one the order cannot keep (a second payment, or any after cancel/expiry) is refunded: no money without an order.
   */
  private async paymentLane(): Promise<void> {
    for (;;) {
      await condition(() => this.pendingCaptures.length > 0);
      const capture = this.pendingCaptures.shift() as PaymentCaptureEvent;
      const { rrn, amount_cents } = capture.payload;
      this.confirming = true;
      const verdict = await this.step('payment confirmation', () =>
        this.acts.payment.confirmCapture({ orderId: this.input.orderId, rrn, amountCents: amount_cents }),
      );
      if (!verdict.accepted) {
        this.rejectedCaptures.push({ rrn, amount_cents, reason: verdict.reason, at: new Date().toISOString() });
        this.note(`capture ${rrn} rejected: ${verdict.reason}`);
        log.warn('payment capture rejected', { orderId: this.input.orderId, reason: verdict.reason });
        await this.persist();
      } else if (!this.payment && !this.closing && !this.cancelRequest) {
        this.payment = { rrn, amount_cents, captured_at: capture.receivedAt };
        this.note(`capture ${rrn} confirmed`);
        await this.persist();
      } else {
        const reason = this.payment ? 'duplicate_payment' : `order_${(this.closing?.status ?? 'CANCELLED').toLowerCase()}`;
        await this.refund({ rrn, amount_cents }, reason);
      }
      this.confirming = false;
    }
  }

  private async refund(capture: { rrn: string; amount_cents: number }, reason: string): Promise<void> {
    await this.step(`refund of ${capture.rrn}`, () =>
      this.acts.payment.refundCapture({ rrn: capture.rrn, amountCents: capture.amount_cents, reason }),
    );
    this.refunds.push({ ...capture, reason, at: new Date().toISOString() });
    this.note(`refunded ${capture.amount_cents} cents of ${capture.rrn}: ${reason}`);
    await this.persist();
  }

  // ---- closing: windows and cancellation ---------------------------------------------------------------------

  /** Resolves when the order must close unforwarded; never once forwarding has started (the order is paid). */
  private async closingTrigger(): Promise<Closing> {
    for (;;) {
      if (this.forwardingStarted) await condition(() => false);
      if (this.cancelRequest) return { status: 'CANCELLED', reason: this.cancelRequest.reason };
      const now = Date.now();
      // At 30 days both windows end together; no valid capture is the more specific reason.
      if (!this.payment && now >= this.captureDeadline) return { status: 'CANCELLED', reason: 'payment_not_captured' };
      if (now >= this.ttlDeadline) return { status: 'EXPIRED', reason: 'not_forwarded_in_time' };
      const paid = this.payment !== undefined;
      const wakeAt = paid ? this.ttlDeadline : Math.min(this.captureDeadline, this.ttlDeadline);
      await condition(() => this.cancelRequest !== undefined || this.forwardingStarted || (this.payment !== undefined) !== paid, wakeAt - now);
    }
  }

  private async close(closing: Closing): Promise<void> {
    this.closing = closing;
    await this.setFlowStatus(closing.status, closing.reason);
    // Compensation: money captured for an order that will never ship goes back, exactly once (Idempotency-Key).
    // Captures still being confirmed are refunded by the payment lane if valid (run() waits for it to finish them).
    if (this.payment) await this.refund(this.payment, `order_${closing.status.toLowerCase()}: ${closing.reason}`);
  }

  private async cancel(reason: string): Promise<DashboardRecord> {
    this.cancelRequest = { reason };
    // Normally CANCELLED; EXPIRED only if a window closed in the same instant — the answer is the honest outcome.
    await condition(() => TERMINAL_STATUSES.includes(this.flowStatus));
    return this.record();
  }

  // ---- support correction ------------------------------------------------------------------------------------

  private async correct(request: CorrectionRequest): Promise<CorrectionResult> {
    this.correctionRunning = true;
    try {
      const submitted = { customer_id: request.customer_id, items: request.order.items };
      const checked = await this.interactiveCheck(async () => {
        // No grace: the order is long since visible in the Commerce App; a 404 now is an answer.
        const validation = await this.acts.interactiveCommerce.validateOrder({
          orderId: this.input.orderId,
          submitted,
          notFoundIsFinalAfter: new Date(0).toISOString(),
        });
        if (!validation.valid) return { errors: validation.errors };
        const enrichment = await this.acts.interactive.enrichItems(request.order.items);
        return enrichment.complete ? { items: enrichment.items } : { errors: enrichment.errors };
      });
      if (this.closing) throw rejection(RejectionType.ORDER_TERMINAL, `order closed as ${this.closing.status} during the correction`);
      const by = `${request.agent}${request.note ? `: ${request.note}` : ''}`;
      if ('errors' in checked) {
        this.validationErrors = checked.errors;
        this.note(`correction by ${by} still invalid`);
        await this.setFlowStatus('NEEDS_CORRECTION', checked.errors.map((e) => e.code).join(','));
        return { accepted: false, errors: checked.errors, record: this.record() };
      }
      this.submitted = { ...submitted, receivedAt: new Date().toISOString() };
      this.customerId = request.customer_id;
      this.applyEnrichment(checked.items);
      this.note(`corrected by ${by}`);
      this.correctionAccepted = true;
      // Answer with the record once the order has moved on (AWAITING_PAYMENT or further).
      await condition(() => this.flowStatus !== 'NEEDS_CORRECTION');
      return { accepted: true, record: this.record() };
    } finally {
      this.correctionRunning = false;
    }
  }

  /** An agent waits on this inside an Update: a dependency outage becomes an answer, not a hang. */
  private async interactiveCheck<T>(check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.create({
        type: ErrorType.CHECK_UNAVAILABLE,
        message: `re-validation could not run now: ${describeFailure(err)}`,
        nonRetryable: true,
      });
    }
  }

  // ---- parking -----------------------------------------------------------------------------------------------

  /**
   * Runs one step; when it fails for good (retry budget spent, or a non-retryable contract violation) the order is
   * parked — visible as PARKED with the error — until an operator retries. The workflow itself never fails on it.
   */
  private async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (isCancellation(err)) throw err;
        const id = ++this.parkSequence;
        const error = describeFailure(err);
        this.parked.set(id, { step: name, error, since: new Date().toISOString() });
        log.error('step parked after exhausting its retries', { orderId: this.input.orderId, step: name, error });
        this.note(`${name} parked: ${error}`);
        await this.persist();
        try {
          await condition(() => !this.parked.has(id));
        } finally {
          // Also when the flow is cancelled while parked (a window closed): that step will never resume.
          this.parked.delete(id);
        }
      }
    }
  }

  private async retryParked(): Promise<DashboardRecord> {
    this.parked.clear();
    this.note('parked steps retried by an operator');
    await this.persist();
    return this.record();
  }

  // ---- status, record, visibility ----------------------------------------------------------------------------

  private status(): OrderStatus {
    return this.parked.size > 0 ? 'PARKED' : this.flowStatus;
  }

  private async setFlowStatus(status: OrderStatus, reason: string | null = null): Promise<void> {
    this.flowStatus = status;
    this.statusReason = reason;
    this.history.push({ status, at: new Date().toISOString(), ...(reason ? { reason } : {}) });
    await this.persist();
  }

  /** An event on the record's history that does not change the flow's status (captures, refunds, parking). */
  private note(reason: string): void {
    this.history.push({ status: this.status(), at: new Date().toISOString(), reason });
  }

  /** Every visible change: search attributes now, and the dashboard record with the next revision. */
  private async persist(): Promise<void> {
    upsertSearchAttributes([
      { key: OrderStatusAttribute, value: this.status() },
      ...(this.customerId ? [{ key: CustomerIdAttribute, value: this.customerId }] : []),
    ]);
    const revision = ++this.revision;
    // Started now, in the root scope: a cancelled flow must not lose the write that records why it stopped.
    await CancellationScope.nonCancellable(() => this.acts.dashboard.saveDashboardRecord({ record: this.record(), revision }));
  }

  private record(): DashboardRecord {
    const parkedReason = [...this.parked.values()].map((p) => `${p.step}: ${p.error}`).join('; ');
    return {
      order_id: this.input.orderId,
      customer_id: this.customerId ?? '',
      status: this.status(),
      status_reason: this.status() === 'PARKED' ? parkedReason : this.statusReason,
      items: this.items,
      ...(this.payment ? { payment: this.payment } : {}),
      validation_errors: this.validationErrors,
      submitted_at: this.firstEventAt.toISOString(),
      expires_at: new Date(this.ttlDeadline).toISOString(),
      updated_at: new Date().toISOString(),
      history: [...this.history],
    };
  }

  private snapshot(): OrderState {
    return {
      orderId: this.input.orderId,
      status: this.status(),
      record: this.record(),
      pendingCaptures: this.pendingCaptures.map((c) => c.payload),
      rejectedCaptures: [...this.rejectedCaptures],
      refunds: [...this.refunds],
      parkedSteps: [...this.parked.values()],
      duplicateEvents: this.duplicateEvents,
      captureDeadline: new Date(this.captureDeadline).toISOString(),
      ttlDeadline: new Date(this.ttlDeadline).toISOString(),
    };
  }
}
