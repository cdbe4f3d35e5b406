// Temporal names shared by gateway, worker, workflows and tests: task queues, workflow ids, messages, search attributes.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// define* are plain factories, safe to call outside the sandbox; gateway and tests share these definitions.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CommerceWebhookV1, PaymentCaptureV1 } from './inputs';
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
}

/** Envelopes carry the gateway's receive time: the windows start at the first event *received*. */
export interface CommerceOrderEvent {
  receivedAt: string;
  payload: CommerceWebhookV1;
}
export interface PaymentCaptureEvent {
  receivedAt: string;
  payload: PaymentCaptureV1;
}

export const commerceOrderReceived = defineSignal<[CommerceOrderEvent]>('commerceOrderReceived');
export const paymentCaptureReceived = defineSignal<[PaymentCaptureEvent]>('paymentCaptureReceived');
export const getOrderState = defineQuery<OrderState>('getOrderState');

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = { OrderStatus: 'Keyword', CustomerId: 'Keyword' } as const;
