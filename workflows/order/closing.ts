// Closing an order unforwarded: the two windows, judged by when each event arrived, and cancellation (the support
// route's Update or a cancel requested through Temporal). Once forwarding has started nothing closes the order.
import { condition, log, sleep } from '@temporalio/workflow';
import { rejection, RejectionType } from '../../contracts/errors';
import type { DashboardRecord } from '../../contracts';
import { FLOW_STEPS, type OrderContext } from './order-context';
import type { Closing } from './order-record';
import type { Payments } from './payments';
import { isClosed, isForwarding } from './phase';

export const TEMPORAL_CANCEL_REASON = 'cancel_requested_in_temporal';

export class Closer {
  /** True while an agent's correction is being checked: the order is not waiting on the outside world then. */
  correctionInProgress = false;
  /** One durable timer per deadline instant, started once and never cancelled (see `until`). */
  private readonly timers = new Map<number, Promise<void>>();

  constructor(
    private readonly ctx: OrderContext,
    private readonly payments: Payments,
  ) {}

  private get data() {
    return this.ctx.data;
  }

  /** Paid and on its way, or already closing: no window or cancel applies any more. */
  private get settled(): boolean {
    return this.data.closing !== null || isForwarding(this.data.phase) || isClosed(this.data.phase);
  }

  /**
   * Resolves with the closing once one is decided, and never if the order goes on to forwarding. Deadlines are
   * compared with the workflow's clock only to know that they have passed; who was in time is decided from arrivals.
   */
  async watch(): Promise<Closing> {
    const { captureDeadline, ttlDeadline } = this.data.windows;
    for (;;) {
      if (this.data.closing) return this.data.closing;
      if (this.settled) await condition(() => this.data.closing !== null);
      const now = Date.now();
      if (!this.data.payment && now >= captureDeadline) {
        await this.judgeCaptureWindow();
      } else if (now >= ttlDeadline) {
        await this.judgeTtl();
      } else {
        const paid = this.data.payment !== null;
        const next = paid ? ttlDeadline : Math.min(captureDeadline, ttlDeadline);
        await Promise.race([this.until(next), condition(() => this.settled || (this.data.payment !== null) !== paid)]);
      }
    }
  }

  /**
   * Resolves at `instant`. A timer is started once per instant and left running when the order moves on, because
   * cancelling one writes an event too: a happy-path order (both windows the same length, as by default) starts
   * one timer and nothing else, where a timed condition per wait cost four events. A timer still running when the
   * workflow completes is simply dropped.
   */
  private until(instant: number): Promise<void> {
    let timer = this.timers.get(instant);
    if (!timer) {
      timer = sleep(Math.max(instant - Date.now(), 1));
      this.timers.set(instant, timer);
    }
    return timer;
  }

  /** No valid capture arrived in time → CANCELLED, but only once every capture that did arrive in time is judged. */
  private async judgeCaptureWindow(): Promise<void> {
    const { captureDeadline } = this.data.windows;
    const paidOrSettled = () => this.settled || this.data.payment !== null;
    await condition(() => paidOrSettled() || !this.payments.unconfirmedBefore(captureDeadline));
    if (paidOrSettled()) return;
    // One last look at captures rejected as not (yet) captured: the Payment API may show them captured now.
    const rechecked = this.payments.recheckRejected();
    await condition(() => paidOrSettled() || rechecked());
    if (paidOrSettled()) return;
    this.decide({ status: 'CANCELLED', reason: 'payment_not_captured' });
  }

  /** Past the TTL an order expires once it waits on the outside world; work on inputs that arrived in time finishes. */
  private async judgeTtl(): Promise<void> {
    await condition(() => this.settled || this.waitsOnOutsideWorld());
    if (!this.settled) this.decide({ status: 'EXPIRED', reason: 'not_forwarded_in_time' });
  }

  private waitsOnOutsideWorld(): boolean {
    const { submission, windows, phase, payment } = this.data;
    // A parked validation or enrichment: an outage the order cannot wait out past its TTL. (A parked confirmation
    // is judged below like any capture in flight; a parked refund of another capture does not stop the order.)
    if (this.ctx.parking.has(...FLOW_STEPS)) return true;
    if (!submission || submission.arrivedAt >= windows.ttlDeadline) return true;
    if (this.correctionInProgress) return false;
    if (phase === 'NEEDS_CORRECTION' || phase === 'RISK_REVIEW') return true;
    if (phase === 'AWAITING_PAYMENT') return !payment && !this.payments.unconfirmedBefore(Math.min(windows.captureDeadline, windows.ttlDeadline));
    // Validating or enriching an order that arrived in time, or about to forward: our own work, not a reason to expire.
    return false;
  }

  /** The one place a closing is decided; synchronous, so nothing can pay or forward the order in between. */
  private decide(closing: Closing): boolean {
    if (this.settled) return false;
    this.data.closing = closing;
    log.info('order closing', { orderId: this.data.orderId, status: closing.status, reason: closing.reason });
    return true;
  }

  /** Compensation, exactly once per RRN: the kept payment, and any rejected capture that turns out captured after all. */
  async close(closing: Closing): Promise<void> {
    await this.ctx.moveTo(closing.status, closing.reason);
    if (this.data.payment) await this.payments.refund(this.data.payment, `order_${closing.status.toLowerCase()}: ${closing.reason}`);
    // payment_not_captured has just had its last look; any other closing takes one, so no captured money stays.
    if (closing.reason !== 'payment_not_captured') this.payments.recheckRejected();
  }

  /** vNext: the Risk API or an agent rejected the paid order: CANCELLED with reason risk_rejected, and refunded. */
  rejectForRisk(): boolean {
    return this.decide({ status: 'CANCELLED', reason: 'risk_rejected' });
  }

  /** The cancel Update's validator: refuse before anything reaches history. */
  validateCancel(): void {
    if (this.data.closing || isClosed(this.data.phase)) throw rejection(RejectionType.ORDER_TERMINAL, `order is ${this.ctx.status}`);
    if (this.data.payment || isForwarding(this.data.phase)) {
      throw rejection(RejectionType.PAYMENT_ALREADY_CAPTURED, 'payment already captured: the order goes on to fulfillment');
    }
  }

  /**
   * Cancel until a valid capture. Captures that arrived before the request are judged first: a valid one wins and
   * the cancel is refused (409) instead of cancelling and refunding. A parked confirmation does not hold it up.
   */
  async cancel(reason: string): Promise<DashboardRecord> {
    const earlierSettled = this.payments.settledSoFar();
    await condition(() => earlierSettled() || this.ctx.parking.any || this.data.closing !== null);
    this.validateCancel();
    this.decide({ status: 'CANCELLED', reason });
    await condition(() => isClosed(this.data.phase));
    return this.ctx.record();
  }

  /** "Request cancellation" in the Web UI is a cancel like the route: refused once paid, noted on the record either way. */
  async cancelFromTemporal(): Promise<void> {
    try {
      this.validateCancel();
      await this.cancel(TEMPORAL_CANCEL_REASON);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.ctx.note(`cancellation requested in Temporal refused: ${why}`);
      log.warn('cancellation requested in Temporal refused', { orderId: this.data.orderId, why });
      await this.ctx.persist();
    }
  }
}
