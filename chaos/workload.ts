// The chaos clients: N checkouts from C concurrent clients over both providers — multi-merchant carts, double
// payments, partial refunds, refund requests, ship and confirm — every write sent with an Idempotency-Key and
// retried with the same key while Hutong's processes die under it. What each client saw is recorded for the checks.
import { Retries, call, codeOf, sleep, type Answer } from './http';

export type Method = 'alipay' | 'wechatpay';
export const METHODS: Method[] = ['alipay', 'wechatpay'];

export interface Market {
  opsKey: string;
  /** The storefront's publishable key: guest buyers sign up with it. */
  publishableKey: string;
  merchants: Array<{ id: string; key: string }>;
  products: Array<{ id: string; merchantId: string; price: number }>;
}

export interface Endpoints {
  /** Hutong's API origins that are meant to be serving (clients pick one per request). */
  api(): string[];
  /** Where the sandbox wallet of each provider answers (its own server, or Hutong's process). */
  sandbox(method: Method): string;
  sandboxAdminHeaders: Record<string, string>;
}

export interface CheckoutRecord {
  index: number;
  buyerKey: string;
  paymentId: string;
  amount: number;
  orders: Array<{ id: string; merchantId: string; amount: number }>;
  /** Attempts the sandbox wallet paid (HTTP 200 from the wallet). */
  walletPaid: Array<{ attemptId: string; method: Method }>;
  doublePayment: boolean;
  /** Refunds Hutong accepted, by the Idempotency-Key that created them: key → refund id (always the same id). */
  refunds: Map<string, string>;
  refundRequestsApproved: number;
  confirmed: number;
  problems: string[];
}

export interface WorkloadStats {
  checkouts: number;
  paid: number;
  multiMerchant: number;
  doublePayments: number;
  refunds: number;
  refundRequests: number;
  confirmed: number;
  replayChecks: number;
  failures: string[];
}

const PAID_WAIT_MS_MAX = 120_000;
const FAILURES_LISTED_MAX = 20;

function pick<T>(list: T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

function walletBody(action: { type: string; code_url?: string; url?: string; params?: Record<string, string> }) {
  if (action.type === 'qr') return { code_url: action.code_url };
  if (action.type === 'redirect') return { url: action.url };
  return { prepay_id: action.params!.package!.replace('prepay_id=', '') };
}

export class Workload {
  readonly records: CheckoutRecord[] = [];
  readonly retries = new Retries();
  readonly stats: WorkloadStats = {
    checkouts: 0,
    paid: 0,
    multiMerchant: 0,
    doublePayments: 0,
    refunds: 0,
    refundRequests: 0,
    confirmed: 0,
    replayChecks: 0,
    failures: [],
  };

  constructor(
    private readonly market: Market,
    private readonly endpoints: Endpoints,
    private readonly runId: string,
  ) {}

  private send(
    method: string,
    path: string,
    opts: { key?: string; body?: unknown; idem?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = opts.idem ? { 'idempotency-key': `${this.runId}-${opts.idem}` } : {};
    return this.retries.send(() => this.endpoints.api(), method, path, { key: opts.key, body: opts.body, headers });
  }

  private expect(answer: Answer, status: number, what: string): any {
    if (answer.status !== status)
      throw new Error(`${what}: ${answer.status} ${codeOf(answer) ?? JSON.stringify(answer.body).slice(0, 200)}`);
    return answer.body;
  }

  /** Runs `count` checkouts from `clients` loops; bounded by count and by `deadline` (epoch ms). */
  async run(count: number, clients: number, deadline: number): Promise<void> {
    let next = 0;
    const loop = async () => {
      for (;;) {
        const i = next++;
        if (i >= count || Date.now() > deadline) return;
        try {
          await this.checkout(i);
        } catch (err) {
          if (this.stats.failures.length < FAILURES_LISTED_MAX)
            this.stats.failures.push(`checkout ${i}: ${String((err as Error).message ?? err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, loop));
  }

  private async checkout(i: number): Promise<void> {
    const buyer = this.expect(
      await this.send('POST', '/v1/buyers', { key: this.market.publishableKey, body: { name: `Chaos buyer ${i}` } }),
      201,
      'buyer',
    );
    const merchantCount = Math.random() < 0.35 ? 2 : 1;
    const merchants = [...this.market.merchants].sort(() => Math.random() - 0.5).slice(0, merchantCount);
    const items = merchants.map((m) => ({
      product_id: pick(this.market.products.filter((p) => p.merchantId === m.id)).id,
      quantity: 1 + Math.floor(Math.random() * 2),
    }));
    const co = this.expect(
      await this.send('POST', '/v1/orders', { key: buyer.key, body: { items }, idem: `co-${i}` }),
      201,
      'checkout',
    );
    const record: CheckoutRecord = {
      index: i,
      buyerKey: buyer.key,
      paymentId: co.payment.id,
      amount: co.payment.amount,
      orders: co.orders.map((o: { id: string; merchant_id: string; amount: number }) => ({
        id: o.id,
        merchantId: o.merchant_id,
        amount: o.amount,
      })),
      walletPaid: [],
      doublePayment: false,
      refunds: new Map(),
      refundRequestsApproved: 0,
      confirmed: 0,
      problems: [],
    };
    this.records.push(record);
    this.stats.checkouts++;
    if (merchantCount > 1) this.stats.multiMerchant++;

    const first = pick(METHODS);
    if (Math.random() < 0.1) {
      // A double payment: both attempts opened, then both paid at once — the buyer's two devices.
      record.doublePayment = true;
      this.stats.doublePayments++;
      const attempts = [
        await this.openAttempt(record, first, 1),
        await this.openAttempt(record, first === 'alipay' ? 'wechatpay' : 'alipay', 2),
      ];
      await Promise.all(attempts.map((a) => a && this.pay(record, a)));
    } else {
      const attempt = await this.openAttempt(record, first, 1);
      if (attempt) await this.pay(record, attempt);
    }
    if (record.walletPaid.length === 0) return;
    this.stats.paid++;
    if (!(await this.paid(record))) return; // the end checks look at it again once things settle

    const r = Math.random();
    if (r < 0.2) await this.partialRefund(record, i);
    else if (r < 0.3) await this.refundRequest(record, i);
    else if (r < 0.5) await this.shipAndConfirm(record, i);
  }

  private async openAttempt(
    record: CheckoutRecord,
    method: Method,
    n: number,
  ): Promise<{ id: string; method: Method; action: any } | undefined> {
    const attempt = await this.send('POST', `/v1/payments/${record.paymentId}/attempts`, {
      key: record.buyerKey,
      body: { method, scene: 'qr' },
      idem: `att-${record.index}-${n}`,
    });
    if (attempt.status !== 201) {
      record.problems.push(`attempt ${method}: ${attempt.status} ${codeOf(attempt)}`);
      return undefined;
    }
    return { id: attempt.body.id, method, action: attempt.body.action };
  }

  private async pay(record: CheckoutRecord, attempt: { id: string; method: Method; action: any }): Promise<void> {
    const sandbox = () => [this.endpoints.sandbox(attempt.method)];
    const paid = await this.retries.send(sandbox, 'POST', `/sandbox/${attempt.method}/wallet/pay`, {
      body: walletBody(attempt.action),
      headers: this.endpoints.sandboxAdminHeaders,
    });
    if (paid.status === 200) record.walletPaid.push({ attemptId: attempt.id, method: attempt.method });
  }

  private async paid(record: CheckoutRecord): Promise<boolean> {
    const deadline = Date.now() + PAID_WAIT_MS_MAX;
    while (Date.now() < deadline) {
      const view = await this.send('GET', `/v1/payments/${record.paymentId}`, { key: record.buyerKey });
      if (view.status === 200 && view.body.status === 'succeeded') return true;
      await sleep(500);
    }
    return false;
  }

  private async partialRefund(record: CheckoutRecord, i: number): Promise<void> {
    const merchantOf = (id: string) => this.market.merchants.find((m) => m.id === id)!;
    const order = pick(record.orders);
    const amount = Math.max(1, Math.floor(order.amount * (0.1 + Math.random() * 0.4)));
    const key = `rf-${i}`;
    const refund = this.expect(
      await this.send('POST', `/v1/orders/${order.id}/refunds`, {
        key: merchantOf(order.merchantId).key,
        body: { amount },
        idem: key,
      }),
      201,
      'refund',
    );
    record.refunds.set(key, refund.id);
    this.stats.refunds++;
    if (Math.random() < 0.3) {
      // The client never saw the answer and sends it again, later: the same refund comes back, no second one.
      const again = await this.send('POST', `/v1/orders/${order.id}/refunds`, {
        key: merchantOf(order.merchantId).key,
        body: { amount },
        idem: key,
      });
      this.stats.replayChecks++;
      if (again.status !== 201 || again.body.id !== refund.id)
        record.problems.push(`refund replay ${key}: ${again.status} ${again.body?.id ?? codeOf(again)} ≠ ${refund.id}`);
    }
  }

  private async refundRequest(record: CheckoutRecord, i: number): Promise<void> {
    const order = pick(record.orders);
    const merchant = this.market.merchants.find((m) => m.id === order.merchantId)!;
    const amount = Math.max(1, Math.floor(order.amount * (0.2 + Math.random() * 0.8)));
    const asked = this.expect(
      await this.send('POST', `/v1/orders/${order.id}/refund-requests`, {
        key: record.buyerKey,
        body: { amount, reason: 'chaos' },
        idem: `rr-${i}`,
      }),
      201,
      'refund request',
    );
    const approved = this.expect(
      await this.send('POST', `/v1/refund-requests/${asked.id}/approve`, { key: merchant.key, idem: `ap-${i}` }),
      200,
      'approve',
    );
    record.refunds.set(`ap-${i}`, approved.refund_id);
    record.refundRequestsApproved++;
    this.stats.refundRequests++;
  }

  private async shipAndConfirm(record: CheckoutRecord, i: number): Promise<void> {
    for (const [n, order] of record.orders.entries()) {
      const merchant = this.market.merchants.find((m) => m.id === order.merchantId)!;
      this.expect(
        await this.send('POST', `/v1/orders/${order.id}/ship`, { key: merchant.key, idem: `sh-${i}-${n}` }),
        200,
        'ship',
      );
      this.expect(
        await this.send('POST', `/v1/orders/${order.id}/confirm-receipt`, {
          key: record.buyerKey,
          idem: `cf-${i}-${n}`,
        }),
        200,
        'confirm',
      );
      record.confirmed++;
      this.stats.confirmed++;
    }
  }
}

export { call };
