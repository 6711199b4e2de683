import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, IdParams } from '../shared/schemas';
import { ensureOwner } from '../auth/actor';
import { HutongError } from '../shared/errors';
import { parseMerchantAccount } from './accounts';
import type { LedgerService } from './service';

export function ledgerRoutes(app: FastifyInstance, ledger: LedgerService): void {
  app.get(
    '/v1/merchants/:id/balance',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['ledger'],
        summary: 'What each provider holds for this merchant: frozen (escrow, unsettled) and available, in fen.',
        params: IdParams,
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ensureOwner(actorOf(req), { merchantId: id });
      return { merchant_id: id, balances: await ledger.merchantBalances(id) };
    },
  );

  app.get(
    '/v1/ledger/trial-balance',
    {
      config: { access: ['ops'] },
      schema: { tags: ['ledger'], summary: 'Every account’s balance; balanced is true when they sum to zero.' },
    },
    async () => ledger.trialBalance(),
  );

  app.get(
    '/v1/ledger/entries',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['ledger'],
        summary: 'Journal entries, newest first, per account or per order.',
        querystring: Type.Object({
          account: Type.Optional(Type.String({ maxLength: 200 })),
          order_id: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.String({ format: 'date-time' })),
        }),
      },
    },
    async (req) => {
      const q = req.query as { account?: string; order_id?: string; limit?: number; before?: string };
      const actor = actorOf(req);
      let merchantId: string | undefined;
      if (actor.role === 'merchant') {
        // A merchant reads its own accounts and orders only.
        merchantId = actor.merchantId;
        if (q.account && parseMerchantAccount(q.account)?.merchantId !== actor.merchantId)
          throw new HutongError('forbidden_resource');
      }
      const limit = q.limit ?? 50;
      const rows = await ledger.entries(
        { account: q.account, orderId: q.order_id, merchantId },
        limit,
        q.before ? new Date(q.before) : null,
      );
      return {
        data: rows.map((e) => ({
          id: e.id,
          cause: e.cause,
          cause_id: e.cause_id,
          provider: e.provider,
          merchant_id: e.merchant_id,
          order_id: e.order_id,
          trade_ref: e.trade_ref,
          description: e.description,
          postings: e.postings,
          occurred_at: e.occurred_at.toISOString(),
          created_at: e.created_at.toISOString(),
        })),
        next_cursor: rows.length === limit ? rows[rows.length - 1]!.created_at.toISOString() : null,
      };
    },
  );

  app.get('/v1/commission-rates', { config: { access: ['ops'] }, schema: { tags: ['ledger'] } }, async () => ({
    data: (await ledger.commissionRates()).map((r) => ({
      category: r.category,
      rate_bp: r.rate_bp,
      effective_from: r.effective_from.toISOString(),
    })),
    next_cursor: null,
  }));

  app.post(
    '/v1/commission-rates',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ledger'],
        summary: 'Set a category’s commission rate from a date on ("*" is the default for every category).',
        body: Body({
          category: Type.String({ pattern: '^(\\*|[a-z][a-z0-9_]{0,39})$' }),
          rate_bp: Type.Integer({
            minimum: 0,
            maximum: 3000,
            description: 'Basis points (500 = 5%); at most 30%, the providers’ sharing cap.',
          }),
          effective_from: Type.String({ format: 'date-time' }),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as { category: string; rate_bp: number; effective_from: string };
      await ledger.setCommissionRate(actorOf(req), b.category, b.rate_bp, new Date(b.effective_from));
      return reply
        .status(201)
        .send({ category: b.category, rate_bp: b.rate_bp, effective_from: new Date(b.effective_from).toISOString() });
    },
  );
}
