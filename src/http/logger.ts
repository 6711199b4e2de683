// pino options: secrets never reach the logs (keys, signatures, personal data in onboarding).
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["wechatpay-signature"]',
  '*.key', '*.private_key', '*.privateKey', '*.app_private_key', '*.merchant_private_key', '*.apiv3_key', '*.apiv3Key',
  '*.sign', '*.signature', '*.id_card_number', '*.idCardNumber', '*.bank_account_number', '*.bankAccountNumber',
  '*.contact_phone', '*.contactPhone', '*.mobile_phone',
];

export function loggerOptions(level: string) {
  return { level, redact: { paths: REDACT_PATHS, censor: '[secret]' } };
}
