// 直付通 onboarding: ant.merchant.expand.indirect.zft.create (asynchronous review) and
// ant.merchant.expand.order.query (gives the smid once approved).
import type { ApiMethod } from './call';
import { objectField, optionalString, requiredString, type Biz } from './biz';
import { bizError, GatewayError } from './errors';
import { formatBeijing } from './clock';
import { approveDueApplications, findApplication, insertSubMerchant } from './store-apps';
import { createHash, randomUUID } from 'node:crypto';
import { imageFormat } from '../multipart';
import type { Ctx } from './context';

const MERCHANT_TYPES = new Set(['01', '02', '03', '04', '05', '06', '07']);

/** The ant.merchant APIs name malformed fields INVALID_PARAMETER (the ACQ prefix belongs to trade APIs). */
async function asMerchantApi<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GatewayError && err.subCode === 'ACQ.INVALID_PARAMETER')
      throw bizError('INVALID_PARAMETER', err.subMsg);
    throw err;
  }
}

function readApplication(biz: Biz) {
  const merchantType = requiredString(biz, 'merchant_type', 2);
  if (!MERCHANT_TYPES.has(merchantType)) throw bizError('INVALID_PARAMETER', 'merchant_type must be 01 … 07');
  requiredString(biz, 'mcc', 16);
  const service = biz.service;
  if (
    !Array.isArray(service) ||
    service.length === 0 ||
    service.length > 20 ||
    !service.every((s) => typeof s === 'string')
  ) {
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

const IMAGE_TYPES = new Set(['bmp', 'jpg', 'jpeg', 'png', 'gif']);
const IMAGE_BYTES_MAX = 10 * 1024 * 1024;
/** The application fields that carry image_ids from image.upload. */
const IMAGE_FIELDS = [
  'cert_image',
  'cert_image_back',
  'legal_cert_front_image',
  'legal_cert_back_image',
  'license_auth_letter_image',
];

/**
 * ant.merchant.expand.indirect.image.upload: `image_type` (a signed text parameter) and `image_content` (the file
 * part, unsigned) → an `image_id` (an OSS key) the application forms carry. The image's bytes are not kept.
 */
export const imageUpload: ApiMethod = ({ ctx, app, params, files }) =>
  asMerchantApi(async () => {
    const imageType = (params.image_type ?? '').toLowerCase();
    if (!IMAGE_TYPES.has(imageType)) throw bizError('INVALID_PARAMETER', 'image_type 须为 bmp、jpg、jpeg、png 或 gif');
    const content = files.get('image_content');
    if (!content || content.length === 0) throw bizError('INVALID_PARAMETER', '缺少 image_content 文件');
    if (content.length > IMAGE_BYTES_MAX) throw bizError('INVALID_PARAMETER', '图片不能超过 10M');
    const format = imageFormat(content);
    if (!format || (format !== imageType && !(format === 'jpg' && imageType === 'jpeg')))
      throw bizError('INVALID_PARAMETER', '图片内容与 image_type 不符');
    const imageId = `${randomUUID()}.${imageType}`;
    await ctx.db.query(
      'insert into images (image_id, app_id, image_type, sha256, bytes, created_at) values ($1, $2, $3, $4, $5, $6)',
      [
        imageId,
        app.appId,
        imageType,
        createHash('sha256').update(content).digest('hex'),
        content.length,
        ctx.clock.now(),
      ],
    );
    return { image_id: imageId };
  });

/** Image fields must name images this app uploaded (the real gateway cannot read an unknown OSS key either). */
async function checkImages(ctx: Ctx, appId: string, biz: Biz): Promise<void> {
  for (const field of IMAGE_FIELDS) {
    const id = optionalString(biz, field, 256);
    if (!id) continue;
    const { rows } = await ctx.db.query('select 1 from images where image_id = $1 and app_id = $2', [id, appId]);
    if (rows.length === 0) throw bizError('INVALID_PARAMETER', `${field} 不是本应用上传的图片 (image.upload)`);
  }
}

/** Applications are approved applymentDelayMs later; a repeated external_id returns the same application. */
export const zftCreate: ApiMethod = ({ ctx, app, biz }) =>
  asMerchantApi(async () => {
    const application = readApplication(biz);
    await checkImages(ctx, app.appId, biz);
    const now = ctx.clock.now();
    const merchant = await insertSubMerchant(ctx.db, {
      appId: app.appId,
      ...application,
      applyTime: now,
      approveAt: now + ctx.settings.applymentDelayMs,
      approved: false,
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
