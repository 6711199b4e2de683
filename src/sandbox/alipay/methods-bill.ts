// alipay.data.dataservice.bill.downloadurl.query and the download it points to. Unlike the real gateway,
// today's bill is served too (built from the books as they are when downloaded), so tests need not wait a day.
import type { FastifyInstance } from 'fastify';
import { newToken, type ApiMethod } from './call';
import { optionalString, requiredString } from './biz';
import type { Ctx } from './context';
import { one } from './db';
import { bizError, invalidArguments, SandboxError } from './errors';
import { beijingPeriod } from './clock';
import { buildTradeBill } from './bill';
import { tamperBillRows } from './bill-tamper';
import { findApp, findSubMerchant } from './store-apps';
import { SANDBOX_CLIENT } from '../access';

const BILL_TYPES = new Set(['trade', 'trade_zft_merchant', 'signcustomer']);

export const billDownloadUrlQuery: ApiMethod = async ({ ctx, app, biz, baseUrl }) => {
  const billType = requiredString(biz, 'bill_type', 32);
  if (!BILL_TYPES.has(billType))
    throw invalidArguments('isv.invalid-parameter', `bill_type ${billType} is not supported`);
  const billDate = requiredString(biz, 'bill_date', 10);
  const period = beijingPeriod(billDate);
  if (!period) throw invalidArguments('isv.invalid-parameter', 'bill_date must be yyyy-MM-dd or yyyy-MM');
  if (billType === 'signcustomer')
    throw bizError('isp.bill_not_exist', '账单不存在 (the sandbox keeps trade bills only)');
  if (period.startMs > ctx.clock.now()) throw bizError('isp.bill_not_exist', '账单不存在');
  let smid: string | null = null;
  if (billType === 'trade_zft_merchant') {
    smid = requiredString(biz, 'smid', 32);
    const merchant = await findSubMerchant(ctx.db, smid);
    if (!merchant || merchant.appId !== app.appId)
      throw bizError('isp.bill_not_exist', `sub-merchant ${smid} does not exist`);
  } else if (optionalString(biz, 'smid', 32) !== null) {
    throw invalidArguments('isv.invalid-parameter', 'smid is only for bill_type trade_zft_merchant');
  }
  const token = newToken();
  await ctx.db.query(
    'insert into bill_links (token, app_id, bill_type, bill_date, smid, created_at) values ($1, $2, $3, $4, $5, $6)',
    [token, app.appId, billType, billDate, smid, ctx.clock.now()],
  );
  return { bill_download_url: `${baseUrl}/bills/download?token=${token}` };
};

interface BillLink {
  app_id: string;
  bill_date: string;
  smid: string | null;
}

export function registerBillRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/bills/download', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const token = (req.query as Record<string, unknown>).token;
    const link =
      typeof token === 'string'
        ? await one<BillLink>(ctx.db, 'select app_id, bill_date, smid from bill_links where token = $1', [token])
        : undefined;
    if (!link) throw new SandboxError(404, 'bill_not_found', 'unknown or missing bill token');
    const owner = (await findApp(ctx.db, link.app_id))!;
    const period = beijingPeriod(link.bill_date)!;
    const bill = await buildTradeBill(
      ctx.db,
      {
        appId: link.app_id,
        account: link.smid ?? owner.sellerId,
        period: link.bill_date,
        ...period,
        smid: link.smid,
      },
      ctx.clock.now(),
      (rows) => ctx.faults.useBillTampers(link.bill_date, (t) => tamperBillRows(t, rows)),
    );
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(bill.fileName)}`)
      .send(Buffer.from(bill.zip));
  });
}
