// The remediation sweeper's findings for support (GET /v1/support/remediation, Bearer) and for Prometheus (its
// gauges on /metrics): both read the newest snapshot the sweeper kept in the store, never Temporal directly.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FINDING_KINDS, FindingTally, RemediationFinding, StuckStatusTally, type RemediationSnapshot } from '../../../contracts/remediation';
import { requireBearer } from '../hooks/require-bearer';
import { registerRemediationGauges, type GatewayMetrics } from '../metrics';
import { HttpProblem, problems } from '../problem';

export interface RemediationRouteOptions {
  /** The store's latestRemediationSnapshot. */
  latest: () => Promise<RemediationSnapshot | undefined>;
  supportApiToken: string;
  metrics: GatewayMetrics;
}

const RemediationView = z.object({
  run_id: z.string(),
  run_at: z.string(),
  /** How long ago the sweep looked: more than a few intervals means the sweeper is not running. */
  snapshot_age_seconds: z.number(),
  totals: z.object({ stuck: z.array(StuckStatusTally), parked_steps: FindingTally, refunds_owed: FindingTally, late_event_failures: FindingTally }),
  truncated: z.boolean(),
  findings: z.array(RemediationFinding),
});

export const remediationRoutes: FastifyPluginAsyncZod<RemediationRouteOptions> = async (app, opts) => {
  const removeGauges = registerRemediationGauges(opts.metrics.registry, {
    latest: opts.latest,
    onError: (err) => app.log.warn({ err }, 'could not read the remediation snapshot for /metrics'),
  });
  // The registry may outlive this app (passed in through the gateway's options): the next app registers its own gauges.
  app.addHook('onClose', async () => removeGauges());

  app.addHook('onRequest', requireBearer(opts.supportApiToken));
  app.get(
    '/v1/support/remediation',
    {
      schema: {
        tags: ['support'],
        summary: "The remediation sweeper's findings: stuck orders, parked steps, refunds owed, late-event failures",
        description: 'From the newest sweep (every 2 min by default), oldest first within each kind; 404 before the first sweep.',
        querystring: z.object({ kind: z.enum(FINDING_KINDS).optional() }),
        response: { 200: RemediationView, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const s = await opts.latest();
      if (!s) throw new HttpProblem(404, 'remediation-not-run', 'the remediation sweeper has not written any findings yet (is its schedule created? npm run remediation -- schedule)');
      const { kind } = request.query;
      return {
        run_id: s.run_id,
        run_at: s.run_at,
        snapshot_age_seconds: Math.max(0, Math.floor((Date.now() - Date.parse(s.run_at)) / 1000)),
        totals: { stuck: s.stuck, parked_steps: s.parked_steps, refunds_owed: s.refunds_owed, late_event_failures: s.late_event_failures },
        truncated: s.truncated,
        findings: kind ? s.findings.filter((f) => f.kind === kind) : s.findings,
      };
    },
  );
};
