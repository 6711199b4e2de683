// What every verb of the adapter shares: the validated configuration, the parsed keys and the gateway client.
import type { WechatpayConfig } from './config';
import type { WechatpayHttp } from './client';
import type { WechatpayKeys } from './sign';

export interface AdapterContext {
  config: WechatpayConfig;
  keys: WechatpayKeys;
  http: WechatpayHttp;
  now(): Date;
}
