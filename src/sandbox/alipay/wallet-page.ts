// The simulated wallet's cashier page: plain HTML in Chinese and English, with a tiny script that posts
// to /wallet/pay exactly as POST /wallet/pay callers do.
import { fenToYuan } from './money';
import type { TradeStatus } from './types';
import { escapeHtml, scriptJson } from '../guard';

export interface CashierLine {
  merchant: string;
  smid: string;
  subject: string;
  outTradeNo: string;
  amountFen: number;
  status: TradeStatus;
}

export interface CashierPage {
  lines: CashierLine[];
  payEndpoint: string;
  payload: { code_url?: string; url?: string };
  /** The page's script nonce; the reply's Content-Security-Policy admits only scripts carrying it. */
  nonce: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.25rem}table{width:100%;border-collapse:collapse}td{padding:.4rem;border-bottom:1px solid #ddd}
.amount{text-align:right;font-variant-numeric:tabular-nums}.total{font-size:1.5rem;margin:1rem 0}
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}#pay{background:#1677ff;color:#fff;border:0}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function stateOf(lines: CashierLine[]): 'payable' | 'paid' | 'closed' {
  if (lines.every((l) => l.status === 'WAIT_BUYER_PAY')) return 'payable';
  return lines.some((l) => l.status === 'TRADE_CLOSED') ? 'closed' : 'paid';
}

const STATE_TEXT = {
  paid: '该订单已支付 · This order is already paid',
  closed: '该订单已关闭 · This order is closed',
};

export function cashierHtml(page: CashierPage): string {
  const totalFen = page.lines.reduce((sum, l) => sum + l.amountFen, 0);
  const rows = page.lines
    .map(
      (
        l,
      ) => `<tr><td>${escapeHtml(l.merchant)}<br><small>${escapeHtml(l.subject)} · ${escapeHtml(l.outTradeNo)}</small></td>
<td class="amount">¥${fenToYuan(l.amountFen)}</td></tr>`,
    )
    .join('');
  const state = stateOf(page.lines);
  const actions =
    state === 'payable'
      ? `<button id="pay">确认付款 Pay</button><button id="cancel">取消 Cancel</button>`
      : `<p>${STATE_TEXT[state]}</p>`;
  const script = `<script type="application/json" id="payload">${scriptJson(page.payload)}</script>
<script nonce="${escapeHtml(page.nonce)}">(function(){var payload=JSON.parse(document.getElementById('payload').textContent);
var status=document.getElementById('status');var pay=document.getElementById('pay');var cancel=document.getElementById('cancel');
if(!pay)return;function done(t){status.textContent=t;pay.disabled=true;cancel.disabled=true;}
pay.onclick=function(){pay.disabled=true;fetch(${scriptJson(page.payEndpoint)},{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(payload)})
.then(function(r){return r.json().then(function(d){return {ok:r.ok,d:d};});}).then(function(x){
if(x.ok){done('支付成功 · Paid');var back=x.d.return_url;if(typeof back==='string'&&/^https?:[/][/]/i.test(back))location.href=back;}
else{pay.disabled=false;status.textContent=(x.d.error?x.d.error.code+': '+x.d.error.message:'error');}})
.catch(function(e){pay.disabled=false;status.textContent=String(e);});};
cancel.onclick=function(){done('已取消 · Cancelled');};})();</script>`;
  return layout(
    '支付宝收银台 · Alipay sandbox cashier',
    `<h1>支付宝收银台 · Alipay sandbox cashier</h1>
<table>${rows}</table><p class="total">合计 Total ¥${fenToYuan(totalFen)}</p>${actions}<p id="status" role="status"></p>${script}`,
  );
}

export function errorHtml(code: string, message: string): string {
  return layout(
    '支付宝 · Alipay sandbox',
    `<h1>无法付款 · Cannot pay</h1><p><code>${escapeHtml(code)}</code></p><p>${escapeHtml(message)}</p>`,
  );
}
