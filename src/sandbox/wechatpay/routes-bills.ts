// Bill APIs (/v3/bill/tradebill, /v3/profitsharing/bills), the file download, and /v3/certificates.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Type } from 'typebox';
import { tamperSharingLines, tamperTradeRows } from './bill-tamper';
import { sharingBill, tradeBill, type BillScope, type SharingLine, type TradeBillType } from './bills';
import type { Ctx } from './context';
import { aeadEncrypt } from './crypto';
import { one } from './db';
import { WxError, wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import { beijingDay, beijingDayRange, rfc3339 } from './time';
import { baseUrl, DOWNLOAD_PATH, merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

/** How long a download_url stays usable (the real one: 30 s; the sandbox is lenient for slow test steps). */
const DOWNLOAD_TTL_MS = 5 * 60_000;

async function billScope(ctx: Ctx, req: FastifyRequest, billDate: string, subMchid?: string): Promise<BillScope> {
  const range = beijingDayRange(billDate);
  if (!range) throw wx.param('bill_date 格式错误，应为 YYYY-MM-DD');
  if (billDate > beijingDay(ctx.clock.now()))
    throw new WxError(400, 'NO_STATEMENT_EXIST', '账单日期晚于今天，账单不存在');
  const merchant = merchantOf(req);
  if (subMchid) await ctx.db.transaction((tx) => requireSubMerchant(tx, merchant.mchid, subMchid));
  return { spMchid: merchant.mchid, ...(subMchid ? { subMchid } : {}), startMs: range[0], endMs: range[1] };
}

async function publish(ctx: Ctx, req: FastifyRequest, prefix: string, text: string, tarType?: string) {
  if (tarType !== undefined && tarType !== 'GZIP') throw wx.param('tar_type 仅支持 GZIP');
  const raw = Buffer.from(text, 'utf8');
  const token = ids.billToken();
  const gzip = tarType === 'GZIP';
  await ctx.db.query(
    `insert into wx_bill_files (token, mchid, content, gzip, created_real_ms) values ($1, $2, $3, $4, $5)`,
    [token, merchantOf(req).mchid, gzip ? gzipSync(raw) : raw, gzip, Date.now()],
  );
  // The hash is of the bill itself (before any gzip), as the docs say.
  return {
    hash_type: 'SHA1',
    hash_value: createHash('sha1').update(raw).digest('hex'),
    download_url: `${baseUrl(req, prefix)}${DOWNLOAD_PATH}?token=${token}`,
  };
}

export function registerBillRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx, prefix } = env;
  const r = typed(app);

  r.get(
    '/v3/bill/tradebill',
    {
      config: SANDBOX_CLIENT,
      schema: {
        querystring: Type.Object({
          bill_date: Type.String(),
          sub_mchid: Type.Optional(Type.String({ minLength: 1 })),
          bill_type: Type.Optional(Type.Union([Type.Literal('ALL'), Type.Literal('SUCCESS'), Type.Literal('REFUND')])),
          tar_type: Type.Optional(Type.String()),
        }),
      },
    },
    async (req) => {
      const scope = await billScope(ctx, req, req.query.bill_date, req.query.sub_mchid);
      const tamper = (rows: Parameters<typeof tamperTradeRows>[1]) =>
        ctx.faults.useBillTampers(req.query.bill_date, (t) => tamperTradeRows(t, rows));
      const text = await ctx.db.transaction((tx) =>
        tradeBill(tx, scope, (req.query.bill_type ?? 'ALL') as TradeBillType, tamper),
      );
      return publish(ctx, req, prefix, text, req.query.tar_type);
    },
  );

  r.get(
    '/v3/profitsharing/bills',
    {
      config: SANDBOX_CLIENT,
      schema: {
        querystring: Type.Object({
          bill_date: Type.String(),
          sub_mchid: Type.Optional(Type.String({ minLength: 1 })),
          tar_type: Type.Optional(Type.String()),
        }),
      },
    },
    async (req) => {
      const scope = await billScope(ctx, req, req.query.bill_date, req.query.sub_mchid);
      const tamper = (lines: SharingLine[]) => {
        let out = lines;
        ctx.faults.useBillTampers(req.query.bill_date, (t) => {
          const changed = tamperSharingLines(t, out);
          if (changed) out = changed;
          return changed !== undefined;
        });
        return out;
      };
      const text = await ctx.db.transaction((tx) => sharingBill(tx, scope, tamper));
      return publish(ctx, req, prefix, text, req.query.tar_type);
    },
  );

  r.get(
    DOWNLOAD_PATH,
    { config: SANDBOX_CLIENT, schema: { querystring: Type.Object({ token: Type.String({ minLength: 1 }) }) } },
    async (req, reply) => {
      const file = await one<{ mchid: string; content: Uint8Array; gzip: boolean; created_real_ms: number }>(
        ctx.db,
        `select * from wx_bill_files where token = $1`,
        [req.query.token],
      );
      if (!file || Date.now() - file.created_real_ms > DOWNLOAD_TTL_MS)
        throw wx.invalid('下载链接无效或已过期，请重新申请账单');
      if (req.headers.authorization && merchantOf(req).mchid !== file.mchid) throw wx.noAuth('无权下载该账单');
      return reply
        .header('content-type', file.gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8')
        .send(Buffer.from(file.content));
    },
  );

  r.get('/v3/certificates', { config: SANDBOX_CLIENT }, async (req) => {
    const merchant = merchantOf(req);
    const cert = ctx.keys.platformCert;
    return {
      data: [
        {
          serial_no: cert.serial,
          effective_time: rfc3339(cert.effectiveMs),
          expire_time: rfc3339(cert.expireMs),
          encrypt_certificate: aeadEncrypt(cert.certificatePem, merchant.apiv3Key, 'certificate'),
        },
      ],
    };
  });
}
