// Hutong's Alipay adapter: 直付通 (platform mode) on the official alipay-sdk. See adapter.ts for the verbs.
export { createAlipayAdapter, type AlipayAdapter, type AlipayConfig } from './adapter';
export type { AlipayRefundInput } from './trades';
export { AlipayConfigError } from './sign';
