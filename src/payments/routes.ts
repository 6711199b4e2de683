import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, FenAmount, IdParams } from '../shared/schemas';
import { fen } from '../shared/money';
import { HutongError } from '../shared/errors';
import { ensureOwner } from '../auth/actor';
import { PROVIDER_NAMES, type PaymentScene, type ProviderName } from '../providers/types';
import type { PaymentsService } from './service';
import type { RefundsService } from './refunds';
import type { NotificationHandler } from './notifications';
import type { ProviderAccounts } from './provider-accounts';
import type { ProviderAccountRow } from './provider-account-store';
import { attemptJson, refundJson } from './views';
import { refundRequestJson } from '../orders/routes';

const Method = Type.Union([Type.Literal('alipay'), Type.Literal('wechatpay')], {
  description: 'Payment method (provider).',
});
const Scene = Type.Union([Type.Literal('qr'), Type.Literal('h5'), Type.Literal('jsapi'), Type.Literal('page')], {
  description:
    'qr: desktop scan; page: Alipay desktop page; h5: mobile browser; jsapi: inside WeChat. Omitted: chosen from the User-Agent.',
});

function accountJson(a: ProviderAccountRow) {
  return {
    merchant_id: a.merchant_id,
    provider: a.provider,
    status: a.status,
    sub_merchant_id: a.sub_merchant_id,
    linked: a.linked,
    reject_reasons: a.reject_reasons,
    test_identity_fields: a.test_identity_fields ?? [],
    updated_at: a.updated_at.toISOString(),
  };
}

export function paymentRoutes(
  app: FastifyInstance,
  deps: {
    payments: PaymentsService;
    refunds: RefundsService;
    notifications: NotificationHandler;
    accounts: ProviderAccounts;
  },
): void {
  const { payments, refunds, notifications, accounts } = deps;

  app.post(
    '/v1/payments/:id/attempts',
    {
      config: { access: ['buyer'] },
      schema: {
        tags: ['payments'],
        summary: 'Try a payment method: returns what the buyer must do (QR, redirect, or JSAPI parameters).',
        params: IdParams,
        body: Body({ method: Method, scene: Type.Optional(Scene) }),
      },
    },
    async (req, reply) => {
      const b = req.body as { method: ProviderName; scene?: PaymentScene };
      const attempt = await payments.createAttempt(
        actorOf(req),
        (req.params as { id: string }).id,
        b.method,
        b.scene,
        req.headers,
        req.ip,
      );
      return reply.status(201).send(attemptJson(attempt));
    },
  );

  app.get(
    '/v1/payments/:id',
    { config: { access: ['buyer', 'merchant', 'ops'] }, schema: { tags: ['payments'], params: IdParams } },
    async (req) => payments.paymentJson(actorOf(req), (req.params as { id: string }).id, req.headers),
  );

  app.post(
    '/v1/orders/:id/refunds',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['refunds'],
        summary: 'Refund part or all of a paid order (never more than what is left).',
        params: IdParams,
        body: Body({
          amount: FenAmount('Amount to refund.'),
          reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as { amount: number; reason?: string };
      return reply
        .status(201)
        .send(
          refundJson(
            await refunds.createOrderRefund(actorOf(req), (req.params as { id: string }).id, fen(b.amount), b.reason),
          ),
        );
    },
  );

  app.post(
    '/v1/refund-requests/:id/approve',
    {
      config: { access: ['merchant', 'ops'] },
      schema: { tags: ['refunds'], summary: 'Approve a buyer’s refund request: makes the refund.', params: IdParams },
    },
    async (req) =>
      refundRequestJson(await refunds.approveRefundRequest(actorOf(req), (req.params as { id: string }).id)),
  );

  app.get(
    '/v1/orders/:id/refunds',
    { config: { access: ['buyer', 'merchant', 'ops'] }, schema: { tags: ['refunds'], params: IdParams } },
    async (req) => ({
      data: (await refunds.refundsOfOrder(actorOf(req), (req.params as { id: string }).id)).map(refundJson),
      next_cursor: null,
    }),
  );

  app.get(
    '/v1/refunds/:id',
    { config: { access: ['buyer', 'merchant', 'ops'] }, schema: { tags: ['refunds'], params: IdParams } },
    async (req) => refundJson(await refunds.refund(actorOf(req), (req.params as { id: string }).id)),
  );

  const ProviderParams = Type.Object({
    id: Type.String({ maxLength: 64 }),
    provider: Type.Union(PROVIDER_NAMES.map((p) => Type.Literal(p))),
  });
  app.put(
    '/v1/merchants/:id/provider-accounts/:provider',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['merchants'],
        summary: 'Link a sub-merchant account that already exists at the provider ({ sub_mchid } or { smid }).',
        params: ProviderParams,
        body: Body({
          sub_mchid: Type.Optional(
            Type.String({ pattern: '^[0-9A-Za-z_-]{4,32}$', description: 'WeChat Pay sub-merchant id.' }),
          ),
          smid: Type.Optional(
            Type.String({ pattern: '^[0-9A-Za-z_-]{4,32}$', description: 'Alipay 直付通 sub-merchant id.' }),
          ),
        }),
      },
    },
    async (req) => {
      const { id, provider } = req.params as { id: string; provider: ProviderName };
      const b = req.body as { sub_mchid?: string; smid?: string };
      const subMerchantId = provider === 'wechatpay' ? b.sub_mchid : b.smid;
      if (!subMerchantId || (provider === 'wechatpay' ? b.smid : b.sub_mchid)) {
        throw new HutongError(
          'validation_failed',
          provider === 'wechatpay' ? 'Send { sub_mchid } for WeChat Pay.' : 'Send { smid } for Alipay.',
        );
      }
      return accountJson(await accounts.link(actorOf(req), id, provider, subMerchantId));
    },
  );

  app.get(
    '/v1/merchants/:id/provider-accounts',
    { config: { access: ['ops', 'merchant'] }, schema: { tags: ['merchants'], params: IdParams } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ensureOwner(actorOf(req), { merchantId: id });
      return { data: (await accounts.list(id)).map(accountJson), next_cursor: null };
    },
  );

  // Provider notifications: no API key, the signature is the authentication. Raw bodies: signatures cover bytes.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) =>
      done(null, body),
    );
    scope.post(
      '/notify/:provider',
      {
        config: { access: ['provider'] },
        schema: {
          tags: ['providers'],
          summary: 'Provider notification endpoint (signature-verified).',
          params: Type.Object({ provider: Type.Union(PROVIDER_NAMES.map((p) => Type.Literal(p))) }),
        },
      },
      async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const answer = await notifications.handle(
          (req.params as { provider: ProviderName }).provider,
          req.headers,
          raw,
        );
        reply.status(answer.statusCode);
        if (answer.contentType) reply.type(answer.contentType);
        return reply.send(answer.body);
      },
    );
  });
}
