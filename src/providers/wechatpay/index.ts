// WeChat Pay API v3 adapter (平台收付通 by default, 普通服务商 by configuration). See adapter.ts.
export { createWechatpayAdapter, type WechatpayAdapter } from './adapter';
export type { WechatpayConfig, WechatpayMerchantType } from './config';
export type { FundBalance, ReceiverInput, ReturnShareStatus, WechatpayEscrow } from './escrow';
export type { ProfitSharingBillLine } from './bills';
export type { WechatpayOnboardingStatus } from './onboarding';
export { acknowledge, rejectionReply, NOTIFICATION_MAX_SKEW_SECONDS, type AcknowledgeOutcome } from './notify';
export { KeyConfigError, type JsapiPayParams } from './sign';
export { wechatpaySceneFor } from './scenes';
