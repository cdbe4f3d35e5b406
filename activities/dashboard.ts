// Dashboard store writes: the record at every status change (the revision makes retried or reordered writes
// harmless), and what a late event leaves on a closed order: its history entry (once per event) and parked steps.
import type { DashboardRecord, ParkedStep, TerminalStatus } from '../contracts';
import { callStore } from '../src/store/store-errors';

export interface SaveOutcome {
  applied: boolean;
  /**
   * The order's durable closure mark as it stood before this save: set for good by the first save of a terminal
   * record, whichever run wrote it. A run that finds it set on its first save was started by a late event after
   * Temporal's retention dropped the closed run: the order is closed, the run must not reopen it.
   */
  closedAs: TerminalStatus | null;
}

export interface DashboardWriter {
  save(record: DashboardRecord, revision: number): Promise<SaveOutcome>;
  get(orderId: string): Promise<DashboardRecord | undefined>;
  appendHistoryOnce(orderId: string, eventId: string, entry: { at: string; reason: string }): Promise<{ applied: boolean }>;
  markParked(orderId: string, step: string, parked: ParkedStep | null): Promise<{ applied: boolean }>;
}

export function createDashboardActivities(deps: { store: DashboardWriter }) {
  return {
    async saveDashboardRecord(input: { record: DashboardRecord; revision: number }): Promise<SaveOutcome> {
      return callStore(`saving order ${input.record.order_id}`, () => deps.store.save(input.record, input.revision));
    },
    async readDashboardRecord(orderId: string): Promise<DashboardRecord | null> {
      // null, not undefined: activity results travel as JSON.
      return (await callStore(`reading order ${orderId}`, () => deps.store.get(orderId))) ?? null;
    },
    async recordLateEvent(input: { orderId: string; eventId: string; at: string; reason: string }): Promise<{ applied: boolean }> {
      return callStore(`recording a late event on order ${input.orderId}`, () =>
        deps.store.appendHistoryOnce(input.orderId, input.eventId, { at: input.at, reason: input.reason }),
      );
    },
    /**
     * Shows on the order's record that a step of it is parked (`parked`) or no longer (null), e.g. the refund of a
     * late capture on a closed order that keeps failing and retrying. `applied` is false when the order has no record.
     */
    async markOrderParked(input: { orderId: string; step: string; parked: ParkedStep | null }): Promise<{ applied: boolean }> {
      const what = `${input.parked === null ? 'clearing' : 'marking'} parked step ${input.step} of order ${input.orderId}`;
      return callStore(what, () => deps.store.markParked(input.orderId, input.step, input.parked));
    },
  };
}
export type DashboardActivities = ReturnType<typeof createDashboardActivities>;
