// 直付通 onboarding: ant.merchant.expand.indirect.zft.create (asynchronous review) and
// ant.merchant.expand.order.query (gives the smid once approved).
import type { ApiMethod } from './call';
import { objectField, optionalString, requiredString, type Biz } from './biz';
import { bizError, GatewayError } from './errors';
import { formatBeijing } from './clock';
import { approveDueApplications, findApplication, insertSubMerchant } from './store-apps';

const MERCHANT_TYPES = new Set(['01', '02', '03', '04', '05', '06', '07']);

/** The ant.merchant APIs name malformed fields INVALID_PARAMETER (the ACQ prefix belongs to trade APIs). */
async function asMerchantApi<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GatewayError && err.subCode === 'ACQ.INVALID_PARAMETER') throw bizError('INVALID_PARAMETER', err.subMsg);
    throw err;
  }
}

function readApplication(biz: Biz) {
  const merchantType = requiredString(biz, 'merchant_type', 2);
  if (!MERCHANT_TYPES.has(merchantType)) throw bizError('INVALID_PARAMETER', 'merchant_type must be 01 … 07');
  requiredString(biz, 'mcc', 16);
  const service = biz.service;
  if (!Array.isArray(service) || service.length === 0 || service.length > 20 || !service.every((s) => typeof s === 'string')) {
    throw bizError('INVALID_PARAMETER', 'service must list the services the merchant uses');
  }
  const rule = objectField(biz, 'default_settle_rule');
  const settleType = rule ? optionalString(rule, 'default_settle_type', 32) : null;
  return {
    externalId: requiredString(biz, 'external_id', 64),
    name: requiredString(biz, 'name', 128),
    aliasName: optionalString(biz, 'alias_name', 128),
    merchantType,
    settleToCard: settleType === 'bankCard',
  };
}

/** Applications are approved applymentDelayMs later; a repeated external_id returns the same application. */
export const zftCreate: ApiMethod = ({ ctx, app, biz }) =>
  asMerchantApi(async () => {
    const application = readApplication(biz);
    const now = ctx.clock.now();
    const merchant = await insertSubMerchant(ctx.db, {
      appId: app.appId, ...application, applyTime: now, approveAt: now + ctx.settings.applymentDelayMs, approved: false,
    });
    return { order_id: merchant.orderId };
  });

export const orderQuery: ApiMethod = ({ ctx, app, biz }) =>
  asMerchantApi(async () => {
    const orderId = optionalString(biz, 'order_id', 64);
    const externalId = optionalString(biz, 'external_id', 64);
    if (!orderId && !externalId) throw bizError('INVALID_PARAMETER', 'order_id is required');
    await approveDueApplications(ctx.db, ctx.clock.now());
    const merchant = await findApplication(ctx.db, app.appId, orderId ? { orderId } : { externalId: externalId! });
    if (!merchant) throw bizError('ORDER_NOT_EXIST', '申请单不存在');
    const approved = merchant.status === '99';
    return {
      order_id: merchant.orderId,
      external_id: merchant.externalId,
      merchant_name: merchant.name,
      status: merchant.status,
      apply_time: formatBeijing(merchant.applyTime),
      ip_role_id: approved ? [merchant.smid] : undefined,
      ext_info: approved ? JSON.stringify({ smid: merchant.smid }) : undefined,
    };
  });
