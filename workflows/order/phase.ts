// The order's one explicit phase and the moves it may make: plain code, so the state machine can be tested and
// drawn without a server. The visible status is the phase, or PARKED while a step of an open order is parked.
import type { OrderStatus, TerminalStatus } from '../../contracts';

export type Phase = Exclude<OrderStatus, 'PARKED'>;

/** Where each phase may go next. Closing (CANCELLED, EXPIRED) is open to every phase before forwarding starts. */
export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  AWAITING_ORDER: ['VALIDATING', 'CANCELLED', 'EXPIRED'],
  VALIDATING: ['ENRICHING', 'NEEDS_CORRECTION', 'CANCELLED', 'EXPIRED'],
  ENRICHING: ['AWAITING_PAYMENT', 'ASSESSING_RISK', 'FORWARDING', 'NEEDS_CORRECTION', 'CANCELLED', 'EXPIRED'],
  NEEDS_CORRECTION: ['NEEDS_CORRECTION', 'AWAITING_PAYMENT', 'ASSESSING_RISK', 'FORWARDING', 'CANCELLED', 'EXPIRED'],
  AWAITING_PAYMENT: ['ASSESSING_RISK', 'FORWARDING', 'CANCELLED', 'EXPIRED'],
  // vNext (patched 'risk-collection'): a paid, enriched order is assessed before forwarding; a review waits for an
  // agent; a rejection is a cancel with the capture refunded. Orders started before the release go straight on.
  ASSESSING_RISK: ['FORWARDING', 'RISK_REVIEW', 'CANCELLED', 'EXPIRED'],
  RISK_REVIEW: ['FORWARDING', 'CANCELLED', 'EXPIRED'],
  // Once publishing has started the message may be on Kafka: nothing but FORWARDED may follow (docs/order-lifecycle.md).
  FORWARDING: ['FORWARDED'],
  FORWARDED: [],
  CANCELLED: [],
  EXPIRED: [],
};

/** Phases in which the order waits for the outside world (a webhook, a support agent, a capture). */
export const WAITING_PHASES: readonly Phase[] = ['AWAITING_ORDER', 'NEEDS_CORRECTION', 'AWAITING_PAYMENT', 'RISK_REVIEW'];

export function canMove(from: Phase, to: Phase): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * A move the table does not allow is a bug in the workflow, never an input problem. It is deliberately not an
 * ApplicationFailure: that would fail the workflow and close an order that may hold money. This fails the workflow
 * task instead, which Temporal retries, so the order waits, visible in the Web UI, for a fixed worker.
 */
export class IllegalPhaseMove extends Error {
  override readonly name = 'IllegalPhaseMove';
}

export function assertMove(from: Phase, to: Phase): void {
  if (!canMove(from, to)) throw new IllegalPhaseMove(`illegal phase move ${from} → ${to}`);
}

export function isClosed(phase: Phase): phase is TerminalStatus {
  return TRANSITIONS[phase].length === 0;
}

/** From here on the order is paid and on its way: cancel answers 409 and no window closes it. */
export function isForwarding(phase: Phase): boolean {
  return phase === 'FORWARDING' || phase === 'FORWARDED';
}
