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

/**
 * What the lifecycle diagram draws beside the table (src/lifecycle/diagram.ts, `npm run diagram`): per phase its kind,
 * its timers and its human task; per move its trigger and any compensation. Read by no workflow code: plain data, so
 * the picture in docs/ and the console is generated from the same module as the moves themselves.
 */
export type PhaseKind = 'step' | 'wait' | 'human' | 'end';
export type MoveTrigger = 'step' | 'event' | 'human' | 'timer' | 'cancel';
export interface PhaseAnnotation {
  kind: PhaseKind;
  /** One line on what the order does in the phase. */
  summary: string;
  /** The windows that can close the order from this phase. */
  timers: readonly ('ORDER_TTL' | 'PAYMENT_CAPTURE_WINDOW')[];
  /** The support route that ends the wait, for a human task. */
  humanTask?: string;
}
export interface MoveAnnotation {
  label: string;
  trigger: MoveTrigger;
  /** What is undone on this move (refunds are idempotent: one key per RRN). */
  compensation?: string;
}

const TTL_AND_WINDOW = ['ORDER_TTL', 'PAYMENT_CAPTURE_WINDOW'] as const;
export const PHASE_ANNOTATIONS: Readonly<Record<Phase, PhaseAnnotation>> = {
  AWAITING_ORDER: { kind: 'wait', summary: 'payment came first; waits for the commerce webhook', timers: TTL_AND_WINDOW },
  VALIDATING: { kind: 'step', summary: 'compares the order with the Commerce App', timers: TTL_AND_WINDOW },
  ENRICHING: { kind: 'step', summary: 'adds sku_id and brand_code from PIM', timers: TTL_AND_WINDOW },
  NEEDS_CORRECTION: {
    kind: 'human',
    summary: 'waits for a support agent to correct the items',
    timers: TTL_AND_WINDOW,
    humanTask: 'POST /v1/support/orders/{id}/correction',
  },
  AWAITING_PAYMENT: { kind: 'wait', summary: 'valid and enriched; waits for a valid capture', timers: TTL_AND_WINDOW },
  ASSESSING_RISK: { kind: 'step', summary: 'asks the Risk API (vNext)', timers: ['ORDER_TTL'] },
  RISK_REVIEW: {
    kind: 'human',
    summary: 'waits for a support agent to approve or reject',
    timers: ['ORDER_TTL'],
    humanTask: 'POST /v1/support/orders/{id}/risk-decision',
  },
  FORWARDING: { kind: 'step', summary: 'publishes to order-fulfillment; nothing closes it now', timers: [] },
  FORWARDED: { kind: 'end', summary: 'on Kafka and in the store', timers: [] },
  CANCELLED: { kind: 'end', summary: 'cancelled; every capture refunded', timers: [] },
  EXPIRED: { kind: 'end', summary: 'not forwarded in time; every capture refunded', timers: [] },
};

/** How an order enters its first phase (the `[*]` of the diagram). */
export const ENTRY_ANNOTATIONS: Readonly<Partial<Record<Phase, MoveAnnotation>>> = {
  VALIDATING: { label: 'commerce webhook first', trigger: 'event' },
  AWAITING_ORDER: { label: 'capture first', trigger: 'event' },
};

const CANCEL: MoveAnnotation = { label: 'cancel / capture window', trigger: 'cancel', compensation: 'refund captures' };
const EXPIRE: MoveAnnotation = { label: 'ORDER_TTL', trigger: 'timer', compensation: 'refund captures' };
/** One entry per move of TRANSITIONS, no more (test/unit/lifecycle-diagram.test.ts holds the two tables together). */
export const MOVE_ANNOTATIONS: Readonly<Record<Phase, Readonly<Partial<Record<Phase, MoveAnnotation>>>>> = {
  AWAITING_ORDER: { VALIDATING: { label: 'commerce webhook', trigger: 'event' }, CANCELLED: CANCEL, EXPIRED: EXPIRE },
  VALIDATING: {
    ENRICHING: { label: 'valid', trigger: 'step' },
    NEEDS_CORRECTION: { label: 'mismatch', trigger: 'step' },
    CANCELLED: CANCEL,
    EXPIRED: EXPIRE,
  },
  ENRICHING: {
    AWAITING_PAYMENT: { label: 'enriched, unpaid', trigger: 'step' },
    ASSESSING_RISK: { label: 'enriched, paid', trigger: 'step' },
    FORWARDING: { label: 'paid (before vNext)', trigger: 'step' },
    NEEDS_CORRECTION: { label: 'unknown to PIM', trigger: 'step' },
    CANCELLED: CANCEL,
    EXPIRED: EXPIRE,
  },
  NEEDS_CORRECTION: {
    NEEDS_CORRECTION: { label: 'still invalid (422)', trigger: 'human' },
    AWAITING_PAYMENT: { label: 'corrected, unpaid', trigger: 'human' },
    ASSESSING_RISK: { label: 'corrected, paid', trigger: 'human' },
    FORWARDING: { label: 'corrected, paid (before vNext)', trigger: 'human' },
    CANCELLED: CANCEL,
    EXPIRED: EXPIRE,
  },
  AWAITING_PAYMENT: {
    ASSESSING_RISK: { label: 'valid capture', trigger: 'event' },
    FORWARDING: { label: 'valid capture (before vNext)', trigger: 'event' },
    CANCELLED: CANCEL,
    EXPIRED: EXPIRE,
  },
  ASSESSING_RISK: {
    FORWARDING: { label: 'approve', trigger: 'step' },
    RISK_REVIEW: { label: 'review', trigger: 'step' },
    CANCELLED: { label: 'Risk API rejects', trigger: 'step', compensation: 'refund captures' },
    EXPIRED: EXPIRE,
  },
  RISK_REVIEW: {
    FORWARDING: { label: 'agent approves', trigger: 'human' },
    CANCELLED: { label: 'agent rejects', trigger: 'human', compensation: 'refund captures' },
    EXPIRED: EXPIRE,
  },
  FORWARDING: { FORWARDED: { label: 'published', trigger: 'step' } },
  FORWARDED: {},
  CANCELLED: {},
  EXPIRED: {},
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
