// POST /v1/support/orders/{order_id}/risk-decision (contract §10, issue 11 item 2) through app.inject, with the
// commands faked: Bearer-only, 400 naming each bad field, 404 unknown, 409 when the order is not in review, 200 the
// public record (never the sealed e-mail). And the support queue lists RISK_REVIEW.
import { describe, expect, it } from 'vitest';
import { RejectionType, type DashboardRecord } from '../../contracts';
import { OrderCommandError, type OrderCommands } from '../../src/temporal/order-commands';
import { bearer, build, DEFAULT_SECRETS, dashboardRecord, InMemoryStore, RecordingCommands, rejectionFaults } from '../helpers/gateway-app';

const TOKEN = DEFAULT_SECRETS.supportApiToken;
const URL = '/v1/support/orders/ord-1/risk-decision';
const APPROVE = { decision: 'approve', agent: 'agent-ann', note: 'called the customer' };

async function decide(commands: Partial<OrderCommands>, payload: unknown, headers: Record<string, string> = bearer(TOKEN)) {
  const gateway = await build({ commands });
  return gateway.app.inject({ method: 'POST', url: URL, headers, payload: payload as Record<string, unknown> });
}

/** The answer is a contract §3 problem with this status; returns its body. */
function problem(res: Awaited<ReturnType<typeof decide>>, status: number) {
  const { faults, problem } = rejectionFaults(res, status);
  expect(faults, res.body).toEqual([]);
  return problem!;
}

describe('POST /v1/support/orders/{order_id}/risk-decision', () => {
  it('401 without a token, or with a wrong one, and no command runs', async () => {
    const commands = new RecordingCommands();
    problem(await decide(commands, APPROVE, {}), 401);
    problem(await decide(commands, APPROVE, bearer('not-the-token')), 401);
    expect(commands.calls).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['decision review (only an agent approves or rejects)', { ...APPROVE, decision: 'review' }, 'body.decision'],
    ['no decision', { agent: 'agent-ann' }, 'body.decision'],
    ['no agent', { decision: 'approve', note: '' }, 'body.agent'],
    ['an agent with whitespace at the start', { ...APPROVE, agent: ' agent-ann' }, 'body.agent'],
    ['an agent with whitespace at the end', { ...APPROVE, agent: 'agent-ann ' }, 'body.agent'],
    ['an empty agent', { ...APPROVE, agent: '' }, 'body.agent'],
    ['a note over 2000 code points', { ...APPROVE, note: 'n'.repeat(2001) }, 'body.note'],
  ])('400 for %s, naming the field, and no command runs', async (_name, payload, field) => {
    const commands = new RecordingCommands();
    const body = problem(await decide(commands, payload), 400);
    expect(body.errors.map((e) => e.field)).toEqual([field]);
    expect(body.errors[0]?.message.length).toBeGreaterThan(0);
    expect(commands.calls).toEqual([]);
  });

  it('accepts a note of exactly 2000 code points, and no note at all (an empty one)', async () => {
    const commands = new RecordingCommands();
    expect((await decide(commands, { ...APPROVE, note: '𝐀'.repeat(2000) })).statusCode).toBe(200);
    expect((await decide(commands, { decision: 'reject', agent: 'agent-bob' })).statusCode).toBe(200);
    expect(commands.calls.map((c) => c.request)).toEqual([
      { ...APPROVE, note: '𝐀'.repeat(2000) },
      { decision: 'reject', agent: 'agent-bob', note: '' },
    ]);
  });

  it('400 for an order id outside the id rule, naming the path parameter', async () => {
    const commands = new RecordingCommands();
    const gateway = await build({ commands });
    const res = await gateway.app.inject({ method: 'POST', url: '/v1/support/orders/a%20b/risk-decision', headers: bearer(TOKEN), payload: APPROVE });
    expect(problem(res, 400).errors.map((e) => e.field)).toEqual(['params.order_id']);
    expect(commands.calls).toEqual([]);
  });

  it('404 for an unknown order', async () => {
    const res = await decide({ decideRisk: async () => Promise.reject(new OrderCommandError('not_found', 'no order ord-1')) }, APPROVE);
    expect(problem(res, 404).type).toMatch(/\/order-not-found$/);
  });

  it('409 for an order not in review, with a problem type ending in order-not-in-risk-review', async () => {
    const refused = new OrderCommandError('conflict', 'order is AWAITING_PAYMENT, not in risk review', RejectionType.ORDER_NOT_IN_RISK_REVIEW);
    const res = await decide({ decideRisk: async () => Promise.reject(refused) }, APPROVE);
    const body = problem(res, 409);
    expect(body.type).toMatch(/\/order-not-in-risk-review$/);
    expect(body.detail).toContain('not in risk review');
  });

  it('503 with Retry-After when Temporal cannot answer', async () => {
    const res = await decide({ decideRisk: async () => Promise.reject(new OrderCommandError('unavailable', 'temporal down')) }, APPROVE);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 503, type: expect.stringMatching(/\/dependency-unavailable$/) });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('200 with the record the order answered, never its sealed e-mail; the decision reaches the command as sent', async () => {
    const calls: Array<[string, unknown]> = [];
    const answered: DashboardRecord = dashboardRecord('ord-1', { status: 'FORWARDING', customer_email_sealed: 'pii1.sealed-for-the-gateway-only' });
    const res = await decide(
      {
        decideRisk: async (orderId, request) => {
          calls.push([orderId, request]);
          return answered;
        },
      },
      APPROVE,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { customer_email_sealed: _sealed, ...publicRecord } = answered;
    expect(res.json()).toEqual(publicRecord);
    expect(res.body).not.toContain('customer_email_sealed');
    expect(res.body).not.toContain('pii1.');
    expect(calls).toEqual([['ord-1', APPROVE]]);
  });

  it('200 CANCELLED risk_rejected for a rejection (RecordingCommands)', async () => {
    const commands = new RecordingCommands();
    const res = await decide(commands, { decision: 'reject', agent: 'agent-bob', note: 'stolen card' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ order_id: 'ord-1', status: 'CANCELLED', status_reason: 'risk_rejected' });
    expect(commands.calls).toEqual([{ command: 'decideRisk', orderId: 'ord-1', request: { decision: 'reject', agent: 'agent-bob', note: 'stolen card' } }]);
  });
});

describe('the support queue lists RISK_REVIEW', () => {
  it('GET /v1/support/orders?status=RISK_REVIEW → 200 with the orders in review, oldest first', async () => {
    const store = new InMemoryStore().put(
      dashboardRecord('ord-late', { status: 'RISK_REVIEW', status_reason: 'risk review (score 0.5)', submitted_at: '2026-11-23T10:00:00.000Z' }),
      dashboardRecord('ord-early', { status: 'RISK_REVIEW', submitted_at: '2026-11-21T10:00:00.000Z' }),
      dashboardRecord('ord-other', { status: 'NEEDS_CORRECTION' }),
    );
    const { app } = await build({ store });
    const res = await app.inject({ method: 'GET', url: '/v1/support/orders?status=RISK_REVIEW', headers: bearer(TOKEN) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ orders: Array<{ order_id: string; status: string }> }>().orders.map((o) => [o.order_id, o.status])).toEqual([
      ['ord-early', 'RISK_REVIEW'],
      ['ord-late', 'RISK_REVIEW'],
    ]);
    expect(store.statusQueries.map((q) => q.status)).toEqual(['RISK_REVIEW']);
  });
});
