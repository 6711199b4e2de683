// Alipay's error envelope members, and the sandbox's own errors for its non-gateway endpoints.

const GATEWAY_MESSAGES: Record<string, string> = {
  '10000': 'Success',
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
  '40006': 'Insufficient Permissions',
};

/** A gateway answer that is not a success: it still goes out as HTTP 200, signed, under `<method>_response`. */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly subCode: string,
    readonly subMsg: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${code} ${subCode}: ${subMsg}`);
  }

  body(): Record<string, unknown> {
    return {
      code: this.code,
      msg: GATEWAY_MESSAGES[this.code] ?? 'Business Failed',
      sub_code: this.subCode,
      sub_msg: this.subMsg,
      ...this.extra,
    };
  }
}

/** 40004: the request was understood and refused by the business rules (ACQ.* and friends). */
export function bizError(subCode: string, subMsg: string, extra?: Record<string, unknown>): GatewayError {
  return new GatewayError('40004', subCode, subMsg, extra);
}

/** 40002: invalid arguments at the gateway level (isv.*). */
export function invalidArguments(subCode: string, subMsg: string): GatewayError {
  return new GatewayError('40002', subCode, subMsg);
}

/** 40001: a required common parameter is missing. */
export function missingArguments(subCode: string, subMsg: string): GatewayError {
  return new GatewayError('40001', subCode, subMsg);
}

/** ACQ.INVALID_PARAMETER, the trade APIs' answer to a malformed business field. */
export function invalidParameter(subMsg: string): GatewayError {
  return bizError('ACQ.INVALID_PARAMETER', subMsg);
}

export function successBody(fields: Record<string, unknown>): Record<string, unknown> {
  return { code: '10000', msg: 'Success', ...fields };
}

/** Errors of the sandbox's own JSON endpoints (apps, wallet, clock, books): `{ error: { code, message } }`. */
export class SandboxError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  body() {
    return { error: { code: this.code, message: this.message } };
  }
}
