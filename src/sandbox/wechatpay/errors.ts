// Errors of the sandbox, in the two shapes it answers with:
// - the WeChat Pay API v3 shape `{ code, message }` (UPPER_CASE codes, as the real gateway), for /v3/*;
// - Hutong's `{ error: { code, message } }` (snake_case), for the sandbox's own tools (/merchants, /wallet, …).

/** A refusal by the emulated gateway: an HTTP status and one of WeChat Pay's error codes. */
export class WxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const wx = {
  param: (message: string) => new WxError(400, 'PARAM_ERROR', message),
  invalid: (message: string) => new WxError(400, 'INVALID_REQUEST', message),
  sign: (message: string) => new WxError(401, 'SIGN_ERROR', message),
  noAuth: (message: string) => new WxError(403, 'NO_AUTH', message),
  ruleLimit: (message: string) => new WxError(403, 'RULE_LIMIT', message),
  notEnough: (message: string) => new WxError(403, 'NOT_ENOUGH', message),
  orderPaid: () => new WxError(403, 'ORDERPAID', '订单已支付'),
  orderClosed: () => new WxError(400, 'ORDER_CLOSED', '订单已关闭'),
  orderNotExist: () => new WxError(404, 'ORDER_NOT_EXIST', '订单不存在'),
  notExists: (message: string) => new WxError(404, 'RESOURCE_NOT_EXISTS', message),
  outTradeNoUsed: () => new WxError(403, 'OUT_TRADE_NO_USED', '商户订单号重复'),
  appidMismatch: () => new WxError(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配'),
  system: () => new WxError(500, 'SYSTEM_ERROR', '系统错误'),
};

/** A refusal by one of the sandbox's own (non-WeChat) endpoints. */
export class ToolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
