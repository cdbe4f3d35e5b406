// Temporal names shared by gateway, worker, workflows and tests: task queues, workflow ids, messages, search attributes.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// define* are plain factories, safe to call outside the sandbox; gateway and tests share these definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, CommerceWebhookV1, CorrectionRequest, PaymentCaptureV1, RetryRequest, RiskDecisionRequest } from './inputs';
import type { DashboardRecord, ValidationError } from './order';
import type { OrderState } from './state';

export const TASK_QUEUES = {
  /** Workflows and every activity without a special limit. */
  orders: 'orders',
  /** Commerce App reads only: the server-side task-queue rate limit holds COMMERCE_API_RPS for all workers together. */
  commerce: 'orders-commerce-api',
} as const;

export const ORDER_WORKFLOW_TYPE = 'OrderWorkflow';

export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

export interface OrderWorkflowInput {
  orderId: string;
  /** Fixed at start so that a config change never alters an order already in flight. */
  orderTtlMs: number;
  paymentCaptureWindowMs: number;
  /** How long one step may keep retrying before the order is parked for an operator (default 30 min). */
  stepRetryBudgetMs?: number;
}

export const LATE_EVENT_WORKFLOW_TYPE = 'LateEventWorkflow';

/** Workflow id of the short workflow that handles a capture for an order that has already closed: one per RRN. */
export function lateCaptureWorkflowId(rrn: string): string {
  return `late-capture-${rrn}`;
}

/** Workflow id of the short workflow that records a commerce webhook for a closed order: one per distinct body. */
export function lateOrderEventWorkflowId(orderId: string, bodyDigest: string): string {
  return `late-order-${orderId}-${bodyDigest}`;
}

export type LateEvent = ({ kind: 'commerce' } & CommerceOrderEvent) | ({ kind: 'payment' } & PaymentCaptureEvent);

export interface LateEventInput {
  orderId: string;
  /** Deduplicates the history entry the event leaves on the order's record. */
  eventId: string;
  event: LateEvent;
}

/** Envelopes carry the gateway's receive time: the windows start at the first event *received*. */
export interface CommerceOrderEvent {
  receivedAt: string;
  payload: CommerceWebhookV1;
  /**
   * Version 2's `customer_email`, sealed by the gateway under the customer's own data key (src/pii/customer-emails.ts):
   * the clear address never enters Temporal, and forgetting the customer makes this unreadable (docs/pii.md).
   */
  sealedEmail?: string;
}
export interface PaymentCaptureEvent {
  receivedAt: string;
  payload: PaymentCaptureV1;
}

export const commerceOrderReceived = defineSignal<[CommerceOrderEvent]>('commerceOrderReceived');
export const paymentCaptureReceived = defineSignal<[PaymentCaptureEvent]>('paymentCaptureReceived');
export const getOrderState = defineQuery<OrderState>('getOrderState');

export type CorrectionResult = { accepted: true; record: DashboardRecord } | { accepted: false; errors: ValidationError[]; record: DashboardRecord };
/** Support correction: refused unless NEEDS_CORRECTION; the result says whether re-validation passed. */
export const correctOrder = defineUpdate<CorrectionResult, [CorrectionRequest]>('correctOrder');
/** Cancellation: refused once a valid capture counts or the order is terminal; returns the CANCELLED record. */
export const cancelOrder = defineUpdate<DashboardRecord, [CancelRequest]>('cancelOrder');
/** Operator retry of the steps parked after exhausting their retries; returns the record once they resumed. */
export const retryParkedSteps = defineUpdate<DashboardRecord, [RetryRequest]>('retryParkedSteps');
/** vNext: a support agent approves or rejects an order in RISK_REVIEW; returns the record once the order moved on. */
export const decideRisk = defineUpdate<DashboardRecord, [RiskDecisionRequest]>('decideRisk');

/** The patch of the release that added the risk step (docs/versioning.md): orders started before it never take it. */
export const RISK_COLLECTION_PATCH = 'risk-collection';
/** An operator's retry resumes the parked steps after its own record write, not alongside it (order-workflow.ts). */
export const RETRY_AFTER_ITS_WRITE_PATCH = 'retry-after-its-write';
/** An operator's retry names its agent (and note) in the order's history, as every other support action does. */
export const RETRY_NAMES_THE_AGENT_PATCH = 'retry-names-the-agent';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/**
 * When the order entered its current OrderStatus (the remediation sweeper's "stuck for how long"): set by the gateway
 * at the start, upserted by the workflow in the same upsert as every change of OrderStatus (order-context.ts).
 */
export const OrderStatusSinceAttribute = defineSearchAttributeKey('OrderStatusSince', SearchAttributeType.DATETIME);

/** The value types of the Temporal CLI's `--search-attribute Name=Type` and `temporal operator search-attribute create --type`. */
export type SearchAttributeTypeName = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';
/** Every custom search attribute the service uses, with its type: a namespace must have them registered. */
export const SEARCH_ATTRIBUTES = {
  OrderStatus: 'Keyword',
  CustomerId: 'Keyword',
  OrderStatusSince: 'Datetime',
} as const satisfies Record<string, SearchAttributeTypeName>;

// The remediation sweeper (workflows/sweeper-workflow.ts), started by a Temporal Schedule (src/remediation/schedule.ts).
export const SWEEPER_WORKFLOW_TYPE = 'RemediationSweeperWorkflow';
/** The schedule's id; its runs get the workflow id `remediation-sweep-<scheduled time>` (the schedule appends it). */
export const REMEDIATION_SCHEDULE_ID = 'oms-remediation-sweeper';
export const SWEEPER_WORKFLOW_ID_PREFIX = 'remediation-sweep';
