// The Temporal Schedule that runs the remediation sweeper: created if missing, else updated to the current interval
// and input, so `npm start` and `npm run remediation -- schedule` can run any number of times with one result.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { REMEDIATION_SCHEDULE_ID, SWEEPER_WORKFLOW_ID_PREFIX, SWEEPER_WORKFLOW_TYPE, TASK_QUEUES } from '../../contracts/temporal';
import { SweeperInput } from '../../contracts/remediation';
import type { RemediationSweeperWorkflow } from '../../workflows/sweeper-workflow';
import { sweeperInput, sweepIntervalMs, type SweeperWindows } from './classify';

export interface RemediationScheduleOptions {
  intervalMs: number;
  input: SweeperInput;
  /** Default REMEDIATION_SCHEDULE_ID; tests use their own. */
  scheduleId?: string;
  /** Default TASK_QUEUES.orders, where the worker registers the sweeper's activities. */
  taskQueue?: string;
}

/** The schedule's whole definition (spec, action, policies), shared by create and update so they never drift. */
function definition(opts: RemediationScheduleOptions) {
  const input = SweeperInput.parse(opts.input);
  return {
    spec: { intervals: [{ every: opts.intervalMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: SWEEPER_WORKFLOW_TYPE,
      workflowId: SWEEPER_WORKFLOW_ID_PREFIX,
      taskQueue: opts.taskQueue ?? TASK_QUEUES.orders,
      args: [input] as Parameters<typeof RemediationSweeperWorkflow>,
      // A sweep that hangs (no worker) must not hold the schedule: with overlap SKIP it would skip every later run.
      workflowExecutionTimeout: Math.max(opts.intervalMs * 5, 10 * 60_000),
    },
    policies: {
      // A sweep still running when the next is due: the next is skipped, never queued or run beside it.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After a Temporal outage only the latest missed run is worth making up (the server wants at least 10 s).
      catchupWindow: Math.max(opts.intervalMs, 60_000),
      pauseOnFailure: false,
    },
  };
}

/** Creates the schedule, or updates it in place when it exists; says which. */
export async function ensureRemediationSchedule(client: Client, opts: RemediationScheduleOptions): Promise<'created' | 'updated'> {
  const scheduleId = opts.scheduleId ?? REMEDIATION_SCHEDULE_ID;
  const def = definition(opts);
  try {
    const create: ScheduleOptions = {
      scheduleId,
      ...def,
      // The first sweep runs now, not one interval later: a fresh install has findings (and the last-run gauge) at once.
      state: { note: 'remediation sweeper (docs/reliability.md, "Remediation: the sweeper")', triggerImmediately: true },
    };
    await client.schedule.create(create);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous): ScheduleUpdateOptions => ({ ...previous, ...def, state: previous.state }));
  return 'updated';
}

/** The schedule as the settings in `env` define it (REMEDIATION_*, docs/reliability.md): what `npm start` and
 * `npm run remediation -- schedule` both apply. */
export async function applyRemediationSchedule(client: Client, windows: SweeperWindows, env: Record<string, string | undefined>): Promise<'created' | 'updated'> {
  return ensureRemediationSchedule(client, { intervalMs: sweepIntervalMs(env), input: sweeperInput(windows, env) });
}
