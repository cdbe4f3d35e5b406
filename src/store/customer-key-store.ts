// The rows of the customers' data keys (schema.ts, customer_data_keys): SQL only. The keys are stored wrapped; what
// wraps and unwraps them is src/pii/customer-emails.ts, which alone holds the master keys.
import type { SqlClient } from './sql-client';

export interface WrappedDataKey {
  keyId: string;
  customerId: string;
  masterKeyId: string;
  /** base64 of the data key sealed by the master key `masterKeyId`. */
  wrappedKey: string;
}

export interface CustomerKeyStore {
  /** The customer's live key, if any. */
  liveKey(customerId: string): Promise<WrappedDataKey | undefined>;
  /** Stores `key` unless the customer already has a live key (a concurrent first order); returns the one kept. */
  addKey(key: WrappedDataKey): Promise<WrappedDataKey>;
  byKeyId(keyId: string): Promise<WrappedDataKey | undefined>;
  /** Deletes the customer's keys and records the erasure; returns how many keys were destroyed. */
  destroyCustomerKeys(customerId: string): Promise<number>;
  /** Keys wrapped by any master key other than `masterKeyId` (rotation: what still needs rewrapping). */
  wrappedByOtherThan(masterKeyId: string, limit: number): Promise<WrappedDataKey[]>;
  /** Replaces a key's wrapping, unless the key was destroyed meanwhile (false then). */
  rewrap(keyId: string, fromMasterKeyId: string, to: { masterKeyId: string; wrappedKey: string }): Promise<boolean>;
  /** How many live keys each master key wraps. */
  countByMasterKey(): Promise<Record<string, number>>;
}

interface Row {
  key_id: string;
  customer_id: string;
  master_key_id: string;
  wrapped_key: string;
}

const COLUMNS = 'key_id, customer_id, master_key_id, wrapped_key';
const fromRow = (r: Row): WrappedDataKey => ({ keyId: r.key_id, customerId: r.customer_id, masterKeyId: r.master_key_id, wrappedKey: r.wrapped_key });

export function createCustomerKeyStore(client: SqlClient): CustomerKeyStore {
  const one = async (sql: string, params: unknown[]) => (await client.query<Row>(sql, params)).map(fromRow)[0];
  return {
    liveKey: (customerId) => one(`SELECT ${COLUMNS} FROM customer_data_keys WHERE customer_id = $1`, [customerId]),
    async addKey(key) {
      for (let attempt = 1; ; attempt++) {
        const added = await one(
          `INSERT INTO customer_data_keys (key_id, customer_id, master_key_id, wrapped_key) VALUES ($1, $2, $3, $4)
           ON CONFLICT (customer_id) DO NOTHING RETURNING ${COLUMNS}`,
          [key.keyId, key.customerId, key.masterKeyId, key.wrappedKey],
        );
        if (added) return added;
        // A concurrent first order won. Its row is read by a new statement: on PostgreSQL the insert's own snapshot
        // may predate the winner's commit, so a SELECT inside that statement would not see it.
        const winner = await one(`SELECT ${COLUMNS} FROM customer_data_keys WHERE customer_id = $1`, [key.customerId]);
        if (winner) return winner;
        // The winner was destroyed in between (an erasure racing a first order): insert again.
        if (attempt >= 5) throw new Error(`could not keep a data key for customer ${key.customerId}: erased as often as it was made`);
      }
    },
    byKeyId: (keyId) => one(`SELECT ${COLUMNS} FROM customer_data_keys WHERE key_id = $1`, [keyId]),
    async destroyCustomerKeys(customerId) {
      const rows = await client.query<{ destroyed_keys: number }>(
        `WITH destroyed AS (DELETE FROM customer_data_keys WHERE customer_id = $1 RETURNING key_id)
         INSERT INTO customer_erasures (customer_id, destroyed_keys) SELECT $1, count(*) FROM destroyed RETURNING destroyed_keys`,
        [customerId],
      );
      return Number(rows[0]?.destroyed_keys ?? 0);
    },
    async wrappedByOtherThan(masterKeyId, limit) {
      const rows = await client.query<Row>(`SELECT ${COLUMNS} FROM customer_data_keys WHERE master_key_id <> $1 ORDER BY key_id LIMIT $2`, [masterKeyId, limit]);
      return rows.map(fromRow);
    },
    async rewrap(keyId, fromMasterKeyId, to) {
      const rows = await client.query<{ key_id: string }>(
        'UPDATE customer_data_keys SET master_key_id = $3, wrapped_key = $4 WHERE key_id = $1 AND master_key_id = $2 RETURNING key_id',
        [keyId, fromMasterKeyId, to.masterKeyId, to.wrappedKey],
      );
      return rows.length === 1;
    },
    async countByMasterKey() {
      const rows = await client.query<{ master_key_id: string; n: number }>('SELECT master_key_id, count(*)::int AS n FROM customer_data_keys GROUP BY master_key_id');
      return Object.fromEntries(rows.map((r) => [r.master_key_id, Number(r.n)]));
    },
  };
}

/**
 * The same contract over a Map, for hosts with no database: the gateway's unit tests and the gateway bench (which
 * measure the HTTP path, not the store). The service itself always uses the SQL store above.
 */
export function createMemoryCustomerKeyStore(): CustomerKeyStore & { erasures: Array<{ customerId: string; destroyedKeys: number }> } {
  const byKey = new Map<string, WrappedDataKey>();
  const erasures: Array<{ customerId: string; destroyedKeys: number }> = [];
  const live = (customerId: string) => [...byKey.values()].find((k) => k.customerId === customerId);
  return {
    erasures,
    liveKey: async (customerId) => live(customerId),
    async addKey(key) {
      const existing = live(key.customerId);
      if (existing) return existing;
      byKey.set(key.keyId, { ...key });
      return key;
    },
    byKeyId: async (keyId) => byKey.get(keyId),
    async destroyCustomerKeys(customerId) {
      const ids = [...byKey.values()].filter((k) => k.customerId === customerId).map((k) => k.keyId);
      for (const id of ids) byKey.delete(id);
      erasures.push({ customerId, destroyedKeys: ids.length });
      return ids.length;
    },
    wrappedByOtherThan: async (masterKeyId, limit) => [...byKey.values()].filter((k) => k.masterKeyId !== masterKeyId).slice(0, limit),
    async rewrap(keyId, fromMasterKeyId, to) {
      const key = byKey.get(keyId);
      if (!key || key.masterKeyId !== fromMasterKeyId) return false;
      byKey.set(keyId, { ...key, ...to });
      return true;
    },
    async countByMasterKey() {
      const counts: Record<string, number> = {};
      for (const k of byKey.values()) counts[k.masterKeyId] = (counts[k.masterKeyId] ?? 0) + 1;
      return counts;
    },
  };
}
