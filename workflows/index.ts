// The workflow bundle's entry point: every workflow type the worker registers.
export { OrderWorkflow, type OrderOutcome } from './order-workflow';
export { LateEventWorkflow, type LateEventOutcome } from './late-event-workflow';
export { RemediationSweeperWorkflow } from './sweeper-workflow';
