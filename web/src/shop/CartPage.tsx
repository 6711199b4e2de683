// The cart across shops and the checkout: POST /v1/orders makes one order per shop and one payment for all.
import { useT } from '../shared/i18n';
import { navigate } from '../shared/router';
import type { Checkout } from '../shared/types';
import { ErrorNote, Money, useAction } from '../shared/ui';
import { cartTotalFen, clearCart, setQuantity, useCart, type CartLine } from './cart';
import { useShopName } from './Catalog';
import { shop } from './messages';
import { api } from './session';

function byMerchant(lines: CartLine[]): Map<string, CartLine[]> {
  const groups = new Map<string, CartLine[]>();
  for (const l of lines) groups.set(l.product.merchant_id, [...(groups.get(l.product.merchant_id) ?? []), l]);
  return groups;
}

export function CartPage() {
  const t = useT(shop);
  const lines = useCart();
  const name = useShopName();
  const action = useAction();
  if (lines.length === 0) return <p className="notice">{t('cart_empty')}</p>;

  const checkout = () =>
    action.run(async () => {
      const made = await api.post<Checkout>('/v1/orders', {
        items: lines.map((l) => ({ product_id: l.product.id, quantity: l.quantity })),
      });
      clearCart();
      navigate(`/shop/payments/${made.payment.id}`);
    });

  return (
    <>
      <h1>{t('cart')}</h1>
      {[...byMerchant(lines)].map(([merchantId, group]) => (
        <section className="card" key={merchantId} data-merchant-id={merchantId}>
          <h2>{name(merchantId)}</h2>
          <div className="table-wrap">
            <table>
              <tbody>
                {group.map((l) => (
                  <tr key={l.product.id} data-product-id={l.product.id}>
                    <td>{l.product.name}</td>
                    <td className="num">
                      <Money fen={l.product.price} />
                    </td>
                    <td>
                      <input
                        type="number"
                        min={0}
                        max={99}
                        aria-label={t('quantity')}
                        value={l.quantity}
                        onChange={(e) => setQuantity(l.product.id, Number(e.target.value))}
                      />
                    </td>
                    <td>
                      <button type="button" className="link" onClick={() => setQuantity(l.product.id, 0)}>
                        {t('remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <div className="card row">
        <div className="total-line">
          {t('total')}: <Money fen={cartTotalFen(lines)} />
        </div>
        <small className="muted">{t('checkout_note')}</small>
        <button type="button" id="checkout" onClick={checkout} disabled={action.busy}>
          {t('checkout')}
        </button>
      </div>
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </>
  );
}
