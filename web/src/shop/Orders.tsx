// The buyer's orders: the list, and one order with its actions (pay, cancel, confirm receipt, ask for a refund).
import { useState, type FormEvent } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import { fenToYuanText, parseYuan } from '../shared/money';
import { Link, navigate } from '../shared/router';
import type { Order, RefundRequest } from '../shared/types';
import { Badge, ErrorNote, Money, Show, useAction, useResource, useTime } from '../shared/ui';
import { useShopName } from './Catalog';
import { shop } from './messages';
import { api } from './session';

export function OrdersPage() {
  const t = useT(shop);
  const time = useTime();
  const name = useShopName();
  const res = useResource(() => listAll<Order>(api, '/v1/orders'), []);
  return (
    <>
      <h1>{t('orders')}</h1>
      <Show res={res}>
        {(orders) =>
          orders.length === 0 ? (
            <p className="muted">{t('no_orders')}</p>
          ) : (
            <div className="table-wrap">
              <table>
                <tbody>
                  {orders.map((o) => (
                    <tr key={o.id} data-order-id={o.id}>
                      <td>
                        <Link to={`/shop/orders/${o.id}`}>{o.items.map((i) => i.name).join('、')}</Link>
                        <br />
                        <small>
                          {name(o.merchant_id)} · {time(o.created_at)}
                        </small>
                      </td>
                      <td className="num">
                        <Money fen={o.amount} />
                      </td>
                      <td>
                        <Badge kind={o.status}>{t(`order_${o.status}`)}</Badge>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}

function RefundRequestForm({ order, onDone }: { order: Order; onDone(): void }) {
  const t = useT(shop);
  const remaining = order.amount - order.refunded_amount;
  const [amount, setAmount] = useState(fenToYuanText(remaining));
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fen = parseYuan(amount);
    setInvalid(fen === null || fen <= 0 || fen > remaining);
    if (fen === null || fen <= 0 || fen > remaining) return;
    void action.run(async () => {
      await api.post(`/v1/orders/${order.id}/refund-requests`, { amount: fen, reason: reason.trim() });
      onDone();
    });
  };
  return (
    <form className="row refund-request" onSubmit={submit}>
      <label>
        {t('refund_amount')}
        <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <label>
        {t('refund_reason')}
        <input name="reason" value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} required />
      </label>
      <button type="submit" disabled={action.busy}>
        {t('refund_request')}
      </button>
      {invalid && <p className="notice error">{t('invalid_amount')}</p>}
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

export function OrderPage({ orderId }: { orderId: string }) {
  const t = useT(shop);
  const time = useTime();
  const name = useShopName();
  const res = useResource(async () => {
    const order = await api.get<Order>(`/v1/orders/${encodeURIComponent(orderId)}`);
    const requests = (
      await api.get<{ data: RefundRequest[] }>(`/v1/orders/${encodeURIComponent(orderId)}/refund-requests`)
    ).data;
    return { order, requests };
  }, [orderId]);
  const action = useAction();
  const act = (path: string, question?: string) => {
    if (question && !window.confirm(question)) return;
    void action.run(async () => {
      await api.post(`/v1/orders/${orderId}/${path}`);
      res.reload();
    });
  };
  return (
    <Show res={res}>
      {({ order, requests }) => {
        const refundable =
          ['paid', 'shipped', 'completed'].includes(order.status) && order.refunded_amount < order.amount;
        const openRequest = requests.some((r) => r.status === 'open');
        return (
          <>
            <h1>
              {t('order')} <code>{order.id}</code> <Badge kind={order.status}>{t(`order_${order.status}`)}</Badge>
            </h1>
            <div className="card">
              <p>{name(order.merchant_id)}</p>
              <ul>
                {order.items.map((i) => (
                  <li key={i.product_id}>
                    {i.name} × {i.quantity} · <Money fen={i.unit_price} />
                  </li>
                ))}
              </ul>
              <p>
                {t('total')}: <Money fen={order.amount} />
                {order.refunded_amount > 0 && (
                  <>
                    {' '}
                    · {t('refunded')}: <Money fen={order.refunded_amount} />
                  </>
                )}
              </p>
              <small className="muted">
                {t('paid_at')}: {time(order.paid_at)} · {t('shipped_at')}: {time(order.shipped_at)}
                {order.auto_confirm_at && ` · ${t('auto_confirm_at')}: ${time(order.auto_confirm_at)}`}
              </small>
            </div>
            <div className="row">
              {order.status === 'pending_payment' && (
                <>
                  <button type="button" onClick={() => navigate(`/shop/payments/${order.payment_id}`)}>
                    {t('go_pay')}
                  </button>
                  <button type="button" className="secondary" disabled={action.busy} onClick={() => act('cancel')}>
                    {t('cancel_order')}
                  </button>
                </>
              )}
              {order.status === 'shipped' && (
                <button
                  type="button"
                  id="confirm-receipt"
                  disabled={action.busy}
                  onClick={() => act('confirm-receipt', t('confirm_receipt_ask'))}
                >
                  {t('confirm_receipt')}
                </button>
              )}
            </div>
            {action.error !== undefined && <ErrorNote error={action.error} />}
            {requests.length > 0 && (
              <section>
                <h2>{t('refund_requests')}</h2>
                <ul className="refund-requests">
                  {requests.map((r) => (
                    <li key={r.id} data-status={r.status}>
                      <Money fen={r.amount} /> · {r.reason} · <Badge kind={r.status}>{t(`rr_${r.status}`)}</Badge>
                      {r.decline_reason && ` · ${r.decline_reason}`}
                    </li>
                  ))}
                </ul>
              </section>
            )}
            {refundable && !openRequest && (
              <section className="card">
                <h2>{t('refund_request')}</h2>
                <RefundRequestForm order={order} onDone={res.reload} />
              </section>
            )}
            {openRequest && <p className="notice">{t('refund_requested')}</p>}
          </>
        );
      }}
    </Show>
  );
}
