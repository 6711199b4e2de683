// pino options: secrets never reach the logs (keys, signatures, personal data in onboarding).
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["wechatpay-signature"]',
  '*.key',
  '*.private_key',
  '*.privateKey',
  '*.app_private_key',
  '*.merchant_private_key',
  '*.apiv3_key',
  '*.apiv3Key',
  '*.sign',
  '*.signature',
  '*.id_card_number',
  '*.idCardNumber',
  '*.bank_account_number',
  '*.bankAccountNumber',
  '*.contact_phone',
  '*.contactPhone',
  '*.mobile_phone',
  // Onboarding profiles (src/onboarding): by field name, nested or as dotted patch keys, and the providers' names.
  '*.id_number',
  '*.idNumber',
  '*.account_number',
  '*.accountNumber',
  '*.account_name',
  '*.accountName',
  '*.phone',
  '*.mobile',
  '*.email',
  '*.contact_email',
  '*.alipay_logon_id',
  '*.alipayLogonId',
  '*.cert_no',
  '*.legal_cert_no',
  '*.content_base64',
  ...[
    'legal_person.name',
    'legal_person.id_number',
    'settlement.account_name',
    'settlement.account_number',
    'settlement.alipay_logon_id',
    'contact.name',
    'contact.phone',
    'contact.email',
  ].map((field) => `*["${field}"]`),
];

/**
 * Query parameters that carry secrets in a request line: the Alipay SDK sends its `sign` in the gateway URL (the
 * sandbox's requests are logged by the host), wallet and download links carry tokens.
 */
const SECRET_QUERY_PARAMS = /([?&](?:sign|token|key|access_token)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMS, '$1[secret]');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: string) {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[secret]' },
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}
