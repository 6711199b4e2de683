// What the buyer does for an attempt: scan a QR (desktop), follow a redirect (mobile H5, Alipay page pay), or
// the JSAPI sheet inside WeChat. Against the sandboxes, links open the sandbox wallet pages instead of a phone.
import { useEffect, useState } from 'react';
import { clientKind, type WebEnv } from '../shared/env';
import { useLang, useT } from '../shared/i18n';
import { QrCode } from '../shared/qr';
import type { Attempt, MethodName } from '../shared/types';
import { shop } from './messages';

interface JsBridge {
  invoke(name: 'getBrandWCPayRequest', params: Record<string, string>, done: (res: { err_msg?: string }) => void): void;
}

declare global {
  interface Window {
    WeixinJSBridge?: JsBridge;
  }
}

const isHttp = (url: string) => /^https?:\/\//i.test(url);

/** The sandbox wallet page that "scans" a code or opens a payment: WeChat's weixin:// codes need the sandbox's page. */
function sandboxScanUrl(method: MethodName, codeOrUrl: string, lang: string): string | null {
  if (method === 'wechatpay' && codeOrUrl.startsWith('weixin://')) {
    return `/sandbox/wechatpay/wallet?code_url=${encodeURIComponent(codeOrUrl)}&lang=${lang}`;
  }
  return isHttp(codeOrUrl) ? codeOrUrl : null;
}

function SimulateScan({ method, target, env }: { method: MethodName; target: string; env: WebEnv }) {
  const t = useT(shop);
  const { lang } = useLang();
  const url = env.sandboxes[method] ? sandboxScanUrl(method, target, lang) : null;
  if (!url) return null;
  return (
    <p>
      <a className="button secondary simulate-scan" href={url} target="_blank" rel="noopener">
        {t('simulate_scan')}
      </a>
    </p>
  );
}

function prepayIdOf(params: Record<string, string>): string | null {
  return /^prepay_id=(.+)$/.exec(params.package ?? '')?.[1] ?? null;
}

function Jsapi({ attempt, env }: { attempt: Attempt & { action: { type: 'jsapi' } }; env: WebEnv }) {
  const t = useT(shop);
  const { lang } = useLang();
  const [bridge, setBridge] = useState<JsBridge | undefined>(window.WeixinJSBridge);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    // WeChat injects the bridge asynchronously and announces it with this event.
    const ready = () => setBridge(window.WeixinJSBridge);
    document.addEventListener('WeixinJSBridgeReady', ready);
    return () => document.removeEventListener('WeixinJSBridgeReady', ready);
  }, []);
  const invoke = () => {
    bridge?.invoke('getBrandWCPayRequest', attempt.action.params, (res) => {
      if (res.err_msg === 'get_brand_wcpay_request:ok') setNote(t('waiting_payment'));
      else if (res.err_msg === 'get_brand_wcpay_request:cancel') setNote(t('jsapi_cancelled'));
      else setNote(res.err_msg ?? t('error'));
    });
  };
  // The sheet opens by itself once per attempt, as soon as the bridge is there.
  useEffect(() => {
    if (bridge) invoke();
  }, [bridge, attempt.id]);
  const prepayId = prepayIdOf(attempt.action.params);
  const walletUrl =
    prepayId && env.sandboxes.wechatpay
      ? `/sandbox/wechatpay/wallet?prepay_id=${encodeURIComponent(prepayId)}&redirect_url=${encodeURIComponent(location.href)}&lang=${lang}`
      : null;
  return (
    <div className="pay-jsapi">
      {bridge ? (
        <>
          <p>{note ?? t('jsapi_waiting')}</p>
          <button type="button" className="pay-wechatpay" onClick={invoke}>
            {t('jsapi_start')}
          </button>
        </>
      ) : (
        <>
          <p className="muted">{t('jsapi_no_bridge')}</p>
          {walletUrl && (
            <a className="button pay-wechatpay sandbox-wallet" href={walletUrl}>
              {t('sandbox_wallet')}
            </a>
          )}
        </>
      )}
    </div>
  );
}

export function PayAction({ attempt, env, fresh }: { attempt: Attempt; env: WebEnv; fresh: boolean }) {
  const t = useT(shop);
  const action = attempt.action;
  const kind = clientKind();
  const mustFollow = action?.type === 'redirect' && kind !== 'desktop';
  useEffect(() => {
    // Mobile H5: go to the provider's page right after the buyer chose the method (not on a later reload).
    if (fresh && mustFollow) window.location.assign(action.url);
  }, [fresh, mustFollow, action]);
  if (!action) return <p className="muted">{t('waiting_payment')}</p>;
  const method = attempt.method;
  if (action.type === 'jsapi') return <Jsapi attempt={{ ...attempt, action }} env={env} />;
  if (action.type === 'qr') {
    return (
      <div className="pay-box pay-qr">
        <QrCode text={action.code_url} label={t(method === 'wechatpay' ? 'scan_wechatpay' : 'scan_alipay')} />
        <div>
          <p>{t(method === 'wechatpay' ? 'scan_wechatpay' : 'scan_alipay')}</p>
          <SimulateScan method={method} target={action.code_url} env={env} />
        </div>
      </div>
    );
  }
  if (mustFollow) {
    return (
      <p>
        {fresh ? t('redirecting') : null}{' '}
        <a className="button pay-redirect" href={action.url}>
          {t(method === 'wechatpay' ? 'open_wechatpay' : 'open_alipay')}
        </a>
      </p>
    );
  }
  // Desktop page pay (Alipay): the page in this tab, or its QR for a phone.
  return (
    <div className="pay-box pay-redirect-desktop">
      <div>
        <a className={`button pay-${method} pay-redirect`} href={action.url}>
          {t(method === 'wechatpay' ? 'open_wechatpay' : 'open_alipay')}
        </a>
        <p className="muted">{t('or_scan')}</p>
        <SimulateScan method={method} target={action.url} env={env} />
      </div>
      <QrCode text={action.url} label={t('or_scan')} />
    </div>
  );
}
