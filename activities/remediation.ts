// The remediation sweeper's activities: each finder looks in one place — Temporal's visibility for stuck orders and
// late-event runs that failed, the dashboard store for parked steps and refunds owed — and the last one keeps the
// sweep's snapshot in the store. Built by createRemediationActivities(deps); nothing here holds state of its own.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { OrderStatusSinceAttribute } from '../contracts/temporal';
import type { FinderResult, RemediationFinding, RemediationSnapshot, StatusThreshold, StuckStatusTally } from '../contracts/remediation';
import { ageSeconds, isStuck, lateEventFailuresQuery, lateEventOrderId, orderIdOfWorkflowId, stuckOrdersQuery, tallyOf } from '../src/remediation/classify';
import type { DashboardStore } from '../src/store/dashboard-store';

export interface RemediationDeps {
  /** A client of the service's namespace: list and count of workflow executions (visibility), describe. */
  client: Pick<Client, 'workflow'>;
  store: Pick<DashboardStore, 'listParkedSteps' | 'listRefundsOwed' | 'saveRemediationSnapshot'>;
}

/** Every finder is told the sweep's clock, so all ages in one snapshot are measured from the same instant. */
export interface FinderInput {
  asOfMs: number;
  listLimit: number;
}

export interface StuckOrdersResult {
  statuses: StuckStatusTally[];
  findings: RemediationFinding[];
  truncated: boolean;
}

export function createRemediationActivities(deps: RemediationDeps) {
  const { client, store } = deps;

  /** Lists up to `limit` executions of a query (visibility's own order: newest start first). */
  async function listUpTo(query: string, limit: number): Promise<WorkflowExecutionInfo[]> {
    const found: WorkflowExecutionInfo[] = [];
    for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      found.push(execution);
      if (found.length >= limit) break;
    }
    return found;
  }

  async function stuckIn(t: StatusThreshold, input: FinderInput): Promise<{ tally: StuckStatusTally; findings: RemediationFinding[]; truncated: boolean }> {
    const query = stuckOrdersQuery(t, input.asOfMs);
    const [{ count }, listed] = await Promise.all([client.workflow.count(query), listUpTo(query, input.listLimit)]);
    const findings = listed
      .map((execution): RemediationFinding => {
        const since = execution.typedSearchAttributes.get(OrderStatusSinceAttribute) ?? execution.startTime;
        const measured = execution.typedSearchAttributes.get(OrderStatusSinceAttribute) ? 'in it' : 'since its start (no OrderStatusSince: an order of an earlier release)';
        return {
          kind: 'stuck',
          order_id: orderIdOfWorkflowId(execution.workflowId),
          workflow_id: execution.workflowId,
          status: t.status,
          since: since.toISOString(),
          age_seconds: ageSeconds(input.asOfMs, since.getTime()),
          reason: `${t.status} for longer than ${Math.round(t.afterMs / 1000)} s (${t.why}), measured ${measured}`,
        };
      })
      // Visibility's count and list are not one snapshot: keep only what the rule itself says is stuck.
      .filter((f) => isStuck(t, Date.parse(f.since), input.asOfMs))
      .sort(oldestFirst);
    const total = Math.max(count, findings.length);
    return {
      tally: { status: t.status, threshold_seconds: Math.round(t.afterMs / 1000), ...tallyOf(findings.map((f) => f.age_seconds), total) },
      findings,
      truncated: total > findings.length,
    };
  }

  return {
    /** Open orders that rest in one status longer than its threshold (OrderStatus + OrderStatusSince in visibility). */
    async findStuckOrders(input: FinderInput & { thresholds: StatusThreshold[] }): Promise<StuckOrdersResult> {
      const results = [];
      // One status at a time: a sweep is a handful of cheap visibility calls, never a burst on the frontend.
      for (const t of input.thresholds) results.push(await stuckIn(t, input));
      return {
        statuses: results.map((r) => r.tally),
        findings: results.flatMap((r) => r.findings),
        truncated: results.some((r) => r.truncated),
      };
    },

    /** Every step parked after exhausting its retry budget, of open and closed orders alike (the store's PARKED queue). */
    async findParkedSteps(input: FinderInput): Promise<FinderResult> {
      const { total, oldestSince, steps } = await store.listParkedSteps(input.listLimit);
      const findings = steps.map(
        (s): RemediationFinding => ({
          kind: 'parked_step',
          order_id: s.order_id,
          status: s.status,
          since: s.since,
          age_seconds: ageSeconds(input.asOfMs, Date.parse(s.since)),
          reason: `${s.step} parked: ${s.error}`,
        }),
      );
      return { tally: { count: total, oldest_age_seconds: sinceAge(input.asOfMs, oldestSince) }, findings, truncated: total > findings.length };
    },

    /** Money captured for an order that closed without shipping, not refunded yet (or its refund parked). */
    async findRefundsOwed(input: FinderInput & { refundOwedAfterMs: number }): Promise<FinderResult> {
      const { total, oldestSince, refunds } = await store.listRefundsOwed(new Date(input.asOfMs - input.refundOwedAfterMs), input.listLimit);
      const findings = refunds.map(
        (r): RemediationFinding => ({
          kind: 'refund_owed',
          order_id: r.order_id,
          status: r.status,
          since: r.since,
          age_seconds: ageSeconds(input.asOfMs, Date.parse(r.since)),
          reason: r.parkedError !== null ? `refund of ${r.rrn} parked: ${r.parkedError}` : `order ${r.status} kept the payment ${r.rrn}, no refund recorded`,
        }),
      );
      return { tally: { count: total, oldest_age_seconds: sinceAge(input.asOfMs, oldestSince) }, findings, truncated: total > findings.length };
    },

    /**
     * LateEventWorkflow runs that failed, timed out, were terminated or cancelled (their refund may not have happened),
     * or still run past the threshold (a step retrying). A closed run whose workflow id has a newer run (the next
     * delivery of the event started it again) counts only if that newer one is not fine either.
     */
    async findLateEventFailures(input: FinderInput & { lateEventRunningAfterMs: number }): Promise<FinderResult> {
      const query = lateEventFailuresQuery(input.lateEventRunningAfterMs, input.asOfMs);
      const listed = await listUpTo(query, input.listLimit);
      const latest = new Map<string, WorkflowExecutionInfo>();
      for (const e of listed) {
        const known = latest.get(e.workflowId);
        if (!known || known.startTime < e.startTime) latest.set(e.workflowId, e);
      }
      const findings: RemediationFinding[] = [];
      for (const e of latest.values()) {
        if (e.status.name !== 'RUNNING') {
          // The newest run of this id, whatever its status: a later completed rerun settles the event.
          const now = await client.workflow
            .getHandle(e.workflowId)
            .describe()
            .catch(() => undefined);
          if (now && now.runId !== e.runId && (now.status.name === 'COMPLETED' || now.status.name === 'RUNNING')) continue;
        }
        const since = e.status.name === 'RUNNING' ? e.startTime : (e.closeTime ?? e.startTime);
        findings.push({
          kind: 'late_event_failure',
          order_id: lateEventOrderId(e.workflowId, e.memo?.orderId),
          workflow_id: e.workflowId,
          status: e.status.name,
          since: since.toISOString(),
          age_seconds: ageSeconds(input.asOfMs, since.getTime()),
          reason:
            e.status.name === 'RUNNING'
              ? `late event still running after ${Math.round(input.lateEventRunningAfterMs / 1000)} s (a step retrying or parked)`
              : `late event run ${e.status.name.toLowerCase()}: its refund or note may not have happened`,
        });
      }
      findings.sort(oldestFirst);
      const truncated = listed.length >= input.listLimit;
      return { tally: tallyOf(findings.map((f) => f.age_seconds)), findings, truncated };
    },

    /** The sweep's one write: its snapshot, idempotent per run (the gateway's gauges and support route read it). */
    async saveRemediationSnapshot(snapshot: RemediationSnapshot): Promise<void> {
      await store.saveRemediationSnapshot(snapshot);
    },
  };
}
export type RemediationActivities = ReturnType<typeof createRemediationActivities>;

function oldestFirst(a: RemediationFinding, b: RemediationFinding): number {
  return a.since.localeCompare(b.since) || (a.order_id ?? '').localeCompare(b.order_id ?? '');
}

function sinceAge(asOfMs: number, since: string | null): number {
  return since === null ? 0 : ageSeconds(asOfMs, Date.parse(since));
}
