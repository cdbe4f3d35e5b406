// OrderWorkflow: one durable process per order id, from the first event (webhook or capture) to FORWARDED.
import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  commerceOrderReceived,
  CustomerIdAttribute,
  getOrderState,
  OrderStatusAttribute,
  paymentCaptureReceived,
  type CommerceOrderEvent,
  type DashboardItem,
  type DashboardRecord,
  type EnrichedItem,
  type FulfillmentMessage,
  type HistoryEntry,
  type OrderState,
  type OrderStatus,
  type OrderWorkflowInput,
  type PaymentCaptureEvent,
  type RejectedCapture,
  type ValidationError,
} from '../contracts';
import type { CommerceActivities, OrderActivities } from '../activities';
import { ACTIVITY_OPTIONS, COMMERCE_NOT_FOUND_GRACE_MS } from './activity-options';

const commerce = proxyActivities<CommerceActivities>(ACTIVITY_OPTIONS.commerce);
const { enrichItems } = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.pim);
const { confirmCapture } = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.payment);
const { publishFulfillment } = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.fulfillment);
const { saveDashboardRecord } = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.dashboard);

export interface OrderOutcome {
  status: OrderStatus;
  orderId: string;
}

export async function OrderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const order = new OrderProcess(input);
  return order.run();
}

interface AcceptedPayment {
  rrn: string;
  amount_cents: number;
  captured_at: string;
}

/** Holds the order's state; every handler is registered in the constructor, before the first await. */
class OrderProcess {
  private status: OrderStatus = 'AWAITING_ORDER';
  private statusReason: string | null = null;
  private commerceEvent: CommerceOrderEvent | undefined;
  private customerId: string | undefined;
  private items: DashboardItem[] = [];
  private validationErrors: ValidationError[] = [];
  private readonly pendingCaptures: PaymentCaptureEvent[] = [];
  private readonly seenRrns = new Set<string>();
  private readonly rejectedCaptures: RejectedCapture[] = [];
  private payment: AcceptedPayment | undefined;
  private readonly history: HistoryEntry[] = [];
  private duplicateEvents = 0;
  private firstEventAt: Date | undefined;
  private revision = 0;

  constructor(private readonly input: OrderWorkflowInput) {
    setHandler(commerceOrderReceived, (event) => this.onCommerceOrder(event));
    setHandler(paymentCaptureReceived, (event) => this.onPaymentCapture(event));
    setHandler(getOrderState, () => this.snapshot());
  }

  async run(): Promise<OrderOutcome> {
    // signalWithStart delivers the first event in the first activation, so it is already here.
    this.firstEventAt ??= workflowInfo().startTime;
    void this.confirmCapturesAsTheyArrive();

    if (!this.commerceEvent) {
      await this.setStatus('AWAITING_ORDER');
      await condition(() => this.commerceEvent !== undefined);
    }
    const event = this.commerceEvent as CommerceOrderEvent;

    await this.setStatus('VALIDATING');
    const validation = await commerce.validateOrder({
      orderId: this.input.orderId,
      submitted: { customer_id: event.payload.customer_id, items: event.payload.order.items },
      notFoundIsFinalAfter: new Date(Date.parse(event.receivedAt) + COMMERCE_NOT_FOUND_GRACE_MS).toISOString(),
    });
    if (!validation.valid) {
      this.validationErrors = validation.errors;
      await this.setStatus('NEEDS_CORRECTION', validation.errors.map((e) => e.code).join(','));
      return this.parkForCorrection();
    }

    await this.setStatus('ENRICHING');
    const enrichment = await enrichItems(event.payload.order.items);
    if (!enrichment.complete) {
      this.validationErrors = enrichment.errors;
      await this.setStatus('NEEDS_CORRECTION', enrichment.errors.map((e) => e.code).join(','));
      return this.parkForCorrection();
    }
    this.items = enrichment.items;

    if (!this.payment) {
      await this.setStatus('AWAITING_PAYMENT');
      await condition(() => this.payment !== undefined);
    }
    const payment = this.payment as AcceptedPayment;

    await this.setStatus('FORWARDING');
    await publishFulfillment({ message: this.fulfillmentMessage(enrichment.items, payment.rrn), idempotencyKey: workflowInfo().workflowId });
    await this.setStatus('FORWARDED');
    return { status: this.status, orderId: this.input.orderId };
  }

  /**
   * Support corrections and the 30-day windows come with the order-lifecycle work; until then an invalid order
   * stays visibly parked in NEEDS_CORRECTION (dashboard, search attribute, query), never silently dropped.
   */
  private async parkForCorrection(): Promise<never> {
    await condition(() => false);
    throw ApplicationFailure.nonRetryable('unreachable: an order parked for correction never resumes', 'INTERNAL');
  }

  private onCommerceOrder(event: CommerceOrderEvent): void {
    if (this.commerceEvent) {
      // Webhooks are delivered at least once; only the first one counts (corrections go through the support API).
      this.duplicateEvents++;
      log.info('duplicate commerce webhook ignored', { orderId: this.input.orderId });
      return;
    }
    this.noteFirstEvent(event.receivedAt);
    this.commerceEvent = event;
    this.customerId = event.payload.customer_id;
    this.items = event.payload.order.items.map((i) => ({ item_id: i.item_id, quantity: i.quantity }));
  }

  private onPaymentCapture(event: PaymentCaptureEvent): void {
    if (this.seenRrns.has(event.payload.rrn)) {
      this.duplicateEvents++;
      log.info('duplicate payment capture ignored', { orderId: this.input.orderId });
      return;
    }
    this.noteFirstEvent(event.receivedAt);
    this.seenRrns.add(event.payload.rrn);
    this.customerId ??= event.payload.customer_id;
    this.pendingCaptures.push(event);
  }

  private noteFirstEvent(receivedAt: string): void {
    const at = new Date(receivedAt);
    if (!this.firstEventAt || at < this.firstEventAt) this.firstEventAt = at;
  }

  /** The payment lane: each capture is confirmed with the Payment API as it arrives, independent of validation. */
  private async confirmCapturesAsTheyArrive(): Promise<void> {
    for (;;) {
      await condition(() => this.pendingCaptures.length > 0 && this.payment === undefined);
      const capture = this.pendingCaptures.shift() as PaymentCaptureEvent;
      const { rrn, amount_cents } = capture.payload;
      const verdict = await confirmCapture({ orderId: this.input.orderId, rrn, amountCents: amount_cents });
      if (verdict.accepted) {
        this.payment = { rrn, amount_cents, captured_at: capture.receivedAt };
      } else {
        this.rejectedCaptures.push({ rrn, amount_cents, reason: verdict.reason, at: new Date().toISOString() });
        log.warn('payment capture rejected', { orderId: this.input.orderId, reason: verdict.reason });
      }
    }
  }

  private async setStatus(status: OrderStatus, reason: string | null = null): Promise<void> {
    this.status = status;
    this.statusReason = reason;
    this.history.push({ status, at: new Date().toISOString(), ...(reason ? { reason } : {}) });
    upsertSearchAttributes([
      { key: OrderStatusAttribute, value: status },
      ...(this.customerId ? [{ key: CustomerIdAttribute, value: this.customerId }] : []),
    ]);
    this.revision++;
    await saveDashboardRecord({ record: this.record(), revision: this.revision });
  }

  private record(): DashboardRecord {
    const submittedAt = this.firstEventAt ?? workflowInfo().startTime;
    return {
      order_id: this.input.orderId,
      customer_id: this.customerId ?? '',
      status: this.status,
      status_reason: this.statusReason,
      items: this.items,
      ...(this.payment ? { payment: this.payment } : {}),
      validation_errors: this.validationErrors,
      submitted_at: submittedAt.toISOString(),
      expires_at: new Date(submittedAt.getTime() + this.input.orderTtlMs).toISOString(),
      updated_at: new Date().toISOString(),
      history: [...this.history],
    };
  }

  private fulfillmentMessage(items: EnrichedItem[], rrn: string): FulfillmentMessage {
    return { customer_id: this.customerId ?? '', order_id: this.input.orderId, payment_details: { rrn }, items };
  }

  private snapshot(): OrderState {
    return {
      orderId: this.input.orderId,
      status: this.status,
      record: this.revision > 0 ? this.record() : undefined,
      pendingCaptures: this.pendingCaptures.map((c) => c.payload),
      rejectedCaptures: [...this.rejectedCaptures],
      duplicateEvents: this.duplicateEvents,
      history: [...this.history],
    };
  }
}
