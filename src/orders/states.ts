// The order state machine as data (design.md). A transition is one conditional UPDATE in store.ts.
export const ORDER_STATUSES = ['pending_payment', 'paid', 'shipped', 'completed', 'closed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_payment: ['paid', 'closed'],
  paid: ['shipped', 'closed'],
  shipped: ['completed', 'closed'],
  completed: [],
  closed: [],
};

export const ORDER_INITIAL: OrderStatus = 'pending_payment';

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Orders that may still be refunded (after completion, from the merchant's available money). */
export const REFUNDABLE_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'completed'];
