// The platform's fund APIs: /v3/ecommerce/fund/balance/{sub_mchid} and withdrawals (fund/withdraw), which
// take money out of the available balance (a later refund from that balance can then fail NOT_ENOUGH).
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { one, type Tx } from './db';
import { wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import { rfc3339 } from './time';
import { merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

export interface SubMerchantBalance {
  available: number;
  frozen: number;
}

/** Invariant: frozen money is exactly the unsplit amounts of the sub-merchant's orders still in escrow. */
export async function balanceOf(tx: Tx, subMchid: string): Promise<SubMerchantBalance> {
  const row = await one<{ available: number; frozen: number }>(
    tx,
    `select s.available,
            (select coalesce(sum(t.unsplit), 0) from wx_trades t
              where t.sub_mchid = s.sub_mchid and t.profit_sharing and not t.sharing_finished)::bigint as frozen
       from wx_sub_merchants s where s.sub_mchid = $1`,
    [subMchid],
  );
  return { available: row?.available ?? 0, frozen: row?.frozen ?? 0 };
}

interface WithdrawalRow {
  withdraw_id: string;
  sp_mchid: string;
  sub_mchid: string;
  out_request_no: string;
  amount: number;
  remark: string | null;
  created_ms: number;
}

function withdrawalJson(w: WithdrawalRow): Record<string, unknown> {
  return {
    sp_mchid: w.sp_mchid,
    sub_mchid: w.sub_mchid,
    status: 'SUCCESS',
    withdraw_id: w.withdraw_id,
    out_request_no: w.out_request_no,
    amount: w.amount,
    create_time: rfc3339(w.created_ms),
    update_time: rfc3339(w.created_ms),
    reason: '',
    remark: w.remark ?? '',
    bank_memo: '',
    account_type: 'BASIC',
    account_number: '6222****0000',
    account_bank: '招商银行',
    bank_name: '招商银行',
  };
}

export function registerFundRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx } = env;
  const r = typed(app);

  r.get(
    '/v3/ecommerce/fund/balance/:sub_mchid',
    {
      config: SANDBOX_CLIENT,
      schema: { querystring: Type.Object({ account_type: Type.Optional(Type.String()) }) },
    },
    async (req) => {
      const { sub_mchid } = req.params as { sub_mchid: string };
      const accountType = req.query.account_type ?? 'BASIC';
      if (accountType !== 'BASIC') throw wx.param('沙箱仅支持 account_type=BASIC');
      const balance = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchantOf(req).mchid, sub_mchid);
        return balanceOf(tx, sub_mchid);
      });
      return {
        sub_mchid,
        account_type: accountType,
        available_amount: balance.available,
        pending_amount: balance.frozen,
      };
    },
  );

  r.post(
    '/v3/ecommerce/fund/withdraw',
    {
      config: SANDBOX_CLIENT,
      schema: {
        body: Type.Object({
          sub_mchid: Type.String({ minLength: 1 }),
          out_request_no: Type.String({ minLength: 1, maxLength: 32 }),
          amount: Type.Integer({ minimum: 1 }),
          remark: Type.Optional(Type.String()),
          bank_memo: Type.Optional(Type.String()),
          account_type: Type.Optional(Type.String()),
        }),
      },
    },
    async (req) => {
      const merchant = merchantOf(req);
      const b = req.body;
      const row = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, b.sub_mchid);
        const existing = await one<WithdrawalRow>(
          tx,
          `select * from wx_withdrawals where sub_mchid = $1 and out_request_no = $2`,
          [b.sub_mchid, b.out_request_no],
        );
        if (existing) return existing;
        const balance = await balanceOf(tx, b.sub_mchid);
        if (balance.available < b.amount) throw wx.notEnough('可用余额不足');
        const now = ctx.clock.now();
        const w: WithdrawalRow = {
          withdraw_id: ids.withdrawId(now),
          sp_mchid: merchant.mchid,
          sub_mchid: b.sub_mchid,
          out_request_no: b.out_request_no,
          amount: b.amount,
          remark: b.remark ?? null,
          created_ms: now,
        };
        await tx.query(
          `insert into wx_withdrawals (withdraw_id, sp_mchid, sub_mchid, out_request_no, amount, remark, created_ms)
         values ($1, $2, $3, $4, $5, $6, $7)`,
          [w.withdraw_id, w.sp_mchid, w.sub_mchid, w.out_request_no, w.amount, w.remark, now],
        );
        await tx.query(
          `update wx_sub_merchants set available = available - $2, withdrawn = withdrawn + $2 where sub_mchid = $1`,
          [b.sub_mchid, b.amount],
        );
        return w;
      });
      return { sub_mchid: row.sub_mchid, withdraw_id: row.withdraw_id, out_request_no: row.out_request_no };
    },
  );

  r.get(
    '/v3/ecommerce/fund/withdraw/out-request-no/:out_request_no',
    {
      config: SANDBOX_CLIENT,
      schema: { querystring: Type.Object({ sub_mchid: Type.String({ minLength: 1 }) }) },
    },
    async (req) => {
      const { out_request_no } = req.params as { out_request_no: string };
      const row = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchantOf(req).mchid, req.query.sub_mchid);
        return one<WithdrawalRow>(tx, `select * from wx_withdrawals where sub_mchid = $1 and out_request_no = $2`, [
          req.query.sub_mchid,
          out_request_no,
        ]);
      });
      if (!row) throw wx.notExists('提现单不存在');
      return withdrawalJson(row);
    },
  );
}
