// What the PII tests read the way an auditor would: the raw history straight from the Temporal server (a client with
// no codec), the payloads in it and the keys they name, and orders carrying an e-mail that the fakes know.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { uniqueOrderId } from './fixtures';
import type { IndependentApis } from './independent-apis';

export type RawPayload = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };
export interface FoundPayload {
  /** Where it sits in the history, e.g. `.5.markerRecordedEventAttributes.details.result.payloads.0`. */
  at: string;
  payload: RawPayload;
}

export const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** A payload in the codec server's wire format (the Web UI's): base64 metadata values and data. */
export const toWire = (p: RawPayload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** The history of the order's workflow as the server stores it; `client` must have no codec. */
export async function rawHistory(client: Client, orderId: string): Promise<temporal.api.history.v1.IHistory> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: `order-${orderId}` },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/** Every Payload object anywhere in a decoded proto message, with where it sits. */
export function payloadsIn(value: unknown, at = '', found: FoundPayload[] = []): FoundPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && v.metadata !== undefined) found.push({ at, payload: v as RawPayload });
  for (const [key, child] of Object.entries(v)) payloadsIn(child, `${at}.${key}`, found);
  return found;
}

/** Search attributes are indexed by the server, so no codec touches them. */
export const isSearchAttribute = (at: string): boolean => at.includes('.searchAttributes.indexedFields.');
/**
 * The SDK core's own notes in marker events are written by core as json/plain, past any codec: a local activity's
 * (seq, attempt, id, type, times: `details.data`; its result beside it is ours, and encoded) and a patch's (its id
 * and whether it is deprecated: `details.patch-data`).
 */
export const isCoreMarkerNote = (at: string): boolean =>
  at.includes('.markerRecordedEventAttributes.details.data.') || at.includes('.markerRecordedEventAttributes.details.patch-data.');

/** The payloads of ours in the history (what the codec must have sealed), in history order. */
export function ourPayloads(history: temporal.api.history.v1.IHistory): FoundPayload[] {
  return payloadsIn(history.events).filter((p) => !isSearchAttribute(p.at) && !isCoreMarkerNote(p.at));
}

/** The key id each of our payloads names (`encryption-key-id`), in history order; '' for a payload not encrypted. */
export function keyIdsOf(history: temporal.api.history.v1.IHistory): string[] {
  return ourPayloads(history).map(({ payload }) => (text(payload.metadata?.encoding) === 'binary/encrypted' ? text(payload.metadata?.['encryption-key-id']) : ''));
}

export interface PiiOrder {
  orderId: string;
  customerId: string;
  /** Occurs only inside payloads: finding it in raw bytes means a payload was not encrypted. */
  itemId: string;
  email: string;
  webhook: { customer_id: string; order: { order_id: string; items: Array<{ item_id: string; quantity: number }> }; customer_email: string };
  capture: { customer_id: string; rrn: string; amount_cents: number; metadata: { order_id: string } };
}

/** A version-2 order with an e-mail, of its own item, seeded in the Commerce, PIM and Payment fakes. */
export function newPiiOrder(apis: IndependentApis, customerId = `cus-pii-${randomBytes(4).toString('hex')}`): PiiOrder {
  const orderId = uniqueOrderId('ord-pii');
  const itemId = `itm-pii-${randomBytes(5).toString('hex')}`;
  const items = [{ item_id: itemId, quantity: 1 }];
  apis.items.set(itemId, { item_id: itemId, sku_id: `SKU-${itemId}`, brand_code: 'BRAND-P' });
  apis.orders.set(orderId, { order_id: orderId, customer_id: customerId, items, placed_at: '2026-11-30T09:00:00.000Z' });
  const capture = { customer_id: customerId, rrn: `rrn-${orderId}`, amount_cents: 1_250, metadata: { order_id: orderId } };
  apis.payments.set(capture.rrn, { rrn: capture.rrn, order_id: orderId, amount_cents: capture.amount_cents, status: 'captured' });
  const email = `buyer.${randomBytes(4).toString('hex')}@example.test`;
  return { orderId, customerId, itemId, email, capture, webhook: { customer_id: customerId, order: { order_id: orderId, items }, customer_email: email } };
}

/** `npm run pii -- <args>` as an operator runs it beside the stack (its env: data dir, keys); output and exit code. */
export async function runPiiCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/pii/cli.ts', ...args], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}
