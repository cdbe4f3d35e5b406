// Risk simulator (contract §10, vNext): POST /assessments {order_id, customer_id, amount_cents, items} →
// {decision, score, reasons}. Decides per order: a decision set through the admin route, else by the order id (one
// containing `risk-review` is reviewed, `risk-reject` rejected, so a demo picks the path by naming its order), else
// approve. Admin: PUT /_sim/decisions/:order_id {decision} → 200; GET /_sim/assessments → the orders asked about.
import { z } from 'zod';
import { RiskDecision } from '../../contracts/external';
import type { SimulatorDefinition } from './types';

const AssessmentBody = z.object({
  order_id: z.string().min(1),
  customer_id: z.string().min(1),
  amount_cents: z.number().int().nonnegative(),
  items: z.array(z.object({ item_id: z.string(), quantity: z.number() }).loose()),
});
const OrderParams = z.object({ order_id: z.string().min(1) });

const SCORES: Record<RiskDecision, number> = { approve: 0.08, review: 0.55, reject: 0.93 };

export function createRiskSimulator(): SimulatorDefinition {
  const decisions = new Map<string, RiskDecision>();
  const asked: string[] = [];
  const decide = (orderId: string): RiskDecision =>
    decisions.get(orderId) ?? (orderId.includes('risk-reject') ? 'reject' : orderId.includes('risk-review') ? 'review' : 'approve');

  return {
    name: 'risk',
    defaultRateLimitPerSecond: null,
    reset() {
      decisions.clear();
      asked.length = 0;
    },
    api(app) {
      app.post('/assessments', { schema: { body: AssessmentBody } }, async (request) => {
        const decision = decide(request.body.order_id);
        asked.push(request.body.order_id);
        return {
          decision,
          score: SCORES[decision],
          reasons: decision === 'approve' ? [] : [`simulated ${decision} for order ${request.body.order_id}`],
        };
      });
    },
    admin(app) {
      app.put('/decisions/:order_id', { schema: { params: OrderParams, body: z.object({ decision: RiskDecision }) } }, async (request) => {
        decisions.set(request.params.order_id, request.body.decision);
        return { order_id: request.params.order_id, decision: request.body.decision };
      });
      app.get('/assessments', async () => ({ orders: [...asked] }));
    },
  };
}
