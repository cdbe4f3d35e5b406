// The order's own way to FORWARDED, one phase at a time: wait for the order, validate it with the Commerce App,
// enrich it from PIM (or wait for a support correction), wait for payment, publish. Resumable from any waiting
// phase, so a continued-as-new run picks up where the last one stopped.
import { ApplicationFailure, condition, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import { ErrorType, rejection, RejectionType } from '../../contracts/errors';
import type { CommerceOrderEvent, CorrectionRequest, CorrectionResult, DashboardRecord, EnrichedItem, RiskDecisionRequest, SubmittedOrder, ValidationError } from '../../contracts';
import { COMMERCE_NOT_FOUND_GRACE_MS, LOCAL_ENRICHMENT_MAX_ITEMS } from '../activity-options';
import { describeFailure } from '../failures';
import type { Closer } from './closing';
import { FLOW_STEPS, type OrderContext } from './order-context';
import { isClosed, type Phase } from './phase';

export class Flow {
  constructor(
    private readonly ctx: OrderContext,
    private readonly closer: Closer,
  ) {}

  private get data() {
    return this.ctx.data;
  }

  /** Signal handler. Webhooks are delivered at least once: only the first counts (corrections use the support API). */
  receive(event: CommerceOrderEvent): void {
    if (this.data.submission) {
      this.data.duplicateEvents++;
      log.info('duplicate commerce webhook ignored', { orderId: this.data.orderId });
      return;
    }
    const { customer_id, order } = event.payload;
    this.data.submission = { order: { customer_id, items: order.items }, arrivedAt: this.ctx.arrival(event.receivedAt) };
    this.data.customerId = customer_id;
    this.data.sealedEmail = event.sealedEmail ?? null;
    this.data.items = order.items.map((i) => ({ item_id: i.item_id, quantity: i.quantity }));
  }

  /** Runs until FORWARDED; cancelled from outside (its scope) when the order closes unforwarded. */
  async run(): Promise<void> {
    for (;;) {
      switch (this.data.phase) {
        case 'AWAITING_ORDER':
          await condition(() => this.data.submission !== null);
          await this.advance('VALIDATING');
          break;
        case 'VALIDATING':
          await this.validate();
          break;
        case 'ENRICHING':
          await this.enrich();
          break;
        case 'NEEDS_CORRECTION':
          // The correction Update moves the order on once an agent's correction passes.
          await condition(() => this.data.phase !== 'NEEDS_CORRECTION');
          // A corrected paid order goes on to the risk assessment, a local activity: it starts only once the
          // correction's own write has landed (correctionInProgress is cleared after it). Started at once, both local
          // activities could finish in the same task; replay then resolves them together and may issue the publish
          // before the Update's answer, the other way round from the live run (a non-determinism error). Orders
          // started before the release (collectsRisk false) forward at once, as they always did.
          if (this.data.collectsRisk) await condition(() => !this.closer.correctionInProgress);
          break;
        case 'AWAITING_PAYMENT':
          await condition(() => this.data.payment !== null);
          // The confirmed capture has just been written (payments.ts); FORWARDED is the next write.
          await this.advance(this.afterPayment(), null, 'pass');
          break;
        case 'ASSESSING_RISK':
          await this.assessRisk();
          break;
        case 'RISK_REVIEW':
          await this.awaitRiskDecision();
          break;
        case 'FORWARDING':
          await this.forward();
          return;
        default:
          return;
      }
    }
  }

  /**
   * Moves on, unless the order is closing: then the flow stops here while its scope is being cancelled. `pass` for a
   * phase the next step leaves within the same workflow task: it is written with the phase after it.
   */
  private async advance(to: Phase, reason: string | null = null, write: 'write' | 'pass' = 'write'): Promise<void> {
    if (this.data.closing) await condition(() => false);
    if (write === 'pass') this.ctx.pass(to, reason);
    else await this.ctx.moveTo(to, reason);
  }

  /** A small order's enrichment is a local activity: ENRICHING is then only passed through (activity-options.ts). */
  private enrichesLocally(): boolean {
    const items = this.data.submission?.order.items ?? [];
    return new Set(items.map((i) => i.item_id)).size <= LOCAL_ENRICHMENT_MAX_ITEMS;
  }

  private async validate(): Promise<void> {
    const submission = this.data.submission;
    if (!submission) throw ApplicationFailure.nonRetryable('validating without a submission', 'ILLEGAL_STATE');
    const validation = await this.ctx.parking.run(FLOW_STEPS[0], () =>
      this.ctx.acts.commerce.validateOrder({
        orderId: this.data.orderId,
        submitted: submission.order,
        // The Commerce App may not show the order right after its webhook: a 404 is retried for a grace period.
        notFoundIsFinalAfter: new Date(submission.arrivedAt + COMMERCE_NOT_FOUND_GRACE_MS).toISOString(),
      }),
    );
    if (validation.valid) await this.advance('ENRICHING', null, this.enrichesLocally() ? 'pass' : 'write');
    else await this.needsCorrection(validation.errors);
  }

  private async enrich(): Promise<void> {
    const items = this.data.submission?.order.items ?? [];
    const pim = this.enrichesLocally() ? this.ctx.acts.localPim : this.ctx.acts.pim;
    const enrichment = await this.ctx.parking.run(FLOW_STEPS[1], () => pim.enrichItems(items));
    if (!enrichment.complete) return this.needsCorrection(enrichment.errors);
    this.applyEnrichment(enrichment.items);
    // Paid already: the publish follows at once, and FORWARDED is the next write.
    if (this.data.payment) await this.advance(this.afterPayment(), null, 'pass');
    else await this.advance('AWAITING_PAYMENT');
  }

  /**
   * Where a paid, enriched order goes: the risk step for orders started on the release that added it, straight to
   * forwarding for those started before (collectsRisk was fixed by patched() in their first task).
   */
  private afterPayment(): Phase {
    return this.data.collectsRisk ? 'ASSESSING_RISK' : 'FORWARDING';
  }

  /** Contract §10: approve goes on, review waits for an agent, reject cancels and refunds; a dead Risk API parks. */
  private async assessRisk(): Promise<void> {
    const payment = this.data.payment;
    if (!payment) throw ApplicationFailure.nonRetryable('assessing risk without a payment', 'ILLEGAL_STATE');
    const assessment = await this.ctx.parking.run(FLOW_STEPS[2], () =>
      this.ctx.acts.risk.assessRisk({
        order_id: this.data.orderId,
        customer_id: this.data.customerId ?? '',
        amount_cents: payment.amount_cents,
        items: this.data.enrichedItems ?? [],
      }),
    );
    this.data.risk = { decision: assessment.decision, score: assessment.score, reasons: [...assessment.reasons] };
    const why = `score ${assessment.score}${assessment.reasons.length > 0 ? `: ${assessment.reasons.join('; ')}` : ''}`;
    if (assessment.decision === 'approve') return this.advance('FORWARDING', null, 'pass');
    if (assessment.decision === 'review') return this.advance('RISK_REVIEW', `risk review (${why})`);
    this.ctx.note(`rejected by the Risk API (${why})`);
    await this.rejectForRisk();
  }

  private async awaitRiskDecision(): Promise<void> {
    await condition(() => this.data.riskDecision != null);
    const { decision, agent, note } = this.data.riskDecision!;
    const by = `${agent}${note ? `: ${note}` : ''}`;
    if (decision === 'approve') {
      this.ctx.note(`risk approved by ${by}`);
      return this.advance('FORWARDING', null, 'pass');
    }
    this.ctx.note(`risk rejected by ${by}`);
    await this.rejectForRisk();
  }

  /** A cancel the order decides itself: the closing refunds the capture; this flow's scope is cancelled meanwhile. */
  private async rejectForRisk(): Promise<void> {
    this.closer.rejectForRisk();
    await condition(() => false);
  }

  // ---- risk decision (an Update) -------------------------------------------------------------------------------

  validateRiskDecision(_request: RiskDecisionRequest): void {
    if (this.data.phase !== 'RISK_REVIEW' || this.data.closing || this.data.riskDecision != null) {
      throw rejection(RejectionType.ORDER_NOT_IN_RISK_REVIEW, `order is ${this.ctx.status}, not in risk review`);
    }
  }

  /** Returns the record once the order has moved on: forwarding after an approval, CANCELLED after a rejection. */
  async decideRisk(request: RiskDecisionRequest): Promise<DashboardRecord> {
    this.data.riskDecision = { decision: request.decision, agent: request.agent, note: request.note };
    await condition(() => isClosed(this.data.phase) || (this.data.phase !== 'RISK_REVIEW' && this.data.closing === null));
    return this.ctx.record();
  }

  private async needsCorrection(errors: ValidationError[]): Promise<void> {
    this.data.validationErrors = errors;
    await this.advance('NEEDS_CORRECTION', errors.map((e) => e.code).join(','));
  }

  private applyEnrichment(items: EnrichedItem[]): void {
    this.data.enrichedItems = items;
    this.data.items = items.map((i) => ({ ...i }));
    this.data.validationErrors = [];
  }

  /**
   * One queued step writes the paid order as FORWARDING, publishes it and writes it FORWARDED (activities/
   * fulfillment.ts); the records are built here, afresh at each retry of a parked publish. The order itself is
   * FORWARDED once the step succeeded, at the time its record says.
   */
  private async forward(): Promise<void> {
    const payment = this.data.payment;
    if (!payment) throw ApplicationFailure.nonRetryable('forwarding without a payment', 'ILLEGAL_STATE');
    const message = {
      customer_id: this.data.customerId ?? '',
      order_id: this.data.orderId,
      payment_details: { rrn: payment.rrn },
      items: this.data.enrichedItems ?? [],
    };
    let forwardedAt = '';
    await this.ctx.parking.run('publish to fulfillment', () => {
      forwardedAt = new Date().toISOString();
      return this.ctx.acts.fulfillment.publishFulfillment({
        message,
        idempotencyKey: workflowInfo().workflowId,
        forwarding: this.ctx.recordToWrite(),
        forwarded: this.ctx.recordToWrite({ phase: 'FORWARDED', at: forwardedAt }),
      });
    });
    this.ctx.pass('FORWARDED', null, forwardedAt);
    this.ctx.showAttributes();
  }

  // ---- support correction (an Update) --------------------------------------------------------------------------

  validateCorrection(request: CorrectionRequest): void {
    if (this.data.phase !== 'NEEDS_CORRECTION' || this.closer.correctionInProgress || this.data.closing) {
      throw rejection(RejectionType.ORDER_NOT_AWAITING_CORRECTION, `order is ${this.ctx.status}, not awaiting correction`);
    }
    if (request.order.order_id !== this.data.orderId) {
      throw rejection(RejectionType.ORDER_NOT_AWAITING_CORRECTION, `correction is for order ${request.order.order_id}, not ${this.data.orderId}`);
    }
  }

  async correct(request: CorrectionRequest): Promise<CorrectionResult> {
    // The correction arrived when the Update was accepted, not when its checks came back (they may outlast the TTL).
    const arrivedAt = Date.now();
    this.closer.correctionInProgress = true;
    try {
      const submitted: SubmittedOrder = { customer_id: request.customer_id, items: request.order.items };
      const checked = await this.recheck(submitted);
      if (this.data.closing) throw rejection(RejectionType.ORDER_TERMINAL, `order closed as ${this.data.closing.status} during the correction`);
      const by = `${request.agent}${request.note ? `: ${request.note}` : ''}`;
      if ('errors' in checked) {
        this.data.validationErrors = checked.errors;
        this.ctx.note(`correction by ${by} still invalid`);
        await this.ctx.moveTo('NEEDS_CORRECTION', checked.errors.map((e) => e.code).join(','));
        return { accepted: false, errors: checked.errors, record: this.ctx.record() };
      }
      this.data.submission = { order: submitted, arrivedAt };
      this.data.customerId = request.customer_id;
      this.applyEnrichment(checked.items);
      this.ctx.note(`corrected by ${by}`);
      await this.ctx.moveTo(this.data.payment ? this.afterPayment() : 'AWAITING_PAYMENT');
      return { accepted: true, record: this.ctx.record() };
    } finally {
      this.closer.correctionInProgress = false;
    }
  }

  /** An agent waits on this inside an Update: a dependency outage becomes an answer (503), not a hang. */
  private async recheck(submitted: SubmittedOrder): Promise<{ items: EnrichedItem[] } | { errors: ValidationError[] }> {
    try {
      // No grace: the order is long since visible in the Commerce App; a 404 now is an answer.
      const validation = await this.ctx.acts.interactiveCommerce.validateOrder({
        orderId: this.data.orderId,
        submitted,
        notFoundIsFinalAfter: new Date(0).toISOString(),
      });
      if (!validation.valid) return { errors: validation.errors };
      const enrichment = await this.ctx.acts.interactive.enrichItems(submitted.items);
      return enrichment.complete ? { items: enrichment.items } : { errors: enrichment.errors };
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.create({
        type: ErrorType.CHECK_UNAVAILABLE,
        message: `re-validation could not run now: ${describeFailure(err)}`,
        nonRetryable: true,
      });
    }
  }
}
