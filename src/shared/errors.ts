// Every error code Hutong answers with, once, with its HTTP status. docs/errors.md has a row per code and a test
// keeps the two in step. Name a code after the rule that was broken.
export const ERROR_CATALOGUE = {
  // 400 — the request could not be read
  malformed_json: { status: 400, message: 'The body is not valid JSON.' },
  bad_request: { status: 400, message: 'The request could not be read.' },
  invalid_request: { status: 400, message: 'The request holds a character Hutong does not accept (NUL).' },
  invalid_url: { status: 400, message: 'The URL is not valid (a malformed percent-escape).' },
  // 401 / 403 — who you are, what you may touch
  unauthenticated: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>).' },
  forbidden_role: { status: 403, message: 'This API key’s role may not do this.' },
  forbidden_resource: { status: 403, message: 'This resource belongs to someone else.' },
  // 404
  route_not_found: { status: 404, message: 'No such route.' },
  not_found: { status: 404, message: 'No such resource.' },
  // 409 — state conflicts
  idempotency_key_reused: { status: 409, message: 'This Idempotency-Key was used with a different request.' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is still running.' },
  insufficient_stock: { status: 409, message: 'Not enough stock for this quantity.' },
  order_state_conflict: { status: 409, message: 'The order is not in a state that allows this.' },
  payment_state_conflict: { status: 409, message: 'The payment is not in a state that allows this.' },
  method_unavailable: { status: 409, message: 'This payment method is not available for this checkout.' },
  refund_exceeds_remaining: { status: 409, message: 'The refund is larger than what is left to refund.' },
  refund_request_open: { status: 409, message: 'A refund request is already open for this order.' },
  refund_request_state_conflict: { status: 409, message: 'The refund request was already decided.' },
  merchant_not_onboarded: { status: 409, message: 'The merchant has no account at this provider yet.' },
  activation_state_conflict: {
    status: 409,
    message: 'The payment-method activation is not in a state that allows this.',
  },
  wave_state_conflict: { status: 409, message: 'The rollout wave is not in a state that allows this.' },
  unpaid_orders_limit: { status: 409, message: 'This buyer holds too many unpaid orders; pay or cancel one first.' },
  held_stock_limit: {
    status: 409,
    message: 'This buyer’s unpaid orders already reserve as much stock as one buyer may hold.',
  },
  key_not_active: { status: 409, message: 'The API key is revoked, expired or already rotated.' },
  auto_confirm_extension_used: { status: 409, message: 'The auto-confirm period was already extended.' },
  // 413 / 414 / 415
  body_too_large: { status: 413, message: 'The body is too large.' },
  parameter_too_long: { status: 414, message: 'A path parameter is too long.' },
  unsupported_media_type: { status: 415, message: 'Send JSON (Content-Type: application/json).' },
  // 422 — valid JSON, invalid content
  validation_failed: { status: 422, message: 'The request does not match the schema.' },
  invalid_idempotency_key: { status: 422, message: 'Idempotency-Key must be 1–255 printable characters.' },
  unknown_product: { status: 422, message: 'A product in the items does not exist.' },
  duplicate_item: { status: 422, message: 'A product appears twice in the items.' },
  scene_unsupported: { status: 422, message: 'This payment method has no such scene.' },
  unknown_method: { status: 422, message: 'No such payment method.' },
  notice_period_not_elapsed: { status: 422, message: 'The launch time is before the wave’s notice period ends.' },
  onboarding_incomplete: {
    status: 422,
    message: 'The merchant profile lacks fields the provider’s application needs.',
  },
  image_invalid: { status: 422, message: 'The image is not a JPEG, PNG or BMP of at most 2 MB.' },
  amount_invalid: { status: 422, message: 'The amount must be a positive integer of fen.' },
  amount_too_large: { status: 422, message: 'The checkout total is larger than this marketplace allows.' },
  bill_date_in_future: { status: 422, message: 'There is no bill for a day that has not begun (Asia/Shanghai).' },
  // 402 — a provider's final no to this request (not our input, not an outage)
  provider_declined: {
    status: 402,
    message: 'The payment provider declined the request; try another method or ask the buyer.',
  },
  // 429
  rate_limited: { status: 429, message: 'Too many requests; slow down.' },
  too_many_attempts: { status: 429, message: 'Too many payment attempts on this payment in the last minute.' },
  // 5xx — ours or a provider's
  provider_unavailable: { status: 503, message: 'The payment provider is unavailable; retry later.' },
  provider_error: { status: 502, message: 'The payment provider refused the request.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class HutongError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'HutongError';
    this.status = ERROR_CATALOGUE[code].status;
  }
}

/** A broken invariant is a bug: roll back, log loudly, answer 500 — never a 4xx. */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(`Invariant violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}
