// Runs one step of an order (or of a late event) so that a failure never fails the workflow: a step that exhausts
// its retry budget is parked — visible, counted by a metric — and retried by itself with long backoff, or at once
// when an operator asks. Money owed back never waits on a person.
import { condition, isCancellation, log, metricMeter } from '@temporalio/workflow';
import type { ParkedStep } from '../../contracts';
import { describeFailure } from '../failures';

/** Between two automatic retries of a parked step: 5 min, doubling, at most 1 h. */
export const PARKED_RETRY_FIRST_MS = 5 * 60_000;
export const PARKED_RETRY_MAX_MS = 60 * 60_000;

/** The alert: a counter on the worker's Prometheus endpoint (created on use: only inside a workflow context). */
function countParked(step: string): void {
  // The first word names the kind of step ("refund of rrn-…" → refund): a bounded label set, never an RRN.
  metricMeter.createCounter('oms_steps_parked_total', 'steps', 'Steps that exhausted their retry budget and were parked').add(1, { step: step.split(' ')[0] ?? step });
}

interface Parked extends ParkedStep {
  /** Set by an operator's retry: the step runs again now instead of at its next automatic retry. */
  retryNow: boolean;
}

export class ParkingLot {
  private readonly parked = new Map<number, Parked>();
  private sequence = 0;

  /**
   * `changed` makes a park or an unpark of `step` visible (the order's record); `context` tags the log lines.
   * `forgetsCancelledWaits`: whether a step cancelled while it waits for its next retry (the order closed with it
   * parked, e.g. expired) is taken off the list. True for orders of the risk release (collectsRisk): listed for ever,
   * it kept the closed order's run from completing and showed on its record as parked. Orders started before keep the
   * behaviour they started with (their command sequence is unchanged).
   */
  constructor(
    private readonly changed: (event: string, step: string) => Promise<void>,
    private readonly context: Record<string, string>,
    private readonly forgetsCancelledWaits: () => boolean = () => false,
  ) {}

  get steps(): ParkedStep[] {
    return [...this.parked.values()].map(({ step, error, since }) => ({ step, error, since }));
  }

  get any(): boolean {
    return this.parked.size > 0;
  }

  /** Whether a step of one of these names is parked. */
  has(...steps: string[]): boolean {
    return [...this.parked.values()].some((p) => steps.includes(p.step));
  }

  /** Operator retry: every parked step runs again now; until it fails again, it no longer shows as parked. */
  /**
   * Takes every parked step off the list (the record then shows none) and returns what lets them run again: the
   * caller writes the record first, so the steps' own activities start only after that write completed.
   */
  releaseAll(): () => void {
    const released = [...this.parked.values()];
    this.parked.clear();
    return () => {
      for (const parked of released) parked.retryNow = true;
    };
  }

  retryAllNow(): void {
    for (const [id, parked] of this.parked) {
      parked.retryNow = true;
      this.parked.delete(id);
    }
  }

  async run<T>(name: string, attempt: () => Promise<T>): Promise<T> {
    let id: number | undefined;
    let wait = PARKED_RETRY_FIRST_MS;
    for (;;) {
      try {
        const result = await attempt();
        if (id !== undefined && this.parked.delete(id)) await this.changed(`${name} succeeded after being parked`, name);
        return result;
      } catch (err) {
        if (isCancellation(err)) {
          // The flow was cancelled (the order closed): this step will never resume.
          if (id !== undefined) this.parked.delete(id);
          throw err;
        }
        const error = describeFailure(err);
        // Still listed from an earlier failure of this step: keep its `since`, and do not announce it again.
        const shown = id === undefined ? undefined : this.parked.get(id);
        const entry: Parked = { step: name, error, since: shown?.since ?? new Date().toISOString(), retryNow: false };
        id ??= ++this.sequence;
        this.parked.set(id, entry);
        if (!shown) {
          countParked(name);
          log.error('step parked after exhausting its retries', { ...this.context, step: name, error });
          await this.changed(`${name} parked: ${error}`, name);
        }
        try {
          await condition(() => entry.retryNow, wait);
        } catch (err) {
          // Cancelled between two retries (the order closed): this step will never resume.
          if (isCancellation(err) && this.forgetsCancelledWaits()) this.parked.delete(id);
          throw err;
        }
        wait = entry.retryNow ? PARKED_RETRY_FIRST_MS : Math.min(wait * 2, PARKED_RETRY_MAX_MS);
      }
    }
  }
}
