// LateEventWorkflow: an event for an order whose workflow already closed. The closed order is never restarted;
// this short workflow settles the event (workflows/late-events.ts) and never fails: a failing step parks and retries.
import type { LateEventInput } from '../contracts';
import { settleLateEvent, type LateEventOutcome } from './late-events';

export type { LateEventOutcome };

export async function LateEventWorkflow(input: LateEventInput): Promise<LateEventOutcome> {
  return settleLateEvent(input);
}
