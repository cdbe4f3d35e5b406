// Payments of one order: capture callbacks in, each confirmed with the Payment API one at a time, the first valid
// one that arrived in time pays the order; every other valid capture is refunded. Money captured is never kept
// without an order, and a capture rejected once is looked at again when it is delivered again or the order closes.
import { condition, log } from '@temporalio/workflow';
import type { PaymentCaptureEvent } from '../../contracts';
import type { CaptureVerdict, RejectionCode } from '../../activities';
import type { OrderContext } from './order-context';
import { rememberRejected, type PendingCapture } from './order-record';
import { isClosed } from './phase';

/** Rejections that describe a payment that may still change: an RRN not yet known, or authorized but not captured. */
const MAY_CHANGE: readonly RejectionCode[] = ['payment_not_found', 'not_captured'];

export class Payments {
  constructor(private readonly ctx: OrderContext) {}

  private get data() {
    return this.ctx.data;
  }

  /**
   * Signal handler. Only captures accepted (paid or refunded) or still being confirmed are duplicates; a callback
   * rejected before is confirmed again, since the first delivery may have carried a wrong amount, or the Payment
   * API may not have shown it captured yet.
   */
  receive(event: PaymentCaptureEvent): void {
    const { rrn, amount_cents, customer_id } = event.payload;
    if (this.isAccepted(rrn) || this.data.pendingCaptures.some((c) => c.rrn === rrn && c.amount_cents === amount_cents)) {
      this.data.duplicateEvents++;
      log.info('duplicate payment capture ignored', { orderId: this.data.orderId });
      return;
    }
    this.data.customerId ??= customer_id;
    this.data.pendingCaptures.push({ rrn, amount_cents, arrivedAt: this.ctx.arrival(event.receivedAt), recheck: false });
  }

  get idle(): boolean {
    return this.data.pendingCaptures.length === 0;
  }

  /** A capture that arrived before `instant` is still to be confirmed: a decision judged by arrival must wait for it. */
  unconfirmedBefore(instant: number): boolean {
    return this.data.pendingCaptures.some((c) => c.arrivedAt < instant);
  }

  /** A check that the captures waiting right now have all been settled (later ones do not count). */
  settledSoFar(): () => boolean {
    const waiting = new Set(this.data.pendingCaptures);
    return () => !this.data.pendingCaptures.some((c) => waiting.has(c));
  }

  /**
   * Queues every rejected capture whose payment may have changed since, once per RRN, for one more look before the
   * order closes unforwarded. Returns a check that they have all been settled.
   */
  recheckRejected(): () => boolean {
    const queued = new Set<string>();
    for (const rejected of [...this.data.rejectedCaptures].reverse()) {
      const { rrn, amount_cents, arrivedAt } = rejected;
      if (!MAY_CHANGE.includes(rejected.code) || queued.has(rrn) || this.isAccepted(rrn) || this.data.pendingCaptures.some((c) => c.rrn === rrn)) continue;
      queued.add(rrn);
      this.data.pendingCaptures.push({ rrn, amount_cents, arrivedAt, recheck: true });
    }
    return () => !this.data.pendingCaptures.some((c) => c.recheck);
  }

  /** The confirmation lane: runs for the life of the order. A capture stays pending until it is fully settled. */
  async confirmEach(): Promise<never> {
    for (;;) {
      await condition(() => this.data.pendingCaptures.length > 0);
      const capture = this.data.pendingCaptures[0] as PendingCapture;
      const verdict = await this.ctx.parking.run('payment confirmation', () =>
        this.ctx.acts.confirmation.confirmCapture({ orderId: this.data.orderId, rrn: capture.rrn, amountCents: capture.amount_cents }),
      );
      await this.settle(capture, verdict);
      this.data.pendingCaptures.shift();
    }
  }

  async refund(capture: { rrn: string; amount_cents: number }, reason: string): Promise<void> {
    const { rrn, amount_cents } = capture;
    // One RRN, one Idempotency-Key: every retry, crash or second path refunds it once (activities/payment.ts).
    await this.ctx.parking.run(`refund of ${rrn}`, () => this.ctx.acts.payment.refundCapture({ rrn, amountCents: amount_cents, reason }));
    this.data.refunds.push({ rrn, amount_cents, reason, at: new Date().toISOString() });
    this.ctx.note(`refunded ${amount_cents} cents of ${rrn}: ${reason}`);
    await this.ctx.persist();
  }

  private isAccepted(rrn: string): boolean {
    return this.data.payment?.rrn === rrn || this.data.refunds.some((r) => r.rrn === rrn);
  }

  /** Pays the order only if it arrived while both windows were open and the order is still open and unpaid. */
  private canPay(capture: PendingCapture): boolean {
    const { windows, payment, closing, phase } = this.data;
    return !payment && !closing && !isClosed(phase) && capture.arrivedAt < windows.captureDeadline && capture.arrivedAt < windows.ttlDeadline;
  }

  private async settle(capture: PendingCapture, verdict: CaptureVerdict): Promise<void> {
    const { rrn, amount_cents } = capture;
    if (!verdict.accepted) {
      rememberRejected(this.data, { rrn, amount_cents, code: verdict.code, reason: verdict.reason, arrivedAt: capture.arrivedAt, at: new Date().toISOString() });
      this.ctx.note(`capture ${rrn} ${capture.recheck ? 'checked again, still ' : ''}rejected: ${verdict.reason}`);
      log.warn('payment capture rejected', { orderId: this.data.orderId, reason: verdict.code });
      await this.ctx.persist();
      return;
    }
    if (this.canPay(capture)) {
      this.data.payment = { rrn, amount_cents, captured_at: new Date(capture.arrivedAt).toISOString() };
      this.ctx.note(`capture ${rrn} confirmed${capture.recheck ? ' when checked again' : ''}`);
      // An order waiting for its payment forwards now, and the forwarding writes the payment with FORWARDING
      // (flow.ts): a write here would show the same change a moment earlier, at one more history event.
      if (this.data.phase !== 'AWAITING_PAYMENT') await this.ctx.persist();
      return;
    }
    const { payment, closing } = this.data;
    const reason = payment ? 'duplicate_payment' : closing ? `order_${closing.status.toLowerCase()}` : 'captured_after_window';
    await this.refund(capture, reason);
  }
}
