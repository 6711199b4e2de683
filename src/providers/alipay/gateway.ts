// One door to the Alipay gateway: every API call goes through the Gateway function made here, which always asks the
// SDK to verify the response signature and turns transport and gateway-level failures into ProviderError. What reaches a verb is a verified
// response whose code is 10000 (success) or 40004 (a business answer the verb interprets).
import { AlipayFormData, type AlipaySdk } from 'alipay-sdk';
import type { MediaUpload } from '../types';
import type { Fen } from '../../shared/money';
import { ProviderError } from '../types';
import { yuanStringToFen } from './amounts';
import { toBeijingTime } from './time';
import { CODE_BUSINESS_FAILED, CODE_SUCCESS, SUB_CODE, type AlipayMethod, type CommonResponse } from './wire';

/**
 * read: nothing moves (query, create a trade, close, onboarding): a failure is `unavailable`, retry later.
 * money: money may have moved (refund, settle): a failure without a verified answer is `outcome_unknown`.
 */
export type CallKind = 'read' | 'money';

export interface CallOptions {
  kind: CallKind;
  notifyUrl?: string;
}

export type Gateway = <R extends CommonResponse>(
  method: AlipayMethod,
  bizContent: object,
  options: CallOptions,
) => Promise<R>;

export function createGateway(sdk: AlipaySdk): Gateway {
  return async <R extends CommonResponse>(
    method: AlipayMethod,
    bizContent: object,
    options: CallOptions,
  ): Promise<R> => {
    let response: CommonResponse;
    try {
      const params: Record<string, unknown> = { bizContent, timestamp: requestTimestamp() };
      if (options.notifyUrl) params.notifyUrl = options.notifyUrl;
      response = (await sdk.exec(method, params, { validateSign: true })) as CommonResponse;
    } catch (error) {
      throw transportFailure(method, error, options.kind);
    }
    return checkGatewayCode(method, response, options.kind) as R;
  };
}

/**
 * File upload (multipart/form-data): the SDK signs the common parameters and the form's text fields, never the file
 * bytes, and sends the fields and the file in the body. The answer is verified like every other.
 */
export type Uploader = <R extends CommonResponse>(
  method: AlipayMethod,
  fields: Record<string, string>,
  fileField: string,
  file: MediaUpload,
) => Promise<R>;

export function createUploader(sdk: AlipaySdk): Uploader {
  return async <R extends CommonResponse>(
    method: AlipayMethod,
    fields: Record<string, string>,
    fileField: string,
    file: MediaUpload,
  ): Promise<R> => {
    const form = new AlipayFormData();
    form.addField('timestamp', requestTimestamp());
    for (const [name, value] of Object.entries(fields)) form.addField(name, value);
    form.addFile(fileField, file.filename, file.content);
    let response: CommonResponse;
    try {
      response = (await sdk.exec(method, {}, { formData: form, validateSign: true })) as CommonResponse;
    } catch (error) {
      throw transportFailure(method, error, 'read');
    }
    return checkGatewayCode(method, response, 'read') as R;
  };
}

/**
 * The `timestamp` common parameter is Beijing time. alipay-sdk fills it from the process's local clock and zone, so
 * on a server running in UTC it would be eight hours off; passing it explicitly overrides the SDK's value.
 */
export function requestTimestamp(): string {
  return toBeijingTime(new Date());
}

function unsure(kind: CallKind): 'unavailable' | 'outcome_unknown' {
  return kind === 'money' ? 'outcome_unknown' : 'unavailable';
}

/** The SDK's messages can quote the server's signature: only our own words go into the error. */
function transportFailure(method: string, error: unknown, kind: CallKind): ProviderError {
  const e = error as { message?: unknown; cause?: unknown; responseDataRaw?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (message.startsWith('验签失败')) {
    return new ProviderError(
      unsure(kind),
      'provider_response_unverified',
      `${method}: the response signature did not verify with the configured Alipay public key (wrong key, or a proxy altered the body?)`,
    );
  }
  if (message.startsWith('HTTP 请求错误')) {
    return new ProviderError(
      unsure(kind),
      'provider_http_error',
      `${method}: the gateway answered ${message.replace(/^.*status: /, 'HTTP ')}`,
    );
  }
  if (message.startsWith('Response 格式错误')) {
    return new ProviderError(
      unsure(kind),
      'provider_response_malformed',
      `${method}: the gateway's answer is not an Alipay response`,
    );
  }
  if (e.cause !== undefined) {
    return new ProviderError(
      unsure(kind),
      'provider_unreachable',
      `${method}: no answer from the gateway (timeout or connection failure)`,
    );
  }
  return new ProviderError(unsure(kind), 'provider_response_unverified', `${method}: the answer could not be verified`);
}

function checkGatewayCode(method: string, response: CommonResponse, kind: CallKind): CommonResponse {
  switch (response.code) {
    case CODE_SUCCESS:
      return response;
    case CODE_BUSINESS_FAILED:
      // Alipay: ACQ.SYSTEM_ERROR "may or may not have succeeded: repeat with the same parameters".
      if (response.sub_code === SUB_CODE.systemError)
        throw gatewayError(method, response, unsure(kind), 'provider_system_error');
      return response;
    case '20000':
      throw gatewayError(method, response, unsure(kind), 'provider_unavailable');
    case '20001':
    case '40001':
    case '40002':
    case '40003':
      throw gatewayError(method, response, 'invalid_request', 'provider_rejected_request');
    default:
      throw gatewayError(method, response, unsure(kind), 'provider_unexpected_code');
  }
}

export function gatewayError(
  method: string,
  response: CommonResponse,
  kind: ProviderError['kind'],
  code: string,
): ProviderError {
  const detail = response.sub_code ?? response.code;
  // isv.invalid-signature quotes the whole signed request (onboarding requests hold ID and bank numbers): not kept.
  const explanation =
    response.sub_code === 'isv.invalid-signature'
      ? 'request signature rejected (app key pair mismatch?)'
      : (response.sub_msg ?? response.msg ?? '');
  return new ProviderError(kind, code, `${method}: ${detail} ${explanation.slice(0, 200)}`.trim(), detail);
}

/** A 40004 the verb did not expect: declined, with Alipay's sub_code kept for support. */
export function unexpectedBusinessFailure(method: string, response: CommonResponse): ProviderError {
  return gatewayError(method, response, 'declined', 'provider_declined');
}

/** A yuan amount in a verified answer; one that does not parse means the answer is not what Alipay sends. */
export function responseAmount(method: string, text: string): Fen {
  try {
    return yuanStringToFen(text);
  } catch {
    throw new ProviderError(
      'unavailable',
      'provider_response_malformed',
      `${method}: amount ${JSON.stringify(text)} is not yuan`,
    );
  }
}
