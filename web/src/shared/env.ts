// What the server tells the pages about itself (GET /web/env.json): which sandboxes are mounted here, and the
// storefront's publishable key.
import type { MethodName } from './types';

export interface WebEnv {
  sandboxes: Record<MethodName, boolean>;
  publishable_key?: string;
}

let loaded: Promise<WebEnv> | null = null;

export function webEnv(): Promise<WebEnv> {
  loaded ??= fetch('/web/env.json')
    .then((r) => (r.ok ? (r.json() as Promise<WebEnv>) : Promise.reject(new Error(String(r.status)))))
    .catch(() => ({ sandboxes: { alipay: false, wechatpay: false } }));
  return loaded;
}

export type ClientKind = 'wechat' | 'mobile' | 'desktop';

/** The same rule the server uses to pick a scene from the User-Agent. */
export function clientKind(ua = navigator.userAgent): ClientKind {
  if (/MicroMessenger/i.test(ua)) return 'wechat';
  return /Mobile|Android|iPhone|iPad|HarmonyOS/i.test(ua) ? 'mobile' : 'desktop';
}
