// Which WeChat Pay scene suits the buyer's client (shared/api.md "Client-aware scenes"): inside WeChat the JSAPI
// bridge (never a redirect out of the app), in another mobile browser H5, on a desktop a QR code to scan.
import type { PaymentScene } from '../types';

const INSIDE_WECHAT = /MicroMessenger/i;
const MOBILE_BROWSER = /Mobi|Android|iPhone|iPad|iPod|HarmonyOS|Windows Phone/i;

export function wechatpaySceneFor(userAgent: string | undefined): Extract<PaymentScene, 'qr' | 'h5' | 'jsapi'> {
  const ua = userAgent ?? '';
  if (INSIDE_WECHAT.test(ua)) return 'jsapi';
  if (MOBILE_BROWSER.test(ua)) return 'h5';
  return 'qr';
}
