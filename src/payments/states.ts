// The payment, attempt, refund, escrow-release and provider-account state machines as data (design.md "State
// machines"). Every change of status is `transition(q, MACHINE, …)` (shared/machine.ts): one conditional UPDATE.
import { defineMachine } from '../shared/machine';

export const PAYMENT_STATUSES = ['requires_method', 'pending', 'succeeded', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_MACHINE = defineMachine<PaymentStatus>({
  name: 'payment',
  table: 'payments',
  key: ['id'],
  statuses: PAYMENT_STATUSES,
  initial: ['requires_method'],
  transitions: {
    requires_method: ['pending', 'succeeded', 'expired'],
    /** pending → pending: a further attempt re-checks (and row-locks) the payment in its transaction. */
    pending: ['pending', 'succeeded', 'expired'],
    succeeded: [],
    /** A payment after expiry is refunded automatically; the payment stays expired. */
    expired: [],
  },
});

export const ATTEMPT_STATUSES = ['created', 'pending', 'succeeded', 'failed', 'closed'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const ATTEMPT_TRANSITIONS: Readonly<Record<AttemptStatus, readonly AttemptStatus[]>> = {
  created: ['pending', 'succeeded', 'failed', 'closed'],
  pending: ['succeeded', 'failed', 'closed'],
  succeeded: [],
  failed: [],
  closed: [],
};

export const ATTEMPT_MACHINE = defineMachine<AttemptStatus>({
  name: 'attempt',
  table: 'attempts',
  key: ['id'],
  statuses: ATTEMPT_STATUSES,
  initial: ['created'],
  transitions: ATTEMPT_TRANSITIONS,
  jsonColumns: ['action'],
});

/** Attempts the janitor still has to look after. */
export const OPEN_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['created', 'pending'];

export const REFUND_STATUSES = [
  'pending',
  'processing',
  'succeeded',
  'closed',
  'abnormal',
  'blocked_insufficient_funds',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  pending: ['processing', 'succeeded', 'closed', 'abnormal', 'blocked_insufficient_funds'],
  /**
   * processing → pending: the provider answers that it has no such refund (its acceptance was lost on the way), so
   * the refund is sent again under the same out_refund_no — the provider applies one refund per number.
   */
  processing: ['pending', 'succeeded', 'closed', 'abnormal'],
  blocked_insufficient_funds: ['pending', 'succeeded', 'closed'],
  succeeded: [],
  closed: [],
  abnormal: [],
};

export const REFUND_MACHINE = defineMachine<RefundStatus>({
  name: 'refund',
  table: 'refunds',
  key: ['id'],
  statuses: REFUND_STATUSES,
  initial: ['pending'],
  transitions: REFUND_TRANSITIONS,
});

/** Refunds whose amount is spoken for: they count against what is left to refund. */
export const REFUND_HOLDING_STATUSES: readonly RefundStatus[] = [
  'pending',
  'processing',
  'succeeded',
  'blocked_insufficient_funds',
  'abnormal',
];

export const ESCROW_RELEASE_STATUSES = ['pending', 'processing', 'released', 'failed'] as const;
export type EscrowReleaseStatus = (typeof ESCROW_RELEASE_STATUSES)[number];

export const ESCROW_RELEASE_MACHINE = defineMachine<EscrowReleaseStatus>({
  name: 'escrow release',
  table: 'escrow_releases',
  key: ['order_id'],
  statuses: ESCROW_RELEASE_STATUSES,
  initial: ['pending'],
  transitions: {
    /** pending → processing when the commission is decided; → released straight away when nothing is left to share. */
    pending: ['processing', 'released', 'failed'],
    processing: ['released', 'failed'],
    released: [],
    failed: [],
  },
});

export const PROVIDER_ACCOUNT_STATUSES = ['applying', 'active', 'rejected'] as const;
export type ProviderAccountStatus = (typeof PROVIDER_ACCOUNT_STATUSES)[number];

export const PROVIDER_ACCOUNT_MACHINE = defineMachine<ProviderAccountStatus>({
  name: 'provider account',
  table: 'provider_accounts',
  key: ['merchant_id', 'provider'],
  statuses: PROVIDER_ACCOUNT_STATUSES,
  initial: ['applying', 'active'],
  transitions: {
    applying: ['active', 'rejected'],
    /** rejected → active: an existing account linked after a refused application. */
    rejected: ['applying', 'active'],
    active: [],
  },
});
