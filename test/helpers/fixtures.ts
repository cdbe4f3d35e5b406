// Test data shared by unit, workflow and end-to-end tests: webhook bodies and events for one order.
import { DashboardRecord, type CommerceOrderEvent, type CommerceWebhookV1, type OrderStatus, type PaymentCaptureEvent, type PaymentCaptureV1 } from '../../contracts';

export function commerceWebhook(orderId: string, overrides: Partial<CommerceWebhookV1> = {}): CommerceWebhookV1 {
  return {
    customer_id: 'cus-007',
    order: {
      order_id: orderId,
      items: [
        { item_id: 'itm-tee-navy-m', quantity: 2 },
        { item_id: 'itm-jeans-blue-32', quantity: 1 },
      ],
    },
    ...overrides,
  };
}

export function paymentCapture(orderId: string, overrides: Partial<PaymentCaptureV1> = {}): PaymentCaptureV1 {
  return { customer_id: 'cus-007', rrn: `rrn-${orderId}`, amount_cents: 7_450, metadata: { order_id: orderId }, ...overrides };
}

export function commerceEvent(orderId: string, receivedAt = new Date().toISOString()): CommerceOrderEvent {
  return { receivedAt, payload: commerceWebhook(orderId) };
}

export function captureEvent(orderId: string, overrides: Partial<PaymentCaptureV1> = {}, receivedAt = new Date().toISOString()): PaymentCaptureEvent {
  return { receivedAt, payload: paymentCapture(orderId, overrides) };
}

/** A valid dashboard record of a VALIDATING order, with `fields` over it (parsed, so the defaults are filled in). */
export function makeRecord(fields: Partial<DashboardRecord> & Pick<DashboardRecord, 'order_id' | 'customer_id'>): DashboardRecord {
  return DashboardRecord.parse({
    status: 'VALIDATING' satisfies OrderStatus,
    status_reason: null,
    items: [{ item_id: 'item-1', quantity: 1 }],
    validation_errors: [],
    submitted_at: '2026-03-01T10:00:00.000Z',
    expires_at: '2026-03-31T10:00:00.000Z',
    updated_at: '2026-03-01T10:00:01.000Z',
    history: [{ status: 'VALIDATING', at: '2026-03-01T10:00:00.000Z' }],
    ...fields,
  });
}

let counter = 0;
/** Unique per test run, so tests against a long-lived server never collide with a closed workflow id. */
export function uniqueOrderId(prefix = 'ord-test'): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Contract §4 "Identifiers and text": named values each rule refuses or allows, shared by the schema tests and the
// HTTP tests so that both walk the same cases. Refused values are a 400 naming the field; allowed ones pass unchanged.

type Cases = ReadonlyArray<readonly [name: string, value: string]>;

export const IDS_OUTSIDE_THE_RULE: Cases = [
  ['NUL', 'ord\u0000x'],
  ['a C0 control (U+0001)', 'ord\u0001x'],
  ['a tab', 'ord\tx'],
  ['a line feed at the end', 'ord-1\n'],
  ['DEL (U+007F)', 'ord\u007fx'],
  ['a C1 control (U+0085)', 'ord\u0085x'],
  ['a lone high surrogate', 'ord\ud800x'],
  ['a lone low surrogate at the end', 'ord\udc00'],
  ['a zero-width space (U+200B)', 'ord\u200bx'],
  ['a zero-width joiner (U+200D)', 'ord\u200dx'],
  ['a bidi override (U+202E)', 'ord\u202ex'],
  ['a byte-order mark (U+FEFF) first', '\ufefford'],
  ['a slash', 'ord/x'],
  ['a backslash', 'ord\\x'],
  ['a space inside', 'ord x'],
  ['a no-break space inside', 'ord\u00a0x'],
  ['a leading space', ' ord-1'],
  ['a trailing space', 'ord-1 '],
  ['an emoji', 'ord😀'],
  ['an emoji alone', '😀'],
  ['a symbol ($)', 'ord$1'],
  ['"." alone', '.'],
  ['".." alone', '..'],
  ['a leading "."', '.ord'],
  ['a trailing "-"', 'ord-'],
  ['empty', ''],
  ['129 code points', 'a'.repeat(129)],
  ['129 four-byte letters', '𝐀'.repeat(129)],
];

export const IDS_INSIDE_THE_RULE: Cases = [
  ['ASCII with . _ : @ # + - inside', 'a.b_c:d@e#f+g-h'],
  ['Greek and Latin letters with diacritics', 'Ωmega-ünï'],
  ['CJK ideographs and an ideographic number', '注文番号-二〇二六'],
  ['Arabic with marks and Arabic-Indic digits', 'طَلَب-٤٢'],
  ['Devanagari with a combining vowel sign', 'आदेश-७'],
  ['a decomposed ü (u + U+0308) at the end', 'mu\u0308'],
  ['one letter', 'a'],
  ['one digit', '7'],
  ['a UUID', '3f2b9c1e-8d4a-4b6f-9e2d-7a1c5b8e0f34'],
  ['128 ASCII letters', 'a'.repeat(128)],
  ['128 four-byte letters (U+1D400)', '𝐀'.repeat(128)],
];

export const AGENTS_OUTSIDE_THE_RULE: Cases = [
  ['NUL', 'ann\u0000'],
  ['a C0 control (U+0001)', 'an\u0001n'],
  ['DEL (U+007F)', 'an\u007fn'],
  ['a C1 control (U+009B)', 'an\u009bn'],
  ['a lone surrogate', 'ann\ud800'],
  ['a line feed inside', 'ann\nlee'],
  ['a carriage return inside', 'ann\rlee'],
  ['a line separator (U+2028)', 'ann\u2028lee'],
  ['a leading space', ' ann'],
  ['a trailing space', 'ann '],
  ['a trailing no-break space', 'ann\u00a0'],
  ['only spaces', '   '],
  ['empty', ''],
  ['129 code points', 'a'.repeat(129)],
];

export const AGENTS_INSIDE_THE_RULE: Cases = [
  ['a plain name', 'ann'],
  ['a space and diacritics inside', 'Ann-Sophie Müller'],
  ['a slash and an emoji', 'ops/olga 🙂'],
  ['a zero-width space inside (a format character, allowed in text)', 'an\u200bn'],
  ['128 four-byte letters', '𝐀'.repeat(128)],
];

export const NOTES_OUTSIDE_THE_RULE: Cases = [
  ['NUL', 'called\u0000'],
  ['a C0 control (U+0001)', 'called\u0001'],
  ['a carriage return (CRLF line ends)', 'one\r\ntwo'],
  ['a form feed', 'one\ftwo'],
  ['DEL (U+007F)', 'one\u007ftwo'],
  ['a C1 control (U+0085)', 'one\u0085two'],
  ['a lone surrogate', 'one\udfff'],
  ['2001 code points', 'x'.repeat(2001)],
];

export const NOTES_INSIDE_THE_RULE: Cases = [
  ['empty', ''],
  ['several lines', 'called the customer\nthey confirmed 2 items'],
  ['tabs', 'item\tqty'],
  ['a line separator (U+2028)', 'one\u2028two'],
  ['an emoji and a bidi override', 'ok 🙂 \u202eabc'],
  ['2000 four-byte letters', '𝐀'.repeat(2000)],
];

export const REASONS_OUTSIDE_THE_RULE: Cases = [
  ['NUL', 'asked\u0000'],
  ['a C0 control (U+0001)', 'asked\u0001'],
  ['a line feed', 'customer\nasked'],
  ['a carriage return', 'customer\rasked'],
  ['a tab', 'customer\tasked'],
  ['a line separator (U+2028)', 'customer\u2028asked'],
  ['a paragraph separator (U+2029)', 'customer\u2029asked'],
  ['a lone surrogate', 'asked\ud83d'],
  ['empty', ''],
  ['only spaces', '   '],
  ['only an ideographic space', '\u3000'],
  ['501 code points', 'x'.repeat(501)],
];

export const REASONS_INSIDE_THE_RULE: Cases = [
  ['a plain reason', 'customer asked'],
  ['surrounding spaces (kept as sent)', ' customer asked '],
  ['Unicode and an emoji', 'Kunde möchte stornieren 🙂'],
  ['a slash', 'duplicate/test order'],
  ['500 four-byte letters', '𝐀'.repeat(500)],
];
