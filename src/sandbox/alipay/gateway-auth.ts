// The classic gateway's common parameters and request signature check, in the gateway's own order.
import type { AppWithKey, Ctx } from './context';
import { REQUEST_SIGN_EXCLUDED, signContent, verifyRsa2 } from './crypto';
import { invalidArguments, invalidParameter, missingArguments } from './errors';
import { parseBeijing } from './clock';

export type Params = Record<string, string>;

const PARAM_CHARS_MAX = 256;
const LONG_PARAMS = new Set(['biz_content', 'sign', 'notify_url', 'return_url']);

/** Merges the query string and the form body (the SDK splits common parameters and biz_content between them). */
export function mergeParams(...sources: unknown[]): Params {
  const out: Params = {};
  for (const source of sources) {
    if (typeof source === 'string') {
      for (const [k, v] of new URLSearchParams(source)) out[k] = v;
    } else if (source && typeof source === 'object' && !Array.isArray(source)) {
      for (const [k, v] of Object.entries(source)) {
        if (typeof v === 'string') out[k] = v;
        else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
        else if (v && typeof v === 'object') out[k] = JSON.stringify(v);
      }
    }
  }
  return out;
}

export function responseKeyOf(method: string | undefined): string {
  return method ? `${method.replaceAll('.', '_')}_response` : 'error_response';
}

/**
 * Checks the common parameters and the RSA2 signature over every parameter but `sign`.
 * Throws GatewayError (40001/40002) like the real gateway.
 */
export async function authenticate(ctx: Ctx, params: Params): Promise<AppWithKey> {
  for (const [k, v] of Object.entries(params)) {
    if (!LONG_PARAMS.has(k) && v.length > PARAM_CHARS_MAX)
      throw invalidArguments('isv.invalid-parameter', `parameter ${k} is too long`);
  }
  if (!params.app_id) throw missingArguments('isv.missing-app-id', '缺少AppID参数');
  const entry = await ctx.apps.get(ctx.db, params.app_id);
  if (!entry) throw invalidArguments('isv.invalid-app-id', '无效的AppID参数');
  if (!params.sign) throw missingArguments('isv.missing-signature', '缺少签名参数');
  if (!params.sign_type) throw missingArguments('isv.missing-signature-type', '缺少签名类型参数');
  if (params.sign_type !== 'RSA2')
    throw invalidArguments('isv.invalid-signature-type', '无效的签名类型参数 (the sandbox accepts RSA2)');
  if (!params.timestamp) throw missingArguments('isv.missing-timestamp', '缺少时间戳参数');
  if (parseBeijing(params.timestamp) === null)
    throw invalidArguments('isv.invalid-timestamp', '非法的时间戳参数 (yyyy-MM-dd HH:mm:ss)');
  if (!params.version) throw missingArguments('isv.missing-version', '缺少版本参数');
  if (params.charset && params.charset.toLowerCase() !== 'utf-8')
    throw invalidArguments('isv.invalid-charset', '字符集错误 (the sandbox accepts utf-8)');
  if (params.format && params.format.toUpperCase() !== 'JSON')
    throw invalidArguments('isv.invalid-format', '无效的数据格式 (JSON only)');
  const content = signContent(params, REQUEST_SIGN_EXCLUDED);
  if (!verifyRsa2(content, params.sign, entry.publicKey)) {
    throw invalidArguments(
      'isv.invalid-signature',
      `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content.length > 2000 ? `${content.slice(0, 2000)}…` : content}`,
    );
  }
  checkCallbackUrls(ctx, params);
  return entry;
}

/**
 * notify_url only to loopback or HUTONG_SANDBOX_NOTIFY_HOSTS, return_url only http(s) to an allowed host: a mounted
 * sandbox must not POST wherever a caller says, nor send a buyer's browser to a `javascript:` URL.
 */
function checkCallbackUrls(ctx: Ctx, params: Params): void {
  if (params.notify_url) {
    const problem = ctx.hosts.notifyUrlProblem(params.notify_url);
    if (problem) throw invalidParameter(`notify_url 不合法: ${problem}`);
  }
  if (params.return_url) {
    const problem = ctx.hosts.returnUrlProblem(params.return_url);
    if (problem) throw invalidParameter(`return_url 不合法: ${problem}`);
  }
}
