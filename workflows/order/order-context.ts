// The order's state and the few rules every part of the workflow shares: the activities, the clock of arrival,
// phase moves, history notes, and the one write path to the store and the search attributes.
import { CancellationScope, proxyActivities, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { CustomerIdAttribute, OrderStatusAttribute, OrderStatusSinceAttribute } from '../../contracts/temporal';
import type { DashboardRecord, OrderState, TerminalStatus } from '../../contracts';
import type { CommerceActivities, OrderActivities } from '../../activities';
import { ACTIVITY_OPTIONS, LOCAL_STORE_WRITE, localStepOptions, stepOptions } from '../activity-options';
import { appendHistory, buildRecord, buildSnapshot, nextRevision, visibleStatus, type OrderData } from './order-record';
import { ParkingLot } from './parking';
import { assertMove, isClosed, type Phase } from './phase';

/**
 * Queued activities where the queue earns its events: the Commerce rate limit (a task queue's), a big enrichment's
 * heartbeats, refunds shown as pending in the Web UI, and every step that cannot be taken back — the forwarding and
 * the write of a closed record — because a queued activity is scheduled only by a workflow task that completed.
 * The short steps are local activities (activity-options.ts).
 */
function orderActivities(stepRetryBudgetMs: number) {
  const steps = stepOptions(stepRetryBudgetMs);
  const local = localStepOptions(stepRetryBudgetMs);
  return {
    commerce: proxyActivities<CommerceActivities>(steps.commerce),
    pim: proxyActivities<OrderActivities>(steps.pim),
    localPim: proxyLocalActivities<OrderActivities>(local.pim),
    payment: proxyActivities<OrderActivities>(steps.payment),
    confirmation: proxyLocalActivities<OrderActivities>(local.confirmation),
    risk: proxyLocalActivities<OrderActivities>(local.risk),
    fulfillment: proxyActivities<OrderActivities>(steps.fulfillment),
    dashboard: proxyLocalActivities<OrderActivities>(LOCAL_STORE_WRITE),
    closedDashboard: proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.dashboard),
    interactiveCommerce: proxyActivities<CommerceActivities>(ACTIVITY_OPTIONS.interactiveCommerce),
    interactive: proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.interactive),
  };
}
export type OrderActivityProxies = ReturnType<typeof orderActivities>;

/** The step name a refused store write parks under. */
export const STORE_WRITE = 'store write';
/** The steps of the flow itself (flow.ts), by the names they park under. */
export const FLOW_STEPS = ['validation', 'enrichment', 'risk assessment'] as const;

export class OrderContext {
  readonly acts: OrderActivityProxies;
  readonly parking: ParkingLot;
  /** Set when this run found the order already closed on its first write: every event it gets is a late event. */
  closedAs: TerminalStatus | null = null;
  private readonly runStartMs = workflowInfo().startTime.getTime();
  private writesInFlight = 0;

  constructor(readonly data: OrderData) {
    this.acts = orderActivities(data.windows.stepRetryBudgetMs);
    this.parking = new ParkingLot(async (event, step) => {
      this.note(event);
      // A store write the store refuses cannot record its own parking: the search attribute and the metric show it.
      if (step === STORE_WRITE) this.showAttributes();
      else await this.persist();
    }, { orderId: data.orderId }, () => this.data.collectsRisk === true);
  }

  /**
   * When an event arrived: the gateway's receipt stamp, which travels in the signal and so is fixed in history.
   * Bounded by Temporal's clock: never before the order's first event, never after the workflow sees the event
   * (docs/order-lifecycle.md, "Time is judged by arrival").
   */
  arrival(receivedAt: string): number {
    const stamped = Date.parse(receivedAt);
    const now = Date.now();
    if (!Number.isFinite(stamped)) return now;
    return Math.min(Math.max(stamped, this.data.windows.firstEventAt), now);
  }

  get status() {
    return visibleStatus(this.data.phase, this.parking.steps);
  }

  /** No store write is on its way: the order may continue as new without leaving one behind. */
  get quiet(): boolean {
    return this.writesInFlight === 0;
  }

  /** The run's first write: the order's first phase, and the answer whether the store already holds it closed. */
  async open(): Promise<{ closedAs: TerminalStatus | null }> {
    this.data.phase = this.data.submission ? 'VALIDATING' : 'AWAITING_ORDER';
    appendHistory(this.data, { status: this.status, at: new Date().toISOString() });
    const { closedAs } = await this.persist();
    this.closedAs = closedAs;
    return { closedAs };
  }

  /** A phase the order rests in, or waits in for a queued step: written to the store and shown in Temporal. */
  async moveTo(phase: Phase, reason: string | null = null): Promise<void> {
    this.pass(phase, reason);
    await this.persist();
  }

  /**
   * A phase the order only passes through on its way to the next write (e.g. ENRICHING before a local enrichment):
   * on the record's history with its own time, but written and shown with the phase after it. One write per change
   * someone can see, not per step (docs/performance.md).
   */
  pass(phase: Phase, reason: string | null = null, at = new Date().toISOString()): void {
    assertMove(this.data.phase, phase);
    this.data.phase = phase;
    this.data.statusReason = reason;
    appendHistory(this.data, { status: this.status, at, ...(reason ? { reason } : {}) });
  }

  /**
   * The record to be written by a step of its own (the forwarding), at a revision reserved now: as it stands, or as
   * it will stand in `then.phase` — built on a copy, so the order itself stays where it is until the step succeeded.
   */
  recordToWrite(then?: { phase: Phase; at: string }): { record: DashboardRecord; revision: number } {
    this.data.revision = nextRevision(this.data.revision, this.runStartMs);
    const revision = this.data.revision;
    if (!then) return { record: this.record(), revision };
    const future = JSON.parse(JSON.stringify(this.data)) as OrderData;
    assertMove(future.phase, then.phase);
    future.phase = then.phase;
    future.statusReason = null;
    appendHistory(future, { status: visibleStatus(future.phase, this.parking.steps), at: then.at });
    return { record: buildRecord(future, this.parking.steps, Date.now()), revision };
  }

  /** An entry on the record's history that does not change the phase (captures, refunds, parking, duplicates). */
  note(reason: string): void {
    appendHistory(this.data, { status: this.status, at: new Date().toISOString(), reason });
  }

  /** Every visible change goes through here: search attributes when they changed, and the record at a new revision. */
  async persist(): Promise<{ closedAs: TerminalStatus | null }> {
    // A run that found the order closed writes nothing: its sparse state must never touch the closed order's record.
    if (this.closedAs) return { closedAs: this.closedAs };
    this.showAttributes();
    this.data.revision = nextRevision(this.data.revision, this.runStartMs);
    const revision = this.data.revision;
    this.writesInFlight++;
    // A closed record sets the order's closure mark for good: it is written by a queued activity, scheduled only by
    // a workflow task that completed. A local write of it could happen in a task that is then lost (a capture
    // arriving as the order closes fails that task), and the task that replaces it may decide otherwise.
    const store = isClosed(this.data.phase) ? this.acts.closedDashboard : this.acts.dashboard;
    try {
      // Non-cancellable: a cancelled flow must not lose the write that records why it stopped. An outage of the
      // store is retried by the activity until it is back; a record the store refuses for good (STORE_REJECTED)
      // parks here, visibly, and is built afresh at each retry.
      return await CancellationScope.nonCancellable(() =>
        this.parking.run(STORE_WRITE, () => store.saveDashboardRecord({ record: this.record(), revision })),
      );
    } finally {
      this.writesInFlight--;
    }
  }

  /**
   * The search attributes, upserted only when they differ from what Temporal holds (each upsert is an event). The
   * gateway sets them when it starts the order, and a continued run inherits them, so most orders upsert only when
   * they come to rest somewhere new.
   */
  showAttributes(): void {
    const shown = workflowInfo().typedSearchAttributes;
    const status = this.status;
    const customerId = this.data.customerId;
    const statusShown = shown.get(OrderStatusAttribute) === status;
    const customerShown = !customerId || shown.get(CustomerIdAttribute) === customerId;
    if (statusShown && customerShown) return;
    // OrderStatusSince rides in the same upsert as a new status, so the sweeper can tell how long an order rests
    // where it is. Not behind a patch: it issues no command the history lacks (the same upsert, one more key, which
    // replay does not compare — the replay gate proves it on every committed history), while patched() would cost
    // every new order two events (its marker and the SDK's TemporalChangeVersion upsert), past the history budget.
    const since = !statusShown;
    upsertSearchAttributes([
      { key: OrderStatusAttribute, value: status },
      ...(customerId ? [{ key: CustomerIdAttribute, value: customerId }] : []),
      ...(since ? [{ key: OrderStatusSinceAttribute, value: new Date() }] : []),
    ]);
  }

  record(): DashboardRecord {
    return buildRecord(this.data, this.parking.steps, Date.now());
  }

  snapshot(): OrderState {
    return buildSnapshot(this.data, this.parking.steps, Date.now());
  }
}
