// Dashboard store writes: the record at every status change (the revision makes retried or reordered writes
// harmless), and the history entry a late event leaves on a closed order (once per event).
import { ErrorType, failure, type DashboardRecord } from '../contracts';

export interface DashboardWriter {
  save(record: DashboardRecord, revision: number): Promise<{ applied: boolean }>;
  get(orderId: string): Promise<DashboardRecord | undefined>;
  appendHistoryOnce(orderId: string, eventId: string, entry: { at: string; reason: string }): Promise<{ applied: boolean }>;
}

async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw failure(ErrorType.STORE_UNAVAILABLE, `${what} failed: ${(err as Error).message}`, { cause: err as Error });
  }
}

export function createDashboardActivities(deps: { store: DashboardWriter }) {
  return {
    async saveDashboardRecord(input: { record: DashboardRecord; revision: number }): Promise<{ applied: boolean }> {
      return storeCall(`saving order ${input.record.order_id}`, () => deps.store.save(input.record, input.revision));
    },
    async readDashboardRecord(orderId: string): Promise<DashboardRecord | null> {
      // null, not undefined: activity results travel as JSON.
      return (await storeCall(`reading order ${orderId}`, () => deps.store.get(orderId))) ?? null;
    },
    async recordLateEvent(input: { orderId: string; eventId: string; at: string; reason: string }): Promise<{ applied: boolean }> {
      return storeCall(`recording a late event on order ${input.orderId}`, () =>
        deps.store.appendHistoryOnce(input.orderId, input.eventId, { at: input.at, reason: input.reason }),
      );
    },
  };
}
export type DashboardActivities = ReturnType<typeof createDashboardActivities>;
