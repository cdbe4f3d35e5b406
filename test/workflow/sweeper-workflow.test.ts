// RemediationSweeperWorkflow on the time-skipping test server with stand-in finders: one sweep asks every finder at
// one instant and keeps one snapshot of what they found; a finder that keeps failing fails the sweep, which then
// writes nothing (the snapshot's age is what alerts, never a snapshot that silently left a kind out).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWEEPER_WORKFLOW_TYPE } from '../../contracts';
import { RemediationSnapshot, type FinderResult, type RemediationFinding } from '../../contracts/remediation';
import type { FinderInput, RemediationActivities, StuckOrdersResult } from '../../activities/remediation';
import { sweeperInput } from '../../src/remediation/classify';
import { bundleWorkflows } from '../helpers/dev-server';
import { createTimeSkippingEnv } from '../helpers/workflow-env';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

const DAY = 24 * 60 * 60_000;
const INPUT = sweeperInput({ orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY, stepRetryBudgetMs: 30 * 60_000 });

function finding(kind: RemediationFinding['kind'], orderId: string, ageSeconds: number): RemediationFinding {
  return { kind, order_id: orderId, status: 'VALIDATING', since: '2026-12-01T10:00:00.000Z', age_seconds: ageSeconds, reason: `${kind} test` };
}
const one = (kind: RemediationFinding['kind'], orderId: string, age: number): FinderResult => ({
  tally: { count: 1, oldest_age_seconds: age },
  findings: [finding(kind, orderId, age)],
  truncated: false,
});

/** Stand-in finders that record what they were asked; `failing` names one that always fails. */
function finders(failing?: keyof RemediationActivities) {
  const asked: Array<{ name: string; input: FinderInput }> = [];
  const saved: RemediationSnapshot[] = [];
  const fail = (name: keyof RemediationActivities) => {
    if (name === failing) throw ApplicationFailure.create({ type: 'UPSTREAM_UNAVAILABLE', message: `${name} is down` });
  };
  const acts: RemediationActivities = {
    async findStuckOrders(input): Promise<StuckOrdersResult> {
      asked.push({ name: 'findStuckOrders', input });
      fail('findStuckOrders');
      return {
        statuses: input.thresholds.map((t) => ({ status: t.status, threshold_seconds: t.afterMs / 1000, count: t.status === 'FORWARDING' ? 3 : 0, oldest_age_seconds: t.status === 'FORWARDING' ? 900 : 0 })),
        findings: [finding('stuck', 'ord-a', 900)],
        truncated: true,
      };
    },
    async findParkedSteps(input) {
      asked.push({ name: 'findParkedSteps', input });
      fail('findParkedSteps');
      return one('parked_step', 'ord-b', 60);
    },
    async findRefundsOwed(input) {
      asked.push({ name: 'findRefundsOwed', input });
      fail('findRefundsOwed');
      return one('refund_owed', 'ord-c', 700);
    },
    async findLateEventFailures(input) {
      asked.push({ name: 'findLateEventFailures', input });
      fail('findLateEventFailures');
      return { tally: { count: 0, oldest_age_seconds: 0 }, findings: [], truncated: false };
    },
    async saveRemediationSnapshot(snapshot) {
      saved.push(RemediationSnapshot.parse(snapshot));
    },
  };
  return { acts, asked, saved };
}

async function runSweep(acts: RemediationActivities, workflowId: string) {
  const taskQueue = `sweeper-${workflowId}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: acts });
  return worker.runUntil(env.client.workflow.execute(SWEEPER_WORKFLOW_TYPE, { workflowId, taskQueue, args: [INPUT] }));
}

describe('RemediationSweeperWorkflow', () => {
  it('asks every finder at one instant and keeps one snapshot of all they found', async () => {
    const { acts, asked, saved } = finders();
    const result = (await runSweep(acts, 'sweep-ok')) as { runAt: string; findings: number };

    expect(asked.map((a) => a.name).sort()).toEqual(['findLateEventFailures', 'findParkedSteps', 'findRefundsOwed', 'findStuckOrders']);
    const instants = new Set(asked.map((a) => a.input.asOfMs));
    expect(instants.size).toBe(1);
    expect(asked.every((a) => a.input.listLimit === INPUT.listLimit)).toBe(true);
    expect(asked.find((a) => a.name === 'findStuckOrders')?.input).toMatchObject({ thresholds: INPUT.thresholds });
    expect(asked.find((a) => a.name === 'findRefundsOwed')?.input).toMatchObject({ refundOwedAfterMs: INPUT.refundOwedAfterMs });
    expect(asked.find((a) => a.name === 'findLateEventFailures')?.input).toMatchObject({ lateEventRunningAfterMs: INPUT.lateEventRunningAfterMs });

    expect(saved).toHaveLength(1);
    const [snapshot] = saved;
    expect(snapshot?.run_at).toBe(new Date([...instants][0] ?? 0).toISOString());
    expect(snapshot?.run_id).toMatch(/^sweep-ok\//);
    expect(snapshot?.stuck.find((t) => t.status === 'FORWARDING')).toEqual({ status: 'FORWARDING', threshold_seconds: 300, count: 3, oldest_age_seconds: 900 });
    expect(snapshot?.parked_steps).toEqual({ count: 1, oldest_age_seconds: 60 });
    expect(snapshot?.refunds_owed).toEqual({ count: 1, oldest_age_seconds: 700 });
    expect(snapshot?.late_event_failures).toEqual({ count: 0, oldest_age_seconds: 0 });
    expect(snapshot?.findings.map((f) => `${f.kind}:${f.order_id}`)).toEqual(['stuck:ord-a', 'parked_step:ord-b', 'refund_owed:ord-c']);
    expect(snapshot?.truncated).toBe(true);
    expect(result).toEqual({ runAt: snapshot?.run_at, findings: 3 });
  });

  it('fails without writing when a finder keeps failing, after a few attempts', async () => {
    const { acts, asked, saved } = finders('findRefundsOwed');
    const err = await runSweep(acts, 'sweep-failing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(asked.filter((a) => a.name === 'findRefundsOwed')).toHaveLength(4);
    expect(saved).toEqual([]);
  });
});
