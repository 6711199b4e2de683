// The cashier for one payment: the methods (with the reason any is unavailable), the chosen method's action,
// then waiting (polling GET /v1/payments/:id) until it succeeds or expires, and the paid orders.
import { useCallback, useEffect, useRef, useState } from 'react';
import { webEnv, type WebEnv } from '../shared/env';
import { useT } from '../shared/i18n';
import { Link } from '../shared/router';
import type { Attempt, MethodAvailability, MethodName, Order, Payment } from '../shared/types';
import { Badge, ErrorNote, Loading, Money, Show, useAction, useResource, useTime } from '../shared/ui';
import { shop } from './messages';
import { PayAction } from './PayAction';
import { api } from './session';

const POLL_INTERVAL_MS = 1500;

function MethodList({
  methods,
  onPay,
  busy,
}: {
  methods: MethodAvailability[];
  onPay(m: MethodName): void;
  busy: boolean;
}) {
  const t = useT(shop);
  return (
    <ul className="methods">
      {methods.map((m) => (
        <li
          key={m.method}
          className={`method method-${m.method}${m.available ? '' : ' unavailable'}`}
          data-method={m.method}
          data-reason={m.reason ?? ''}
        >
          <div>
            <div className="method-name">{t(`method_${m.method}`)}</div>
            {!m.available && (
              <small className="method-reason">
                {t('unavailable')}
                {m.reason ? t(`reason_${m.reason}`) : ''}
              </small>
            )}
          </div>
          {m.available && (
            <button type="button" className={`pay-${m.method}`} disabled={busy} onClick={() => onPay(m.method)}>
              {t('pay_with', { method: t(`method_${m.method}`) })}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function PaidOrders({ payment }: { payment: Payment }) {
  const t = useT(shop);
  const res = useResource(
    () => Promise.all(payment.order_ids.map((id) => api.get<Order>(`/v1/orders/${id}`))),
    [payment.id],
  );
  return (
    <div className="card paid">
      <h1 className="notice ok">{t('paid_title')}</h1>
      <h2>{t('paid_orders')}</h2>
      <Show res={res}>
        {(orders) => (
          <ul className="paid-orders">
            {orders.map((o) => (
              <li key={o.id} data-order-id={o.id}>
                <Link to={`/shop/orders/${o.id}`}>{o.items.map((i) => i.name).join('、')}</Link> ·{' '}
                <Money fen={o.amount} /> <Badge kind={o.status}>{t(`order_${o.status}`)}</Badge>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </div>
  );
}

/** The attempt the buyer is in the middle of (after a reload or a return from the provider's page). */
function openAttempt(p: Payment): Attempt | null {
  if (p.status !== 'pending') return null;
  return [...p.attempts].reverse().find((a) => a.status === 'pending' && a.action) ?? null;
}

export function CashierPage({ paymentId }: { paymentId: string }) {
  const t = useT(shop);
  const time = useTime();
  const [payment, setPayment] = useState<Payment | null>(null);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [current, setCurrent] = useState<{ attempt: Attempt; fresh: boolean } | null>(null);
  const [env, setEnv] = useState<WebEnv | null>(null);
  const action = useAction();
  const resumed = useRef(false);

  const refresh = useCallback(async () => {
    try {
      const p = await api.get<Payment>(`/v1/payments/${encodeURIComponent(paymentId)}`);
      setPayment(p);
      setLoadError(undefined);
      const open = openAttempt(p);
      // Only the first load resumes an open attempt; afterwards the buyer may have chosen to switch method.
      if (!resumed.current && open) setCurrent({ attempt: open, fresh: false });
      resumed.current = true;
    } catch (err) {
      setLoadError(err);
    }
  }, [paymentId]);

  useEffect(() => {
    void webEnv().then(setEnv);
    void refresh();
  }, [refresh]);

  const waiting = payment?.status === 'pending' || (payment?.status === 'requires_method' && current !== null);
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void refresh(), POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [waiting, refresh]);

  if (!payment) return loadError !== undefined ? <ErrorNote error={loadError} onRetry={refresh} /> : <Loading />;
  if (payment.status === 'succeeded') return <PaidOrders payment={payment} />;

  const pay = (method: MethodName) =>
    action.run(async () => {
      const attempt = await api.post<Attempt>(`/v1/payments/${encodeURIComponent(payment.id)}/attempts`, { method });
      setCurrent({ attempt, fresh: true });
    });

  return (
    <>
      <h1>{t('cashier')}</h1>
      <div className="card">
        <div className="total-line">
          {t('to_pay')}: <Money fen={payment.amount} />{' '}
          <Badge kind={payment.status}>{t(`payment_${payment.status}`)}</Badge>
        </div>
        <small className="muted">
          {t('orders_in_payment', { n: payment.order_ids.length })} ·{' '}
          {t('pay_before', { time: time(payment.expires_at) })}
        </small>
      </div>
      {payment.status === 'expired' ? (
        <p className="notice error">{t('expired_title')}</p>
      ) : current && env ? (
        <div className="card attempt" data-attempt-id={current.attempt.id} data-method={current.attempt.method}>
          <h2>{t(`method_${current.attempt.method}`)}</h2>
          <PayAction attempt={current.attempt} env={env} fresh={current.fresh} />
          <p className="muted waiting">{t('waiting_payment')}</p>
          <button type="button" className="secondary" onClick={() => setCurrent(null)}>
            {t('change_method')}
          </button>
        </div>
      ) : (
        <div className="card">
          <h2>{t('choose_method')}</h2>
          <MethodList methods={payment.methods} onPay={pay} busy={action.busy} />
        </div>
      )}
      {action.error !== undefined && <ErrorNote error={action.error} />}
      {loadError !== undefined && <ErrorNote error={loadError} />}
    </>
  );
}
