// The simulated WeChat wallet page (zh/en): what a buyer sees after scanning a code_url or opening an H5 URL —
// the merchant(s), the amount, Pay / Cancel. Pay posts to /wallet/pay; H5 returns to redirect_url afterwards.
import { all, type Tx } from './db';
import { yuan } from './money';
import type { PayableRow } from './trades';
import { escapeHtml as esc, scriptJson } from '../guard';

export interface PayableView {
  state: 'NOTPAY' | 'PAID' | 'CLOSED';
  totalFen: number;
  lines: { subMchid: string; name: string; description: string; amountFen: number }[];
}

export async function describePayable(tx: Tx, payable: PayableRow, nowMs: number): Promise<PayableView> {
  const rows = await all<{
    sub_mchid: string;
    name: string;
    description: string;
    total: number;
    state: string;
    time_expire_ms: number;
  }>(
    tx,
    `select t.sub_mchid, s.name, t.description, t.total, t.state, t.time_expire_ms
       from wx_trades t join wx_sub_merchants s on s.sub_mchid = t.sub_mchid where t.prepay_id = $1 order by t.seq`,
    [payable.prepay_id],
  );
  const paid = rows.some((r) => r.state === 'SUCCESS' || r.state === 'REFUND');
  const closed = rows.some((r) => r.state === 'CLOSED' || (r.state !== 'SUCCESS' && r.time_expire_ms <= nowMs));
  return {
    state: paid ? 'PAID' : closed ? 'CLOSED' : 'NOTPAY',
    totalFen: rows.reduce((s, r) => s + r.total, 0),
    lines: rows.map((r) => ({ subMchid: r.sub_mchid, name: r.name, description: r.description, amountFen: r.total })),
  };
}

const TEXT = {
  zh: {
    title: '微信支付',
    pay: '立即支付',
    cancel: '取消',
    paid: '已支付',
    closed: '订单已关闭',
    total: '合计',
    done: '支付成功',
    failed: '支付失败',
  },
  en: {
    title: 'WeChat Pay',
    pay: 'Pay',
    cancel: 'Cancel',
    paid: 'Already paid',
    closed: 'Order closed',
    total: 'Total',
    done: 'Paid',
    failed: 'Payment failed',
  },
};

export type Lang = keyof typeof TEXT;

const STYLE = `body{font-family:system-ui,sans-serif;background:#ededed;margin:0}main{max-width:420px;margin:24px auto;background:#fff;border-radius:12px;padding:24px}
h1{font-size:18px;color:#07c160}ul{list-style:none;padding:0}li{display:flex;justify-content:space-between;padding:8px 0;border-bottom:1px solid #eee}
small{display:block;color:#999}.total{font-size:28px;text-align:center;margin:16px 0}button{width:100%;padding:12px;margin-top:8px;border:0;border-radius:8px;background:#07c160;color:#fff;font-size:16px}
button.ghost{background:#f2f2f2;color:#333}.status{text-align:center;color:#666}`;

/**
 * The page's values travel in a JSON data element (never spliced into script text); the one script carries the
 * reply's nonce and follows the redirect only when it is an http(s) URL (the server has already checked its host).
 */
export function walletPage(
  view: PayableView,
  opts: { lang: Lang; nonce: string; payUrl: string; handle: Record<string, string>; redirectUrl?: string },
): string {
  const t = TEXT[opts.lang];
  const items = view.lines
    .map(
      (l) =>
        `<li><span>${esc(l.name)} · ${esc(l.description)}<small>${esc(l.subMchid)}</small></span><b>¥${yuan(l.amountFen)}</b></li>`,
    )
    .join('');
  const status = view.state === 'PAID' ? t.paid : view.state === 'CLOSED' ? t.closed : '';
  const buttons =
    view.state === 'NOTPAY'
      ? `<button id="pay">${t.pay}</button><button id="cancel" class="ghost">${t.cancel}</button>`
      : `<p class="status">${status}</p>`;
  return `<!doctype html><html lang="${opts.lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${t.title}</title>
<style>${STYLE}</style></head>
<body><main><h1>${t.title}</h1><ul>${items}</ul><p class="total">${t.total} ¥${yuan(view.totalFen)}</p>${buttons}<p id="result" class="status"></p></main>
<script type="application/json" id="wallet-data">${scriptJson({
    handle: opts.handle,
    redirect: opts.redirectUrl ?? null,
    payUrl: opts.payUrl,
    done: t.done,
    failed: t.failed,
  })}</script>
<script nonce="${esc(opts.nonce)}">
const data = JSON.parse(document.getElementById('wallet-data').textContent);
const done = () => { if (typeof data.redirect === 'string' && /^https?:[/][/]/i.test(data.redirect)) location.href = data.redirect; };
const pay = document.getElementById('pay'); const cancel = document.getElementById('cancel');
if (pay) pay.onclick = async () => {
  const res = await fetch(data.payUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data.handle) });
  document.getElementById('result').textContent = res.ok ? data.done : data.failed;
  pay.remove(); if (cancel) cancel.remove(); setTimeout(done, 800);
};
if (cancel) cancel.onclick = done;
</script></body></html>`;
}

/** A refusal the buyer can read: no script, no link. */
export function errorPage(lang: Lang, code: string, message: string): string {
  const t = TEXT[lang];
  return `<!doctype html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${t.title}</title><style>${STYLE}</style></head>
<body><main><h1>${t.title}</h1><p class="status">${lang === 'zh' ? '无法打开此支付页面' : 'This payment page cannot be opened'}</p>
<p><code>${esc(code)}</code></p><p>${esc(message)}</p></main></body></html>`;
}

export function signedPage(applymentId: string, lang: Lang): string {
  const text =
    lang === 'zh'
      ? `申请单 ${esc(applymentId)}：沙箱已自动完成签约。`
      : `Application ${esc(applymentId)}: the sandbox signs automatically.`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>WeChat Pay</title></head><body><p>${text}</p></body></html>`;
}
