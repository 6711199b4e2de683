// Which client the buyer uses, from the User-Agent (and X-Hutong-Client for app versions), and the scene that
// follows: inside WeChat → JSAPI (never a redirect to another app), another mobile browser → H5, else desktop.
import type { PaymentScene, ProviderName } from '../providers/types';

export type ClientKind = 'wechat' | 'mobile' | 'desktop';

export interface ClientInfo {
  kind: ClientKind;
  app?: string;
  version?: string;
}

export function clientFrom(headers: Record<string, string | string[] | undefined>): ClientInfo {
  const ua = String(headers['user-agent'] ?? '');
  const kind: ClientKind = /MicroMessenger/i.test(ua)
    ? 'wechat'
    : /Mobile|Android|iPhone|iPad|HarmonyOS/i.test(ua)
      ? 'mobile'
      : 'desktop';
  const declared = /^([a-z][a-z0-9_-]{0,31})\/(\d+\.\d+\.\d+)$/i.exec(String(headers['x-hutong-client'] ?? ''));
  return declared ? { kind, app: declared[1], version: declared[2] } : { kind };
}

export const METHOD_SCENES: Readonly<Record<ProviderName, readonly PaymentScene[]>> = {
  alipay: ['qr', 'page', 'h5'],
  wechatpay: ['qr', 'h5', 'jsapi'],
};

/** The scene Hutong picks when the caller names none. */
export function defaultScene(method: ProviderName, client: ClientInfo): PaymentScene {
  if (client.kind === 'wechat') return method === 'wechatpay' ? 'jsapi' : 'h5';
  if (client.kind === 'mobile') return 'h5';
  return method === 'wechatpay' ? 'qr' : 'page';
}

/** Inside WeChat only WeChat Pay works: Alipay would need a redirect to another app, which WeChat blocks. */
export function clientSupports(method: ProviderName, client: ClientInfo): boolean {
  return !(client.kind === 'wechat' && method === 'alipay');
}
