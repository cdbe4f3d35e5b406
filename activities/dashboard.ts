// Writes the denormalized dashboard record; the revision makes retried or reordered writes harmless.
import { ErrorType, failure, type DashboardRecord } from '../contracts';

export interface DashboardWriter {
  save(record: DashboardRecord, revision: number): Promise<{ applied: boolean }>;
}

export function createDashboardActivities(deps: { store: DashboardWriter }) {
  return {
    async saveDashboardRecord(input: { record: DashboardRecord; revision: number }): Promise<{ applied: boolean }> {
      try {
        return await deps.store.save(input.record, input.revision);
      } catch (err) {
        throw failure(ErrorType.STORE_UNAVAILABLE, `saving order ${input.record.order_id} failed: ${(err as Error).message}`, {
          cause: err as Error,
        });
      }
    },
  };
}
export type DashboardActivities = ReturnType<typeof createDashboardActivities>;
