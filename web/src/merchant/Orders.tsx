// The merchant's orders: the list (by status), and one order with ship, refund, and the buyer's refund requests.
import { useState, type FormEvent } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import { fenToYuanText, parseYuan } from '../shared/money';
import { Link } from '../shared/router';
import type { Order, OrderStatus, Refund, RefundRequest } from '../shared/types';
import { Badge, ErrorNote, Money, Show, useAction, useResource, useTime } from '../shared/ui';
import { merchant } from './messages';
import { useSession } from './session';

const STATUSES: OrderStatus[] = ['pending_payment', 'paid', 'shipped', 'completed', 'closed'];

export function OrdersPage() {
  const t = useT(merchant);
  const time = useTime();
  const { api } = useSession();
  const [status, setStatus] = useState('');
  const res = useResource(() => listAll<Order>(api, `/v1/orders${status ? `?status=${status}` : ''}`), [status]);
  return (
    <>
      <h1>{t('orders')}</h1>
      <select aria-label={t('status')} value={status} onChange={(e) => setStatus(e.target.value)}>
        <option value="">{t('all_statuses')}</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {t(`order_${s}`)}
          </option>
        ))}
      </select>
      <Show res={res}>
        {(orders) => (
          <div className="table-wrap">
            <table className="orders">
              <tbody>
                {orders.map((o) => (
                  <tr key={o.id} data-order-id={o.id}>
                    <td>
                      <Link to={`/merchant/orders/${o.id}`}>{o.id}</Link>
                      <br />
                      <small>{o.items.map((i) => `${i.name} × ${i.quantity}`).join('、')}</small>
                    </td>
                    <td>{time(o.created_at)}</td>
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
            {orders.length === 0 && <p className="muted">{t('empty')}</p>}
          </div>
        )}
      </Show>
    </>
  );
}

function RefundForm({ order, onDone }: { order: Order; onDone(): void }) {
  const t = useT(merchant);
  const { api } = useSession();
  const remaining = order.amount - order.refunded_amount;
  const [amount, setAmount] = useState(fenToYuanText(remaining));
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fen = parseYuan(amount);
    const bad = fen === null || fen <= 0 || fen > remaining;
    setInvalid(bad);
    if (bad) return;
    void action.run(async () => {
      await api.post(`/v1/orders/${order.id}/refunds`, {
        amount: fen,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onDone();
    });
  };
  return (
    <form className="row refund-form" onSubmit={submit}>
      <label>
        {t('refund_amount')}
        <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <label>
        {t('refund_reason')}
        <input name="reason" value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        {t('refund')}
      </button>
      {invalid && <p className="notice error">{t('invalid_amount')}</p>}
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

function RequestRow({ request, onDone }: { request: RefundRequest; onDone(): void }) {
  const t = useT(merchant);
  const { api } = useSession();
  const action = useAction();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const approve = () =>
    action.run(async () => {
      await api.post(`/v1/refund-requests/${request.id}/approve`);
      onDone();
    });
  const decline = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api.post(`/v1/refund-requests/${request.id}/decline`, { reason: reason.trim() });
      onDone();
    });
  };
  return (
    <li data-request-id={request.id} data-status={request.status}>
      <Money fen={request.amount} /> · {request.reason} ·{' '}
      <Badge kind={request.status}>{t(`rr_${request.status}`)}</Badge>
      {request.decline_reason && ` · ${request.decline_reason}`}
      {request.status === 'open' && (
        <div className="row">
          <button type="button" className="small approve" disabled={action.busy} onClick={() => void approve()}>
            {t('approve')}
          </button>
          {declining ? (
            <form className="row" onSubmit={decline}>
              <input
                aria-label={t('decline_reason')}
                value={reason}
                maxLength={200}
                onChange={(e) => setReason(e.target.value)}
                required
              />
              <button type="submit" className="small secondary" disabled={action.busy}>
                {t('decline')}
              </button>
            </form>
          ) : (
            <button type="button" className="small secondary" onClick={() => setDeclining(true)}>
              {t('decline')}
            </button>
          )}
        </div>
      )}
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </li>
  );
}

export function OrderPage({ orderId }: { orderId: string }) {
  const t = useT(merchant);
  const time = useTime();
  const { api } = useSession();
  const res = useResource(async () => {
    const id = encodeURIComponent(orderId);
    const [order, refunds, requests] = await Promise.all([
      api.get<Order>(`/v1/orders/${id}`),
      api.get<{ data: Refund[] }>(`/v1/orders/${id}/refunds`),
      api.get<{ data: RefundRequest[] }>(`/v1/orders/${id}/refund-requests`),
    ]);
    return { order, refunds: refunds.data, requests: requests.data };
  }, [orderId]);
  const ship = useAction();
  return (
    <Show res={res}>
      {({ order, refunds, requests }) => (
        <>
          <h1>
            {t('order')} <code>{order.id}</code> <Badge kind={order.status}>{t(`order_${order.status}`)}</Badge>
          </h1>
          <div className="card">
            <ul>
              {order.items.map((i) => (
                <li key={i.product_id}>
                  {i.name} × {i.quantity} · <Money fen={i.unit_price} />
                </li>
              ))}
            </ul>
            <p>
              {t('total')}: <Money fen={order.amount} /> · {t('refunded')}: <Money fen={order.refunded_amount} />
            </p>
            <small className="muted">{time(order.created_at)}</small>
          </div>
          {order.status === 'paid' && (
            <button
              type="button"
              id="ship"
              disabled={ship.busy}
              onClick={() =>
                void ship.run(async () => {
                  await api.post(`/v1/orders/${order.id}/ship`);
                  res.reload();
                })
              }
            >
              {t('ship')}
            </button>
          )}
          {ship.error !== undefined && <ErrorNote error={ship.error} />}
          {requests.length > 0 && (
            <section className="card">
              <h2>{t('refund_requests')}</h2>
              <ul className="refund-requests">
                {requests.map((r) => (
                  <RequestRow key={`${r.id}:${r.status}`} request={r} onDone={res.reload} />
                ))}
              </ul>
            </section>
          )}
          {['paid', 'shipped', 'completed'].includes(order.status) && order.refunded_amount < order.amount && (
            <section className="card">
              <h2>{t('refund')}</h2>
              <RefundForm order={order} onDone={res.reload} />
            </section>
          )}
          {refunds.length > 0 && (
            <section>
              <h2>{t('refunds')}</h2>
              <ul className="refunds">
                {refunds.map((r) => (
                  <li key={r.id} data-status={r.status}>
                    <Money fen={r.amount} /> · <Badge kind={r.status}>{t(`refund_${r.status}`)}</Badge> ·{' '}
                    {time(r.created_at)} {r.reason && `· ${r.reason}`}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </Show>
  );
}
