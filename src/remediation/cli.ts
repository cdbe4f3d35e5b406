// `npm run remediation -- <command>`: the operators' commands of the remediation sweeper (docs/reliability.md,
// "Remediation: the sweeper"). `schedule` creates or updates its Temporal Schedule; `npm start` runs it by itself.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { REMEDIATION_SCHEDULE_ID } from '../../contracts/temporal';
import { ConfigError, loadConfig, type Config } from '../config';
import { connectClient } from '../temporal/connection';
import { sweepIntervalMs } from './classify';
import { applyRemediationSchedule } from './schedule';

const USAGE = `usage: npm run remediation -- <command>
  schedule   create the sweeper's Temporal Schedule (${REMEDIATION_SCHEDULE_ID}), or update it to the current settings:
             REMEDIATION_SWEEP_INTERVAL (default 2m), REMEDIATION_THRESHOLDS (e.g. VALIDATING=15m,FORWARDING=2m),
             REMEDIATION_REFUND_OWED_AFTER (10m), REMEDIATION_LATE_EVENT_RUNNING_AFTER (15m), and the windows
             ORDER_TTL / PAYMENT_CAPTURE_WINDOW the waiting statuses' thresholds derive from
  trigger    run one sweep now (the schedule's action, overlap SKIP)
  describe   the schedule's interval, next runs and last results`;

class UsageError extends Error {}
const COMMANDS = ['schedule', 'trigger', 'describe'];

export async function runRemediationCommand(args: readonly string[], client: Client, config: Config, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<void> {
  const [command, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  switch (command) {
    case 'schedule': {
      const done = await applyRemediationSchedule(client, config.windows, env);
      out(`schedule ${REMEDIATION_SCHEDULE_ID} ${done}: a sweep every ${Math.round(sweepIntervalMs(env) / 1000)} s on namespace ${config.temporal.namespace}`);
      return;
    }
    case 'trigger': {
      await client.schedule.getHandle(REMEDIATION_SCHEDULE_ID).trigger();
      out(`schedule ${REMEDIATION_SCHEDULE_ID} triggered`);
      return;
    }
    case 'describe': {
      const d = await client.schedule.getHandle(REMEDIATION_SCHEDULE_ID).describe();
      out(`schedule ${d.scheduleId}: ${d.state.paused ? 'paused' : 'active'}, every ${JSON.stringify(d.spec.intervals ?? [])}, overlap ${d.policies.overlap}`);
      out(`next runs: ${d.info.nextActionTimes.map((t) => t.toISOString()).join(', ') || 'none'}`);
      for (const a of d.info.recentActions) out(`ran ${a.scheduledAt.toISOString()}: ${a.action.workflow.workflowId}`);
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  let client: Client | undefined;
  try {
    const config = loadConfig(process.env, 'tool');
    const command = process.argv[2];
    if (!COMMANDS.includes(command ?? '')) throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
    client = await connectClient(config);
    await runRemediationCommand(process.argv.slice(2), client, config, process.env, (line) => console.log(line));
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RangeError) {
      console.error(`${err.message}${err instanceof UsageError ? `\n${USAGE}` : ''}`);
      process.exitCode = 2;
    } else {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    }
  } finally {
    await client?.connection.close();
  }
}
