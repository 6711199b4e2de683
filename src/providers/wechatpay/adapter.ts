// The WeChat Pay adapter: Hutong's provider verbs over API v3, for an e-commerce platform (平台收付通, default) or
// an ordinary service provider (普通服务商). Payments and refunds work for both; escrow and onboarding only for the
// platform type (the other throws not_supported_for_merchant_type for now).
import type {
  EscrowOperations,
  NotificationReply,
  NotificationRequest,
  OnboardingInput,
  PaymentScene,
  ProviderAdapter,
} from '../types';
import { fetchProfitSharingBill, fetchTradeBill, type ProfitSharingBillLine } from './bills';
import { createWechatpayHttp } from './client';
import { DEFAULT_TIMEOUT_MS, validateConfig, type WechatpayConfig } from './config';
import type { AdapterContext } from './context';
import {
  createEscrow,
  type FundBalance,
  type ReceiverInput,
  type ReturnShareStatus,
  type WechatpayEscrow,
} from './escrow';
import { acknowledge, parseNotification, type AcknowledgeOutcome } from './notify';
import { queryOnboarding, submitOnboarding, uploadImage, type WechatpayOnboardingStatus } from './onboarding';
import { queryRefund, refund } from './refunds';
import { jsapiPayParams, parseKeys, type JsapiPayParams } from './sign';
import { closeTrade, createTrade, queryTrade } from './trades';

const SCENES: readonly PaymentScene[] = ['qr', 'h5', 'jsapi'];

export interface WechatpayAdapter extends ProviderAdapter {
  readonly merchantType: WechatpayConfig['merchantType'];
  readonly escrow: WechatpayEscrow & EscrowOperations;
  acknowledge(outcome: AcknowledgeOutcome): NotificationReply;
  submitOnboarding(input: OnboardingInput): Promise<WechatpayOnboardingStatus>;
  queryOnboarding(outRequestNo: string): Promise<WechatpayOnboardingStatus>;
  /** 平台收付通 only: register a profit-sharing receiver (the platform's commission account). */
  addReceiver(input: ReceiverInput): Promise<void>;
  /** 平台收付通 only: the raw balance, `pending_amount` included under its own name. */
  fundBalance(subMerchantId: string): Promise<FundBalance>;
  queryReturnShare: WechatpayEscrow['queryReturnShare'];
  profitSharingBill(input: { date: string; subMerchantId?: string }): Promise<ProfitSharingBillLine[]>;
  /** Fresh JSAPI bridge parameters for a prepay_id already created (e.g. the buyer reopened the page). */
  jsapiPayParams(prepayId: string): JsapiPayParams;
}

export type { ReturnShareStatus };

export function createWechatpayAdapter(config: WechatpayConfig): WechatpayAdapter {
  validateConfig(config);
  const keys = parseKeys(config);
  const http = createWechatpayHttp(
    {
      spMchid: config.spMchid,
      merchantSerialNo: config.merchantSerialNo,
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    },
    keys,
  );
  const ctx: AdapterContext = { config, keys, http, now: config.now ?? (() => new Date()) };
  const escrow = createEscrow(ctx);
  return {
    name: 'wechatpay',
    scenes: SCENES,
    merchantType: config.merchantType,
    escrow,
    createTrade: (input) => createTrade(ctx, input),
    queryTrade: (ref) => queryTrade(ctx, ref),
    closeTrade: (ref) => closeTrade(ctx, ref),
    refund: (input) => refund(ctx, input),
    queryRefund: (input) => queryRefund(ctx, input),
    parseNotification: async (req: NotificationRequest) => parseNotification(req, keys, ctx.now()),
    acknowledge,
    fetchTradeBill: (input) => fetchTradeBill(ctx, input),
    submitOnboarding: (input) => submitOnboarding(ctx, input),
    queryOnboarding: (outRequestNo) => queryOnboarding(ctx, outRequestNo),
    uploadImage: (upload) => uploadImage(ctx, upload),
    addReceiver: (input) => escrow.addReceiver(input),
    fundBalance: (subMerchantId) => escrow.fundBalance(subMerchantId),
    queryReturnShare: (input) => escrow.queryReturnShare(input),
    profitSharingBill: (input) => fetchProfitSharingBill(ctx, input),
    fetchSharingBill: (input) => fetchProfitSharingBill(ctx, input),
    jsapiPayParams: (prepayId) => jsapiPayParams(config.spAppid, prepayId, keys.merchantPrivateKey, ctx.now()),
  };
}
