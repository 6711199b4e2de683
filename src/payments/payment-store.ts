// SQL for the payment row that covers one checkout.
import type { Queryable } from '../shared/db';
import { transition } from '../shared/machine';
import { PAYMENT_MACHINE, type PaymentStatus } from './states';

export type { PaymentStatus } from './states';

export interface PaymentRow {
  id: string;
  buyer_id: string;
  amount: number;
  status: PaymentStatus;
  expires_at: Date;
  succeeded_at: Date | null;
  created_at: Date;
}

export const paymentStore = {
  async insert(q: Queryable, p: PaymentRow): Promise<void> {
    await q.query(
      'INSERT INTO payments (id, buyer_id, amount, status, expires_at, created_at) VALUES ($1,$2,$3,$4,$5,$6)',
      [p.id, p.buyer_id, p.amount, p.status, p.expires_at, p.created_at],
    );
  },
  async get(q: Queryable, id: string, forUpdate = false): Promise<PaymentRow | undefined> {
    return (await q.query<PaymentRow>(`SELECT * FROM payments WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]))
      .rows[0];
  },
  async transition(
    q: Queryable,
    id: string,
    from: PaymentStatus[],
    to: PaymentStatus,
    succeededAt?: Date,
  ): Promise<PaymentRow | undefined> {
    return transition<PaymentStatus, PaymentRow>(
      q,
      PAYMENT_MACHINE,
      id,
      from,
      to,
      succeededAt ? { succeeded_at: succeededAt } : {},
    );
  },
};
