// RemediationSweeperWorkflow: one sweep of the remediation worker, started by a Temporal Schedule every few minutes
// (overlap SKIP). It asks each finder what needs a person — orders stuck in a status, parked steps, refunds owed,
// late-event runs that failed — and keeps the answers as one snapshot in the store, stamped with the sweep's time.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RemediationActivities } from '../activities/remediation';
import type { RemediationSnapshot, SweeperInput } from '../contracts/remediation';
import { ACTIVITY_OPTIONS } from './activity-options';

// Its retry policy (ACTIVITY_OPTIONS.remediation) fails a sweep without writing when a finder keeps failing.
const sweep = proxyActivities<RemediationActivities>(ACTIVITY_OPTIONS.remediation);

export async function RemediationSweeperWorkflow(input: SweeperInput): Promise<{ runAt: string; findings: number }> {
  const info = workflowInfo();
  // Temporal's clock at the sweep's first task: every age in the snapshot is measured from this one instant.
  const asOfMs = Date.now();
  const base = { asOfMs, listLimit: input.listLimit };
  const [stuck, parked, refunds, late] = await Promise.all([
    sweep.findStuckOrders({ ...base, thresholds: input.thresholds }),
    sweep.findParkedSteps(base),
    sweep.findRefundsOwed({ ...base, refundOwedAfterMs: input.refundOwedAfterMs }),
    sweep.findLateEventFailures({ ...base, lateEventRunningAfterMs: input.lateEventRunningAfterMs }),
  ]);
  // The store checks the snapshot against its schema when it keeps it.
  const snapshot: RemediationSnapshot = {
    run_id: `${info.workflowId}/${info.runId}`,
    run_at: new Date(asOfMs).toISOString(),
    stuck: stuck.statuses,
    parked_steps: parked.tally,
    refunds_owed: refunds.tally,
    late_event_failures: late.tally,
    findings: [...stuck.findings, ...parked.findings, ...refunds.findings, ...late.findings],
    truncated: stuck.truncated || parked.truncated || refunds.truncated || late.truncated,
  };
  await sweep.saveRemediationSnapshot(snapshot);
  return { runAt: snapshot.run_at, findings: snapshot.findings.length };
}
