// The demo marketplace seeded on first start: three merchants with products, a live room, a buyer, and keys.
// No key is stored anywhere in clear: the data directory keeps only the seeded ids (demo.json), and every start
// issues fresh keys for them and prints those.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hutong } from '../app';
import { fen } from '../shared/money';

export interface DemoKeys {
  /** The ops key the demo made; undefined when HUTONG_OPS_API_KEY is set (that key is never written or printed). */
  ops: string | undefined;
  merchants: Array<{ id: string; name: string; key: string }>;
  buyer: { id: string; key: string };
  liveRoomId: string;
}

const MERCHANTS = [
  {
    name: '江南丝绸 Jiangnan Silk',
    category: 'apparel',
    tier: 'gold',
    products: [
      ['真丝围巾 Silk scarf', 29900, 50, 'express'],
      ['桑蚕丝眼罩 Silk eye mask', 8900, 200, 'express'],
    ],
  },
  {
    name: '云南茶园 Yunnan Tea',
    category: 'food',
    tier: 'standard',
    products: [
      ['普洱茶饼 Pu-erh cake 357g', 16800, 80, 'mail'],
      ['滇红 Dianhong black tea', 9900, 120, 'express'],
    ],
  },
  {
    name: '码上学 Code Academy',
    category: 'digital',
    tier: 'standard',
    products: [['TypeScript 课程 course', 19900, 1000, 'virtual']],
  },
] as const;

/** What a restart needs to find the seeded marketplace again: ids only, never a key. */
interface DemoIds {
  merchants: Array<{ id: string; name: string }>;
  buyerId: string;
  liveRoomId: string;
}

export async function seedDemo(hutong: Hutong): Promise<DemoKeys> {
  const file = join(hutong.config.dataDir, 'demo.json');
  const legacyKeysFile = join(hutong.config.dataDir, 'demo-keys.json');
  if (existsSync(legacyKeysFile)) rmSync(legacyKeysFile); // earlier versions kept the keys themselves
  const ops = hutong.config.opsApiKey
    ? undefined
    : (await hutong.keys.issue({ role: 'ops' }, { label: 'demo ops key' })).key;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoIds;
    const merchants = [];
    for (const m of saved.merchants) merchants.push({ ...m, key: (await hutong.catalog.createMerchantKey(m.id)).key });
    const buyer = await hutong.keys.issue({ role: 'buyer', buyerId: saved.buyerId }, { label: 'demo buyer key' });
    return { ops, merchants, buyer: { id: saved.buyerId, key: buyer.key }, liveRoomId: saved.liveRoomId };
  }
  const merchants: DemoKeys['merchants'] = [];
  const productIds: string[] = [];
  for (const m of MERCHANTS) {
    // No profile: against the sandboxes the applications use their published test identities (marked as such).
    const merchant = await hutong.onboarding.createMerchant(
      'system',
      { name: m.name, category: m.category, tier: m.tier, contactName: 'Demo Owner' },
      undefined,
    );
    const { key } = await hutong.catalog.createMerchantKey(merchant.id);
    merchants.push({ id: merchant.id, name: merchant.name, key });
    const actor = { role: 'merchant' as const, keyId: 'seed', merchantId: merchant.id };
    for (const [name, price, stock, fulfilment] of m.products) {
      productIds.push(
        (await hutong.catalog.createProduct(actor, { name, priceFen: fen(price), stock, fulfilmentType: fulfilment }))
          .id,
      );
    }
  }
  const first = merchants[0]!;
  const room = await hutong.catalog.createLiveRoom(
    { role: 'merchant', keyId: 'seed', merchantId: first.id },
    { title: '丝绸直播间 Silk live room' },
  );
  const now = hutong.clock.now();
  await hutong.catalog.addLiveSession({ role: 'merchant', keyId: 'seed', merchantId: first.id }, room.id, {
    host: '小丝 Xiao Si',
    startsAt: now,
    endsAt: new Date(now.getTime() + 30 * 86_400_000),
    featuredProductIds: productIds.slice(0, 2),
  });
  // WeChat Pay rolled out to the first two merchants in a launched wave (the demo waives the notice period); each
  // accepts the agreement, and its 二级商户 application is approved by the sandbox within seconds. The third
  // merchant's products show why WeChat Pay is missing (merchant_not_enabled).
  await hutong.rollout.patchMethod('system', 'wechatpay', { enabled: true });
  const wave = await hutong.rollout.createWave('system', {
    method: 'wechatpay',
    name: 'Demo wave 1',
    merchantIds: merchants.slice(0, 2).map((m) => m.id),
    noticeDays: 0,
  });
  await hutong.rollout.invite('system', wave.id);
  await hutong.rollout.launch('system', wave.id);
  for (const m of merchants.slice(0, 2)) {
    await hutong.rollout.accept(
      { role: 'merchant', keyId: 'seed', merchantId: m.id },
      m.id,
      'wechatpay',
      'demo-2026-11',
      undefined,
    );
  }
  const buyer = await hutong.catalog.createBuyer({ name: 'Demo Buyer' });
  const ids: DemoIds = {
    merchants: merchants.map(({ id, name }) => ({ id, name })),
    buyerId: buyer.id,
    liveRoomId: room.id,
  };
  writeFileSync(file, JSON.stringify(ids, null, 2), { mode: 0o600 });
  return { ops, merchants, buyer: { id: buyer.id, key: buyer.key }, liveRoomId: room.id };
}
