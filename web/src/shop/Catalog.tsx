// Browsing: the home page (live rooms and shops), a shop's products, a live room with its featured products.
import { useState } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import { Link } from '../shared/router';
import type { LiveRoom, Merchant, Product } from '../shared/types';
import { Money, Show, useResource, useTime } from '../shared/ui';
import { addToCart } from './cart';
import { shop } from './messages';
import { catalogApi } from './session';

let merchantsLoaded: Promise<Map<string, Merchant>> | null = null;

/** Shop names, loaded once per page load. */
export function merchantNames(): Promise<Map<string, Merchant>> {
  merchantsLoaded ??= listAll<Merchant>(catalogApi, '/v1/merchants')
    .then((rows) => new Map(rows.map((m) => [m.id, m])))
    .catch((err: unknown) => {
      merchantsLoaded = null;
      throw err;
    });
  return merchantsLoaded;
}

export function useShopName(): (merchantId: string) => string {
  const t = useT(shop);
  const res = useResource(() => merchantNames().catch(() => new Map<string, Merchant>()), []);
  return (id) => res.data?.get(id)?.name ?? t('shop_unknown', { id: id.slice(-6) });
}

export function ProductCard({ product, shopName }: { product: Product; shopName?: string }) {
  const t = useT(shop);
  const [added, setAdded] = useState(false);
  return (
    <div className="card product" data-product-id={product.id}>
      <div className="product-name">{product.name}</div>
      {shopName && <small>{shopName}</small>}
      <div className="price">
        <Money fen={product.price} />
      </div>
      <small>{product.stock > 0 ? t('stock', { n: product.stock }) : t('sold_out')}</small>
      <button
        type="button"
        disabled={product.stock <= 0}
        onClick={() => {
          addToCart(product);
          setAdded(true);
        }}
      >
        {added ? t('added') : t('add_to_cart')}
      </button>
    </div>
  );
}

export function HomePage() {
  const t = useT(shop);
  const res = useResource(async () => {
    const [rooms, merchants] = await Promise.all([listAll<LiveRoom>(catalogApi, '/v1/live-rooms'), merchantNames()]);
    return { rooms, merchants: [...merchants.values()] };
  }, []);
  return (
    <Show res={res}>
      {({ rooms, merchants }) => (
        <>
          {rooms.length > 0 && (
            <section>
              <h2>{t('live_rooms')}</h2>
              <div className="grid">
                {rooms.map((r) => (
                  <div className="card" key={r.id}>
                    <div className="product-name">{r.title}</div>
                    <Link to={`/shop/live/${r.id}`}>{t('enter_room')} →</Link>
                  </div>
                ))}
              </div>
            </section>
          )}
          <section>
            <h2>{t('shops')}</h2>
            {merchants.length === 0 && <p className="muted">{t('empty')}</p>}
            <div className="grid">
              {merchants.map((m) => (
                <div className="card shop-card" key={m.id} data-merchant-id={m.id}>
                  <div className="product-name">{m.name}</div>
                  {m.category && <small>{m.category}</small>}
                  <Link to={`/shop/shops/${m.id}`}>{t('enter_shop')} →</Link>
                </div>
              ))}
            </div>
          </section>
        </>
      )}
    </Show>
  );
}

export function ShopPage({ merchantId }: { merchantId: string }) {
  const t = useT(shop);
  const name = useShopName();
  const res = useResource(
    () => listAll<Product>(catalogApi, `/v1/products?merchant_id=${encodeURIComponent(merchantId)}`),
    [merchantId],
  );
  return (
    <>
      <h1>{name(merchantId)}</h1>
      <Show res={res}>
        {(products) => (
          <div className="grid">
            {products.length === 0 && <p className="muted">{t('empty')}</p>}
            {products.map((p) => (
              <ProductCard key={p.id} product={p} />
            ))}
          </div>
        )}
      </Show>
    </>
  );
}

export function LiveRoomPage({ roomId }: { roomId: string }) {
  const t = useT(shop);
  const time = useTime();
  const name = useShopName();
  const res = useResource(() => catalogApi.get<LiveRoom>(`/v1/live-rooms/${encodeURIComponent(roomId)}`), [roomId]);
  return (
    <Show res={res}>
      {(room) => {
        const now = Date.now();
        const live = (room.sessions ?? []).find((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
        return (
          <>
            <h1>
              {room.title} {live && <span className="badge badge-ok">{t('live_now')}</span>}
            </h1>
            <p className="muted">
              <Link to={`/shop/shops/${room.merchant_id}`}>{name(room.merchant_id)}</Link>
              {live && ` · ${t('host')}: ${live.host} · ${time(live.starts_at)} – ${time(live.ends_at)}`}
            </p>
            <h2>{t('featured')}</h2>
            <div className="grid">
              {(room.featured_products ?? []).map((p) => (
                <ProductCard key={p.id} product={p} shopName={name(p.merchant_id)} />
              ))}
            </div>
          </>
        );
      }}
    </Show>
  );
}
