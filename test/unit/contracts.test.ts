// Unit tests of the inbound schemas (contract §4): what passes, what is stripped, what fails and where; and the one
// statement of the id and text rules (INPUT_RULES), checked against the named cases and against independent oracles.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentName, CancelRequest, CommerceWebhookV1, CorrectionRequest, Id, INPUT_RULES, NoteText, PaymentCaptureV1, ReasonText, RetryRequest } from '../../contracts';
import {
  AGENTS_INSIDE_THE_RULE,
  AGENTS_OUTSIDE_THE_RULE,
  IDS_INSIDE_THE_RULE,
  IDS_OUTSIDE_THE_RULE,
  NOTES_INSIDE_THE_RULE,
  NOTES_OUTSIDE_THE_RULE,
  REASONS_INSIDE_THE_RULE,
  REASONS_OUTSIDE_THE_RULE,
} from '../helpers/fixtures';
import {
  agentAllowed,
  agentInsideRule,
  agentOutsideRule,
  idAllowed,
  idCandidate,
  idInsideRule,
  idOutsideRule,
  noteAllowed,
  noteInsideRule,
  noteOutsideRule,
  reasonAllowed,
  reasonInsideRule,
  reasonOutsideRule,
} from '../helpers/gateway-app';

function commerceBody(): Record<string, unknown> {
  return {
    customer_id: 'cus-007',
    order: {
      order_id: 'ord-0001',
      items: [
        { item_id: 'itm-tee-navy-m', quantity: 2 },
        { item_id: 'itm-jeans-blue-32', quantity: 1 },
      ],
    },
  };
}

function paymentBody(): Record<string, unknown> {
  return { customer_id: 'cus-007', rrn: 'rrn-0001', amount_cents: 7_450, metadata: { order_id: 'ord-0001' } };
}

/** The dotted paths of every failing field, as the gateway's errors[] would name them. */
function failingPaths(schema: z.ZodType, body: unknown): string[] {
  const result = schema.safeParse(body);
  expect(result.success, 'expected the body to be rejected').toBe(false);
  return result.success ? [] : result.error.issues.map((i) => i.path.map(String).join('.'));
}

describe('CommerceWebhookV1', () => {
  it('accepts a valid body unchanged', () => {
    const body = commerceBody();
    expect(CommerceWebhookV1.parse(body)).toEqual(body);
  });

  it('strips unknown extra fields at every level', () => {
    const body = {
      ...commerceBody(),
      channel: 'web',
      order: {
        order_id: 'ord-0001',
        coupon: 'XMAS',
        items: [{ item_id: 'itm-tee-navy-m', quantity: 2, gift_wrap: true }],
      },
    };
    const parsed = CommerceWebhookV1.parse(body);
    expect(parsed).toEqual({ customer_id: 'cus-007', order: { order_id: 'ord-0001', items: [{ item_id: 'itm-tee-navy-m', quantity: 2 }] } });
    expect(parsed).not.toHaveProperty('channel');
    expect(parsed.order).not.toHaveProperty('coupon');
    expect(parsed.order.items[0]).not.toHaveProperty('gift_wrap');
  });

  it.each([
    ['customer_id missing', (b: Record<string, unknown>) => delete b.customer_id, 'customer_id'],
    ['customer_id a number', (b: Record<string, unknown>) => (b.customer_id = 7), 'customer_id'],
    ['customer_id empty', (b: Record<string, unknown>) => (b.customer_id = ''), 'customer_id'],
    ['customer_id blank', (b: Record<string, unknown>) => (b.customer_id = '   '), 'customer_id'],
    // Never trimmed: the id stored must be the id the sender signed.
    ['customer_id with surrounding spaces', (b: Record<string, unknown>) => (b.customer_id = ' cus-007 '), 'customer_id'],
    ['order_id with a NUL', (b: Record<string, unknown>) => (b.order = { order_id: 'ctl\u0000x', items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['order_id with a trailing newline', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1\n', items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['item_id with a slash', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'a/b', quantity: 1 }] }), 'order.items.0.item_id'],
    ['order missing', (b: Record<string, unknown>) => delete b.order, 'order'],
    ['order a string', (b: Record<string, unknown>) => (b.order = 'ord-0001'), 'order'],
    ['order_id missing', (b: Record<string, unknown>) => (b.order = { items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['order_id empty', (b: Record<string, unknown>) => (b.order = { order_id: '', items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['items missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1' }), 'order.items'],
    ['items empty', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [] }), 'order.items'],
    ['items an object', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: { item_id: 'x', quantity: 1 } }), 'order.items'],
    ['item_id missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ quantity: 1 }] }), 'order.items.0.item_id'],
    ['item_id empty', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: '', quantity: 1 }] }), 'order.items.0.item_id'],
    ['quantity missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x' }] }), 'order.items.0.quantity'],
    ['quantity a string', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: '2' }] }), 'order.items.0.quantity'],
    ['quantity null', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: null }] }), 'order.items.0.quantity'],
    [
      'second item quantity a string',
      (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: 1 }, { item_id: 'y', quantity: 'one' }] }),
      'order.items.1.quantity',
    ],
  ])('rejects a body with %s, naming %s', (_name, mutate, path) => {
    const body = commerceBody();
    mutate(body);
    expect(failingPaths(CommerceWebhookV1, body)).toEqual([path]);
  });

  it('names every bad field when several are wrong', () => {
    const body = { customer_id: '', order: { order_id: 42, items: [{ item_id: 'x', quantity: '1' }] } };
    expect(failingPaths(CommerceWebhookV1, body).sort()).toEqual(['customer_id', 'order.items.0.quantity', 'order.order_id']);
  });

  it.each([
    ['JSON null', null],
    ['an array', [commerceBody()]],
    ['a string', 'order'],
  ])('rejects %s as the whole body', (_name, body) => {
    expect(CommerceWebhookV1.safeParse(body).success).toBe(false);
  });

  it.each([0, -1, 1.5, 1e6])('lets quantity %s through: a bad quantity is a business mismatch found by validation, not a 400', (quantity) => {
    const parsed = CommerceWebhookV1.parse({ customer_id: 'cus-007', order: { order_id: 'ord-1', items: [{ item_id: 'x', quantity }] } });
    expect(parsed.order.items[0]?.quantity).toBe(quantity);
  });
});

describe('PaymentCaptureV1', () => {
  it('accepts a valid body unchanged', () => {
    const body = paymentBody();
    expect(PaymentCaptureV1.parse(body)).toEqual(body);
  });

  it('strips unknown extra fields, also inside metadata', () => {
    const parsed = PaymentCaptureV1.parse({ ...paymentBody(), currency: 'EUR', metadata: { order_id: 'ord-0001', source: 'psp' } });
    expect(parsed).toEqual(paymentBody());
  });

  it.each([
    ['customer_id missing', (b: Record<string, unknown>) => delete b.customer_id, 'customer_id'],
    ['rrn missing', (b: Record<string, unknown>) => delete b.rrn, 'rrn'],
    ['rrn empty', (b: Record<string, unknown>) => (b.rrn = ''), 'rrn'],
    ['rrn a number', (b: Record<string, unknown>) => (b.rrn = 1234), 'rrn'],
    ['amount_cents missing', (b: Record<string, unknown>) => delete b.amount_cents, 'amount_cents'],
    ['amount_cents a string', (b: Record<string, unknown>) => (b.amount_cents = '7450'), 'amount_cents'],
    ['amount_cents fractional', (b: Record<string, unknown>) => (b.amount_cents = 74.5), 'amount_cents'],
    ['amount_cents negative', (b: Record<string, unknown>) => (b.amount_cents = -1), 'amount_cents'],
    ['metadata missing', (b: Record<string, unknown>) => delete b.metadata, 'metadata'],
    ['metadata.order_id missing', (b: Record<string, unknown>) => (b.metadata = {}), 'metadata.order_id'],
    ['metadata.order_id empty', (b: Record<string, unknown>) => (b.metadata = { order_id: '' }), 'metadata.order_id'],
    ['metadata.order_id ".."', (b: Record<string, unknown>) => (b.metadata = { order_id: '..' }), 'metadata.order_id'],
    ['rrn with surrounding spaces', (b: Record<string, unknown>) => (b.rrn = ' rrn-0001'), 'rrn'],
    ['rrn with a zero-width space', (b: Record<string, unknown>) => (b.rrn = 'rrn\u200b0001'), 'rrn'],
  ])('rejects a body with %s, naming %s', (_name, mutate, path) => {
    const body = paymentBody();
    mutate(body);
    expect(failingPaths(PaymentCaptureV1, body)).toEqual([path]);
  });
});

describe('INPUT_RULES: ids and text (contract §4 "Identifiers and text")', () => {
  const rules = [
    { name: 'Id', schema: Id, rule: INPUT_RULES.id, outside: IDS_OUTSIDE_THE_RULE, inside: IDS_INSIDE_THE_RULE },
    { name: 'AgentName', schema: AgentName, rule: INPUT_RULES.agent, outside: AGENTS_OUTSIDE_THE_RULE, inside: AGENTS_INSIDE_THE_RULE },
    { name: 'NoteText', schema: NoteText, rule: INPUT_RULES.note, outside: NOTES_OUTSIDE_THE_RULE, inside: NOTES_INSIDE_THE_RULE },
    { name: 'ReasonText', schema: ReasonText, rule: INPUT_RULES.reason, outside: REASONS_OUTSIDE_THE_RULE, inside: REASONS_INSIDE_THE_RULE },
  ];

  describe.each(rules)('$name', ({ schema, rule, outside, inside }) => {
    it.each(outside)('refuses %s with the message that states the rule', (_name, value) => {
      const result = schema.safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.message)).toEqual([`must be ${rule.rule}`]);
    });

    it.each(inside)('accepts %s unchanged', (_name, value) => {
      expect(schema.parse(value)).toBe(value);
    });

    it('is one anchored pattern with the u flag, so that every quantifier counts code points', () => {
      expect(rule.pattern.flags).toBe('u');
      expect(rule.pattern.source).toMatch(/^\^.*\$$/);
    });

    it('shows the pattern, the lengths in code points and the rule in the JSON Schema /docs is generated from', () => {
      expect(z.toJSONSchema(schema)).toMatchObject({ type: 'string', pattern: rule.pattern.source, minLength: rule.minLength, maxLength: rule.maxLength, description: rule.rule });
    });
  });

  // The oracles in test/helpers/gateway-app.ts state the same rules code point by code point; any disagreement with
  // the schemas' single regexes is a bug in one of them.
  const agreement: Array<[string, z.ZodType, (s: string) => boolean, fc.Arbitrary<string>]> = [
    ['Id', Id, idAllowed, fc.oneof(idCandidate, idInsideRule, idOutsideRule)],
    ['AgentName', AgentName, agentAllowed, fc.oneof(agentInsideRule, agentOutsideRule, fc.string({ unit: 'binary', maxLength: 140 }))],
    ['NoteText', NoteText, noteAllowed, fc.oneof(noteInsideRule, noteOutsideRule, fc.string({ unit: 'binary', maxLength: 60 }))],
    ['ReasonText', ReasonText, reasonAllowed, fc.oneof(reasonInsideRule, reasonOutsideRule, fc.string({ unit: 'binary', maxLength: 60 }))],
  ];
  it.each(agreement)('%s accepts exactly what the independent oracle allows, and returns it unchanged', (_name, schema, allowed, strings) => {
    fc.assert(
      fc.property(strings, (s) => {
        const result = schema.safeParse(s);
        expect(result.success, JSON.stringify(s)).toBe(allowed(s));
        if (result.success) expect(result.data).toBe(s);
      }),
      { numRuns: 3_000, seed: 20_260_611 },
    );
  });

  it('docs/contract.md states the same id pattern, and every length bound of the text rules', () => {
    const contract = readFileSync(new URL('../../docs/contract.md', import.meta.url), 'utf8');
    expect(contract).toContain(`\`${INPUT_RULES.id.pattern.source}\``);
    expect(contract).toMatch(/`note` \(correction, retry\): at most 2000 code points/);
    expect(contract).toMatch(/`reason` \(cancel\): 1–500 code points/);
    expect(contract).toMatch(/`agent` \(correction, retry\): 1–128 code points/);
  });

  it('generators used by the property tests fall on the side of the rule they claim', () => {
    const sides: Array<[fc.Arbitrary<string>, (s: string) => boolean, boolean]> = [
      [idInsideRule, idAllowed, true],
      [idOutsideRule, idAllowed, false],
      [agentInsideRule, agentAllowed, true],
      [agentOutsideRule, agentAllowed, false],
      [noteInsideRule, noteAllowed, true],
      [noteOutsideRule, noteAllowed, false],
      [reasonInsideRule, reasonAllowed, true],
      [reasonOutsideRule, reasonAllowed, false],
    ];
    for (const [arb, allowed, expected] of sides) {
      for (const s of fc.sample(arb, { numRuns: 300, seed: 7 })) expect(allowed(s), JSON.stringify(s)).toBe(expected);
    }
  });
});

describe('command bodies', () => {
  const order = { order_id: 'ord-1', items: [{ item_id: 'itm-1', quantity: 1 }] };

  it('a correction: the note defaults to empty, the agent is never trimmed', () => {
    expect(CorrectionRequest.parse({ customer_id: 'cus-1', order, agent: 'ann' })).toEqual({ customer_id: 'cus-1', order, note: '', agent: 'ann' });
    expect(failingPaths(CorrectionRequest, { customer_id: 'cus-1', order, agent: ' ann' })).toEqual(['agent']);
    expect(failingPaths(CorrectionRequest, { customer_id: 'cus 1', order: { ...order, order_id: 'ord\u202e1' }, agent: 'ann', note: 'a\u0000' }).sort()).toEqual(['customer_id', 'note', 'order.order_id']);
  });

  it('a cancel reason is kept exactly as sent, surrounding spaces included, but never blank or multi-line', () => {
    expect(CancelRequest.parse({ reason: ' customer asked ' })).toEqual({ reason: ' customer asked ' });
    expect(failingPaths(CancelRequest, { reason: '  ' })).toEqual(['reason']);
    expect(failingPaths(CancelRequest, { reason: 'line one\nline two' })).toEqual(['reason']);
  });

  it('a retry: agent and note optional, each under its rule when present', () => {
    expect(RetryRequest.parse({})).toEqual({});
    expect(RetryRequest.parse({ agent: 'ops-olga', note: 'upstream back\nretrying' })).toEqual({ agent: 'ops-olga', note: 'upstream back\nretrying' });
    expect(failingPaths(RetryRequest, { agent: 'ops-olga\n', note: '\u0007' }).sort()).toEqual(['agent', 'note']);
  });
});
