// Onboarding APIs: the platform's /v3/ecommerce/applyments/ and the service provider's /v3/applyment4sub/applyment/.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  applymentById,
  applymentByRequestNo,
  createApplyment,
  ecommerceStateJson,
  materialize,
  subStateJson,
  type ApplymentApi,
  type ApplymentRow,
} from './applyments';
import type { Ctx } from './context';
import { wx } from './errors';
import { ids } from './ids';
import { checkEncryptedFields, requireEncryptedField } from './sensitive';
import { baseUrl, merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';
import { checkMediaIds } from './routes-media';

type Json = Record<string, unknown>;

const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});

function requireObject(parent: Json, field: string, path = field): Json {
  const value = parent[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wx.param(`缺少参数 ${path}`);
  return value as Json;
}

const EcommerceBody = Type.Object({
  out_request_no: Type.String({ minLength: 1, maxLength: 124 }),
  organization_type: Type.String({ minLength: 1 }),
  merchant_shortname: Type.String({ minLength: 1, maxLength: 64 }),
  account_info: Type.Record(Type.String(), Type.Unknown()),
  contact_info: Type.Record(Type.String(), Type.Unknown()),
  sales_scene_info: Type.Object({ store_name: Type.String({ minLength: 1 }) }),
});

const SubBody = Type.Object({
  business_code: Type.String({ minLength: 1, maxLength: 124 }),
  contact_info: Type.Record(Type.String(), Type.Unknown()),
  subject_info: Type.Object({ subject_type: Type.String({ minLength: 1 }) }),
  business_info: Type.Object({ merchant_shortname: Type.String({ minLength: 1, maxLength: 64 }) }),
  settlement_info: Type.Record(Type.String(), Type.Unknown()),
  bank_account_info: Type.Record(Type.String(), Type.Unknown()),
});

function checkIdentity(ctx: Ctx, req: FastifyRequest, holder: Json, path: string): void {
  checkEncryptedFields(
    ctx,
    req,
    holder.id_card_info,
    ['id_card_name', 'id_card_number', 'id_card_address'],
    `${path}.id_card_info`,
  );
  checkEncryptedFields(
    ctx,
    req,
    holder.id_doc_info,
    ['id_doc_name', 'id_doc_number', 'id_doc_address'],
    `${path}.id_doc_info`,
  );
  const ubos = Array.isArray(holder.ubo_info_list) ? holder.ubo_info_list : [];
  ubos.forEach((ubo, i) =>
    checkEncryptedFields(
      ctx,
      req,
      ubo,
      ['ubo_id_doc_name', 'ubo_id_doc_number', 'ubo_id_doc_address'],
      `ubo_info_list[${i}]`,
    ),
  );
}

function checkEcommerceSensitive(ctx: Ctx, req: FastifyRequest, body: Json): void {
  const account = requireObject(body, 'account_info');
  requireEncryptedField(ctx, req, account, 'account_name', 'account_info');
  requireEncryptedField(ctx, req, account, 'account_number', 'account_info');
  const contact = requireObject(body, 'contact_info');
  requireEncryptedField(ctx, req, contact, 'contact_name', 'contact_info');
  requireEncryptedField(ctx, req, contact, 'mobile_phone', 'contact_info');
  checkEncryptedFields(ctx, req, contact, ['contact_id_card_number', 'contact_email'], 'contact_info');
  checkIdentity(ctx, req, body, 'body');
}

function checkSubSensitive(ctx: Ctx, req: FastifyRequest, body: Json): void {
  const contact = requireObject(body, 'contact_info');
  requireEncryptedField(ctx, req, contact, 'contact_name', 'contact_info');
  requireEncryptedField(ctx, req, contact, 'mobile_phone', 'contact_info');
  checkEncryptedFields(ctx, req, contact, ['contact_id_number', 'contact_email', 'openid'], 'contact_info');
  const bank = requireObject(body, 'bank_account_info');
  requireEncryptedField(ctx, req, bank, 'account_name', 'bank_account_info');
  requireEncryptedField(ctx, req, bank, 'account_number', 'bank_account_info');
  const identity = obj(obj(body.subject_info).identity_info);
  checkIdentity(ctx, req, identity, 'subject_info.identity_info');
  checkIdentity(ctx, req, { ubo_info_list: obj(body.subject_info).ubo_info_list }, 'subject_info');
}

export function registerApplymentRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx, prefix } = env;
  const r = typed(app);
  const signUrl = (req: FastifyRequest, row: ApplymentRow) =>
    `${baseUrl(req, prefix)}/applyments/sign?applyment_id=${row.applyment_id}`;

  const submit = async (req: FastifyRequest, api: ApplymentApi, requestNo: string, merchantName: string) => {
    const merchant = merchantOf(req);
    return ctx.db.transaction((tx) =>
      createApplyment(ctx, tx, {
        applyment_id: ids.applymentId(),
        api,
        sp_mchid: merchant.mchid,
        request_no: requestNo,
        merchant_name: merchantName,
      }),
    );
  };

  const lookup = async (req: FastifyRequest, api: ApplymentApi, by: 'no' | 'id', key: string) => {
    const merchant = merchantOf(req);
    const row = await ctx.db.transaction(async (tx) => {
      const found =
        by === 'no'
          ? await applymentByRequestNo(tx, merchant.mchid, api, key)
          : /^\d+$/.test(key)
            ? await applymentById(tx, merchant.mchid, api, Number(key))
            : undefined;
      return found ? materialize(ctx, tx, found) : undefined;
    });
    if (!row) throw wx.notExists('申请单不存在');
    return row;
  };

  // The real paths end with a slash (the client library writes them as `applyments._empty_`).
  r.post('/v3/ecommerce/applyments/', { config: SANDBOX_CLIENT, schema: { body: EcommerceBody } }, async (req) => {
    checkEcommerceSensitive(ctx, req, req.body as Json);
    const body = req.body as Json;
    await checkMediaIds(ctx, merchantOf(req).mchid, [
      ['id_card_info.id_card_copy', obj(body.id_card_info).id_card_copy],
      ['id_card_info.id_card_national', obj(body.id_card_info).id_card_national],
      ['business_license_info.business_license_copy', obj(body.business_license_info).business_license_copy],
    ]);
    const row = await submit(req, 'ecommerce', req.body.out_request_no, req.body.merchant_shortname);
    return { applyment_id: row.applyment_id, out_request_no: row.request_no };
  });
  r.get('/v3/ecommerce/applyments/out-request-no/:out_request_no', { config: SANDBOX_CLIENT }, async (req) => {
    const row = await lookup(req, 'ecommerce', 'no', (req.params as { out_request_no: string }).out_request_no);
    return ecommerceStateJson(ctx, row, signUrl(req, row));
  });
  r.get('/v3/ecommerce/applyments/:applyment_id', { config: SANDBOX_CLIENT }, async (req) => {
    const row = await lookup(req, 'ecommerce', 'id', (req.params as { applyment_id: string }).applyment_id);
    return ecommerceStateJson(ctx, row, signUrl(req, row));
  });

  r.post('/v3/applyment4sub/applyment/', { config: SANDBOX_CLIENT, schema: { body: SubBody } }, async (req) => {
    checkSubSensitive(ctx, req, req.body as Json);
    const row = await submit(req, 'sub', req.body.business_code, req.body.business_info.merchant_shortname);
    return { applyment_id: row.applyment_id };
  });
  r.get('/v3/applyment4sub/applyment/business_code/:business_code', { config: SANDBOX_CLIENT }, async (req) => {
    const row = await lookup(req, 'sub', 'no', (req.params as { business_code: string }).business_code);
    return subStateJson(ctx, row, signUrl(req, row));
  });
  r.get('/v3/applyment4sub/applyment/applyment_id/:applyment_id', { config: SANDBOX_CLIENT }, async (req) => {
    const row = await lookup(req, 'sub', 'id', (req.params as { applyment_id: string }).applyment_id);
    return subStateJson(ctx, row, signUrl(req, row));
  });
}
