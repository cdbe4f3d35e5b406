// Recording stand-ins for the activities, for workflow tests only (integration tests use the real ones).
import type { CommerceActivities, OrderActivities, ValidationResult } from '../../activities';
import type { DashboardRecord, FulfillmentMessage } from '../../contracts';

export interface FakeActivityLog {
  published: FulfillmentMessage[];
  saved: Array<{ record: DashboardRecord; revision: number }>;
  confirmed: string[];
  validations: number;
}

export interface FakeBehaviour {
  validation?: ValidationResult;
  /** RRNs the Payment API rejects, with the reason. */
  rejectedRrns?: Record<string, string>;
  unknownItems?: string[];
}

export function fakeActivities(behaviour: FakeBehaviour = {}) {
  const log: FakeActivityLog = { published: [], saved: [], confirmed: [], validations: 0 };
  const commerce: CommerceActivities = {
    async validateOrder() {
      log.validations++;
      return behaviour.validation ?? { valid: true, placedAt: '2026-11-01T10:00:00.000Z' };
    },
  };
  const orders: OrderActivities = {
    async enrichItems(items) {
      const unknown = items.filter((i) => behaviour.unknownItems?.includes(i.item_id));
      if (unknown.length > 0) {
        return { complete: false, errors: unknown.map((i) => ({ code: 'item_unknown_in_pim' as const, item_id: i.item_id, detail: 'unknown' })) };
      }
      return { complete: true, items: items.map((i) => ({ ...i, sku_id: `SKU-${i.item_id}`, brand_code: 'ACME' })) };
    },
    async confirmCapture({ rrn }) {
      log.confirmed.push(rrn);
      const reason = behaviour.rejectedRrns?.[rrn];
      return reason ? { accepted: false, reason } : { accepted: true };
    },
    async publishFulfillment({ message }) {
      log.published.push(message);
    },
    async saveDashboardRecord(input) {
      log.saved.push(input);
      return { applied: true };
    },
  };
  return { commerce, orders, log };
}
