// Both sides of a reconciliation as comparable lines: the provider's bill lines, and the lines the ledger's
// events should appear as in those bills (a release shows as the commission's share line and the rest's unfreeze
// line; a refund as one refund line; a payment as one payment line with its fee).
import type { BillLine, ProviderName } from '../providers/types';
import type { SharingBillLine } from '../providers/types';
import type { RefundStatus } from '../payments/states';
import { BUYERS_ACCOUNT, availableAccount, commissionAccount, feesAccount } from './accounts';
import type { LedgerEvent } from './reconciliation-store';
import type { HutongRef, LedgerLine, LineStatus, ProviderLine } from './reconciliation-match';

export const paymentKey = (subMerchantId: string, transactionId: string) => `payment|${subMerchantId}|${transactionId}`;
export const refundKey = (outRefundNo: string) => `refund|${outRefundNo}`;
export const sharingKey = (outOrderNo: string, receiver: string) => `sharing|${outOrderNo}|${receiver}`;

/** WeChat Pay writes SUCCESS / PROCESSING / CLOSED / ABNORMAL, Alipay REFUND_SUCCESS (it lists nothing else). */
function refundLineStatus(text: string | undefined): LineStatus {
  switch (text) {
    case undefined:
    case 'SUCCESS':
    case 'REFUND_SUCCESS':
      return 'succeeded';
    case 'PROCESSING':
      return 'processing';
    case 'CLOSED':
      return 'closed';
    default:
      return 'abnormal'; // ABNORMAL, or a status this reader does not know: never taken for a success
  }
}

function sharingLineStatus(text: string): LineStatus {
  if (text === '' || text === 'SUCCESS' || text === 'FINISHED') return 'succeeded';
  if (text === 'PROCESSING' || text === 'PENDING') return 'processing';
  return 'closed';
}

export function fromTradeBill(line: BillLine): ProviderLine {
  const ref = {
    sub_merchant_id: line.subMerchantId,
    transaction_id: line.transactionId,
    out_trade_no: line.outTradeNo,
  };
  if (line.kind === 'payment') {
    return {
      bill: 'trade',
      kind: 'payment',
      key: paymentKey(line.subMerchantId, line.transactionId),
      amount: line.amountFen,
      fee: line.feeFen,
      status: 'succeeded',
      occurredAt: line.occurredAt,
      ref,
    };
  }
  const outRefundNo = line.outRefundNo ?? '';
  return {
    bill: 'trade',
    kind: 'refund',
    key: refundKey(outRefundNo),
    amount: line.amountFen,
    fee: line.feeFen,
    status: refundLineStatus(line.refundStatus),
    occurredAt: line.occurredAt,
    ref: { ...ref, out_refund_no: outRefundNo },
  };
}

export function fromSharingBill(line: SharingBillLine): ProviderLine {
  return {
    bill: 'profit_sharing',
    kind: line.kind,
    key: sharingKey(line.outOrderNo, line.receiverAccount),
    amount: line.amountFen,
    status: sharingLineStatus(line.status),
    occurredAt: line.occurredAt,
    ref: { transaction_id: line.transactionId, out_order_no: line.outOrderNo, receiver: line.receiverAccount },
  };
}

/** What the payments module knows about the provider orders, refunds and releases the events name. */
export interface LedgerFacts {
  provider: ProviderName;
  /** The bill's cut-off: a refund's status is Hutong's as of then. */
  cutoff: Date;
  /** Profit-sharing receiver of the platform's commission (WeChat Pay); undefined when the provider has no such bill. */
  platformReceiver: string | undefined;
  /** WeChat Pay's trade bill lists refunds in every status; Alipay's only successful ones. */
  listsFailedRefunds: boolean;
  paid: Map<string, { subMerchantId: string; transactionId: string }>;
  refunds: Map<string, { status: RefundStatus; updatedAt: Date }>;
  releases: Map<string, { outOrderNo: string; subMerchantId: string }>;
}

function amountIn(e: LedgerEvent, account: string): number {
  return e.postings.reduce((s, p) => s + (p.account === account ? p.amount : 0), 0);
}

function hutongRef(e: LedgerEvent): HutongRef {
  return {
    entry_id: e.id,
    idempotency_key: e.idempotency_key,
    order_id: e.order_id,
    merchant_id: e.merchant_id,
    out_trade_no: e.trade_ref,
  };
}

/** Final statuses count from the moment the refund reached them; before that it was processing. */
function refundStatusAt(refund: { status: RefundStatus; updatedAt: Date } | undefined, cutoff: Date): LineStatus {
  if (!refund || refund.updatedAt >= cutoff) return 'processing';
  const s = refund.status;
  return s === 'succeeded' || s === 'closed' || s === 'abnormal' ? s : 'processing';
}

/** The bill lines each ledger event should appear as (refunds closed back and other postings: none). */
export function ledgerLines(events: LedgerEvent[], facts: LedgerFacts): LedgerLine[] {
  return events.flatMap((e) => linesOf(e, facts));
}

function linesOf(e: LedgerEvent, f: LedgerFacts): LedgerLine[] {
  const [verb, id = '', phase] = e.idempotency_key.split(':');
  const base = { ref: hutongRef(e), occurredAt: e.occurred_at, status: 'succeeded' as LineStatus, listed: true };
  const trade = f.paid.get(e.trade_ref ?? '');
  const sub = trade?.subMerchantId ?? '';
  if (verb === 'paid') {
    const providerRef = { sub_merchant_id: sub, transaction_id: trade?.transactionId ?? '', out_trade_no: id };
    return [
      {
        ...base,
        bill: 'trade',
        kind: 'payment',
        key: paymentKey(sub, trade?.transactionId ?? `?${id}`),
        amount: -amountIn(e, BUYERS_ACCOUNT),
        fee: amountIn(e, feesAccount(f.provider)),
        providerRef,
      },
    ];
  }
  if (verb === 'refund' && phase === 'out') {
    const status = refundStatusAt(f.refunds.get(id), f.cutoff);
    const providerRef = {
      sub_merchant_id: sub,
      transaction_id: trade?.transactionId ?? '',
      out_trade_no: e.trade_ref ?? '',
      out_refund_no: id,
    };
    return [
      {
        ...base,
        bill: 'trade',
        kind: 'refund',
        key: refundKey(id),
        amount: amountIn(e, BUYERS_ACCOUNT),
        fee: -amountIn(e, feesAccount(f.provider)),
        status,
        listed: f.listsFailedRefunds || status === 'succeeded',
        providerRef,
      },
    ];
  }
  if (f.platformReceiver === undefined || !e.merchant_id) return [];
  const sharing = (kind: LedgerLine['kind'], outOrderNo: string, receiver: string, amount: number): LedgerLine[] =>
    amount === 0
      ? []
      : [
          {
            ...base,
            bill: 'profit_sharing',
            kind,
            key: sharingKey(outOrderNo, receiver),
            amount,
            providerRef: { transaction_id: trade?.transactionId ?? '', out_order_no: outOrderNo, receiver },
          },
        ];
  const available = amountIn(e, availableAccount(f.provider, e.merchant_id));
  switch (verb) {
    case 'release': {
      const release = f.releases.get(e.order_id ?? '');
      const outOrderNo = release?.outOrderNo ?? `?${e.order_id}`;
      return [
        ...sharing('share', outOrderNo, f.platformReceiver, amountIn(e, commissionAccount(f.provider))),
        ...sharing('unfreeze', outOrderNo, release?.subMerchantId ?? sub, available),
      ];
    }
    case 'unfreeze':
      return sharing('unfreeze', id, sub, available);
    case 'return':
      return sharing('return', id, f.platformReceiver, -amountIn(e, commissionAccount(f.provider)));
    default:
      return [];
  }
}
