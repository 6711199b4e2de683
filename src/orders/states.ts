// The order and refund-request state machines as data (design.md). Every change of status is
// `transition(q, ORDER_MACHINE, …)` (shared/machine.ts): one conditional UPDATE.
import { defineMachine } from '../shared/machine';

export const ORDER_STATUSES = ['pending_payment', 'paid', 'shipped', 'completed', 'closed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_payment: ['paid', 'closed'],
  /** closed: refunded in full before receipt. */
  paid: ['shipped', 'closed'],
  shipped: ['completed', 'closed'],
  completed: [],
  closed: [],
};

export const ORDER_INITIAL: OrderStatus = 'pending_payment';

export const ORDER_MACHINE = defineMachine<OrderStatus>({
  name: 'order',
  table: 'orders',
  key: ['id'],
  statuses: ORDER_STATUSES,
  initial: [ORDER_INITIAL],
  transitions: ORDER_TRANSITIONS,
});

/** Orders that may still be refunded (after completion, from the merchant's available money). */
export const REFUNDABLE_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'completed'];

/** A buyer's refund request: decided once, before any refund exists (approve creates the refund in the same transaction). */
export const REFUND_REQUEST_STATUSES = ['open', 'approved', 'declined'] as const;
export type RefundRequestStatus = (typeof REFUND_REQUEST_STATUSES)[number];

export const REFUND_REQUEST_MACHINE = defineMachine<RefundRequestStatus>({
  name: 'refund request',
  table: 'refund_requests',
  key: ['id'],
  statuses: REFUND_REQUEST_STATUSES,
  initial: ['open'],
  transitions: { open: ['approved', 'declined'], approved: [], declined: [] },
});
