// Answer bodies of the sharing APIs. Sharing is asynchronous at the gateway: a fresh request is answered as
// accepted (PROCESSING / PENDING); queries show the outcome (FINISHED / SUCCESS). The money moves at once.
import type { ReturnRow } from './returns';
import type { ShareOrder, ShareReceiverRow } from './sharing';
import { rfc3339 } from './time';

const UNFREEZE_DESCRIPTION = '解冻给分账方';

function ecommerceReceiver(r: ShareReceiverRow, finishMs: number): Record<string, unknown> {
  return {
    ...(r.type === 'MERCHANT_ID' ? { receiver_mchid: r.account } : {}),
    amount: r.amount,
    description: r.description,
    result: 'SUCCESS',
    finish_time: rfc3339(finishMs),
    type: r.type,
    receiver_account: r.account,
  };
}

/** `POST /v3/ecommerce/profitsharing/orders` and `…/finish-order` answer only the ids. */
export function ecommerceShareAcceptedJson({ order }: ShareOrder): Record<string, unknown> {
  return {
    sub_mchid: order.sub_mchid,
    transaction_id: order.transaction_id,
    out_order_no: order.out_order_no,
    order_id: order.order_id,
  };
}

export function ecommerceShareQueryJson({ order, receivers }: ShareOrder): Record<string, unknown> {
  const finished = order.kind !== 'share' || order.unfrozen > 0;
  return {
    ...ecommerceShareAcceptedJson({ order, receivers }),
    status: 'FINISHED',
    receivers: receivers.map((r) => ecommerceReceiver(r, order.created_ms)),
    ...(finished
      ? { finish_amount: order.unfrozen, finish_description: order.kind === 'share' ? '分账完结' : order.description }
      : {}),
  };
}

/** The service-provider body (`state`, per-receiver `result`), with the unfreeze shown as a receiver entry. */
export function serviceProviderShareJson({ order, receivers }: ShareOrder, fresh: boolean): Record<string, unknown> {
  const entries = receivers.map((r) => ({
    amount: r.amount,
    description: r.description,
    type: r.type,
    account: r.account,
    detail_id: r.detail_id,
  }));
  if (order.unfrozen > 0 || order.kind !== 'share') {
    entries.push({
      amount: order.unfrozen,
      description: UNFREEZE_DESCRIPTION,
      type: 'MERCHANT_ID',
      account: order.sub_mchid,
      detail_id: `36${order.order_id.slice(2)}`,
    });
  }
  return {
    sub_mchid: order.sub_mchid,
    transaction_id: order.transaction_id,
    out_order_no: order.out_order_no,
    order_id: order.order_id,
    state: fresh ? 'PROCESSING' : 'FINISHED',
    receivers: entries.map((e) => ({
      ...e,
      result: fresh ? 'PENDING' : 'SUCCESS',
      create_time: rfc3339(order.created_ms),
      ...(fresh ? {} : { finish_time: rfc3339(order.created_ms) }),
    })),
  };
}

export function ecommerceReturnJson(r: ReturnRow, fresh: boolean): Record<string, unknown> {
  return {
    sub_mchid: r.sub_mchid,
    order_id: r.order_id,
    out_order_no: r.out_order_no,
    out_return_no: r.out_return_no,
    return_mchid: r.return_mchid,
    amount: r.amount,
    return_no: r.return_no,
    result: fresh ? 'PROCESSING' : 'SUCCESS',
    ...(fresh ? {} : { finish_time: rfc3339(r.created_ms) }),
  };
}

export function serviceProviderReturnJson(r: ReturnRow, fresh: boolean): Record<string, unknown> {
  return {
    sub_mchid: r.sub_mchid,
    order_id: r.order_id,
    out_order_no: r.out_order_no,
    out_return_no: r.out_return_no,
    return_id: r.return_no,
    return_mchid: r.return_mchid,
    amount: r.amount,
    description: r.description,
    result: fresh ? 'PROCESSING' : 'SUCCESS',
    create_time: rfc3339(r.created_ms),
    ...(fresh ? {} : { finish_time: rfc3339(r.created_ms) }),
  };
}
