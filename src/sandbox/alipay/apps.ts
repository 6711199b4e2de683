// Registering client apps (any Alipay client, not only Hutong) and their ready-made 直付通 sub-merchants.
import { randomInt } from 'node:crypto';
import type { Ctx } from './context';
import { generateRsaKeyPair, parsePublicKey, privateKeyToPkcs1Pem, publicKeyToSpkiPem } from './crypto';
import { SandboxError } from './errors';
import { findApp, insertApp, insertSubMerchant, listSmids } from './store-apps';

const SUB_MERCHANTS_MAX = 20;
const FEE_RATE_BP_DEFAULT = 60;
const FEE_RATE_BP_MAX = 10_000;
const ID_ATTEMPTS_MAX = 5;

function digits(n: number): string {
  return Array.from({ length: n }, () => randomInt(10)).join('');
}

function intField(body: Record<string, unknown>, field: string, fallback: number, max: number): number {
  const value = body[field] ?? fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) {
    throw new SandboxError(422, `invalid_${field}`, `${field} must be an integer from 0 to ${max}`);
  }
  return value as number;
}

export interface RegisteredApp {
  app_id: string;
  seller_id: string;
  alipay_public_key: string;
  app_private_key?: string;
  fee_rate_bp: number;
  smids: string[];
}

/**
 * POST /apps. With no app_public_key the sandbox makes the app's RSA-2048 key pair and returns the private
 * key once, as PKCS#1 PEM (alipay-sdk's default key type).
 */
export async function registerApp(ctx: Ctx, body: Record<string, unknown>): Promise<RegisteredApp> {
  const subMerchants = intField(body, 'sub_merchants', 0, SUB_MERCHANTS_MAX);
  const feeRateBp = intField(body, 'fee_rate_bp', FEE_RATE_BP_DEFAULT, FEE_RATE_BP_MAX);
  let publicKeyPem: string;
  let appPrivateKey: string | undefined;
  if (body.app_public_key !== undefined) {
    const key = typeof body.app_public_key === 'string' ? parsePublicKey(body.app_public_key) : null;
    if (!key)
      throw new SandboxError(
        422,
        'invalid_app_public_key',
        'app_public_key must be an RSA public key, PEM or bare base64',
      );
    publicKeyPem = publicKeyToSpkiPem(key);
  } else {
    const pair = await generateRsaKeyPair();
    publicKeyPem = publicKeyToSpkiPem(pair.publicKey);
    appPrivateKey = privateKeyToPkcs1Pem(pair.privateKey);
  }
  const now = ctx.clock.now();
  let appId = '';
  let sellerId = '';
  for (let attempt = 0; attempt < ID_ATTEMPTS_MAX && !appId; attempt++) {
    const candidate = { appId: `2021${digits(12)}`, sellerId: `2088${digits(12)}` };
    if (await insertApp(ctx.db, { ...candidate, publicKeyPem, feeRateBp, createdAt: now }))
      ({ appId, sellerId } = candidate);
  }
  if (!appId) throw new SandboxError(503, 'app_id_exhausted', 'could not allocate an app id; retry');
  for (let i = 1; i <= subMerchants; i++) {
    await insertSubMerchant(ctx.db, {
      appId,
      externalId: `sandbox_${i}`,
      name: `沙箱商户${i} Sandbox Merchant ${i}`,
      aliasName: `Sandbox Merchant ${i}`,
      merchantType: '01',
      settleToCard: false,
      applyTime: now,
      approveAt: now,
      approved: true,
    });
  }
  return {
    app_id: appId,
    seller_id: sellerId,
    alipay_public_key: ctx.alipayPublicKeyPem,
    ...(appPrivateKey ? { app_private_key: appPrivateKey } : {}),
    fee_rate_bp: feeRateBp,
    smids: await listSmids(ctx.db, appId),
  };
}

/** GET /apps/:app_id: the app as registered (never its private key). */
export async function describeApp(ctx: Ctx, appId: string): Promise<Omit<RegisteredApp, 'app_private_key'>> {
  const app = await findApp(ctx.db, appId);
  if (!app) throw new SandboxError(404, 'app_not_found', `no app ${appId}`);
  return {
    app_id: app.appId,
    seller_id: app.sellerId,
    alipay_public_key: ctx.alipayPublicKeyPem,
    fee_rate_bp: app.feeRateBp,
    smids: await listSmids(ctx.db, app.appId),
  };
}
