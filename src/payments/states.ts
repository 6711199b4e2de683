// Attempt and refund state machines as data (design.md "State machines").
export const ATTEMPT_STATUSES = ['created', 'pending', 'succeeded', 'failed', 'closed'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const ATTEMPT_TRANSITIONS: Readonly<Record<AttemptStatus, readonly AttemptStatus[]>> = {
  created: ['pending', 'succeeded', 'failed', 'closed'],
  pending: ['succeeded', 'failed', 'closed'],
  succeeded: [],
  failed: [],
  closed: [],
};

/** Attempts the janitor still has to look after. */
export const OPEN_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['created', 'pending'];

export const REFUND_STATUSES = ['pending', 'processing', 'succeeded', 'closed', 'abnormal', 'blocked_insufficient_funds'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  pending: ['processing', 'succeeded', 'closed', 'blocked_insufficient_funds'],
  processing: ['succeeded', 'closed', 'abnormal'],
  blocked_insufficient_funds: ['pending', 'closed'],
  succeeded: [],
  closed: [],
  abnormal: [],
};

/** Refunds whose amount is spoken for: they count against what is left to refund. */
export const REFUND_HOLDING_STATUSES: readonly RefundStatus[] = ['pending', 'processing', 'succeeded', 'blocked_insufficient_funds', 'abnormal'];
