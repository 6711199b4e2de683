// Offline: a trade bill zip laid out as Alipay's (a GBK detail CSV with `#` comment lines and tab-padded fields, plus
// a summary CSV) is read into BillLines. The sandbox tests read the sandbox's own bill over HTTP.
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../types';
import { parseTradeBillZip, splitCsvLine } from './bill';

const HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,' +
  '订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,' +
  '商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

function row(cells: string[]): string {
  return cells.map((cell) => `${cell}\t`).join(',');
}

const detail = [
  '#支付宝业务明细查询',
  '#账号：[2088000000000077]',
  '#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------',
  HEADER,
  row([
    '2026112422001400000000000001',
    'att_1',
    '交易',
    '青花瓷',
    '2026-11-24 10:00:00',
    '2026-11-24 10:00:08',
    '',
    '',
    '',
    '',
    'b***@example.com',
    '88.88',
    '88.88',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '',
    '0.00',
    '0.00',
    '',
    '-0.53',
    '0.00',
    '',
  ]),
  row([
    '2026112422001400000000000001',
    'att_1',
    '退款',
    '青花瓷',
    '2026-11-24 10:00:00',
    '2026-11-24 23:59:59',
    '',
    '',
    '',
    '',
    'b***@example.com',
    '88.88',
    '-10.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '',
    '0.00',
    '0.00',
    'rfd_1',
    '0.06',
    '0.00',
    '',
  ]),
  '#-----------------------------------------业务明细列表结束------------------------------------',
  '#交易合计：1笔，商家实收共88.88元',
  '#退款合计：1笔，商家实收退款共-10.00元',
  '#导出时间：[2026年11月25日 09:00:00]',
].join('\r\n');

const summary = [
  '#支付宝业务汇总查询',
  '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）',
  '合计,,1,1,78.88,78.88',
].join('\r\n');

function billZip(files: Record<string, string>): Uint8Array {
  return zipSync(
    Object.fromEntries(Object.entries(files).map(([name, text]) => [name, new Uint8Array(iconv.encode(text, 'gbk'))])),
  );
}

describe('Alipay trade bill', () => {
  it('reads payments and refunds from the GBK detail file, with fees as magnitudes in fen', () => {
    const lines = parseTradeBillZip(
      billZip({ '2088000000000077_20261124_detail.csv': detail, '2088000000000077_20261124_summary.csv': summary }),
      '2088000000000077',
    );
    expect(lines).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'att_1',
        transactionId: '2026112422001400000000000001',
        subMerchantId: '2088000000000077',
        amountFen: 8888,
        feeFen: 53,
        occurredAt: new Date('2026-11-24T02:00:08Z'),
      },
      {
        kind: 'refund',
        outTradeNo: 'att_1',
        transactionId: '2026112422001400000000000001',
        subMerchantId: '2088000000000077',
        amountFen: 1000,
        feeFen: 6,
        occurredAt: new Date('2026-11-24T15:59:59Z'),
        outRefundNo: 'rfd_1',
        refundStatus: 'REFUND_SUCCESS',
      },
    ]);
  });

  it('refuses a download that is not a zip, or a zip without a detail file', () => {
    const codeOf = (zip: Uint8Array) => {
      try {
        parseTradeBillZip(zip, '');
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        return (error as ProviderError).code;
      }
    };
    expect(codeOf(new TextEncoder().encode('<html>expired</html>'))).toBe('bill_malformed');
    expect(codeOf(billZip({ 'summary.csv': summary }))).toBe('bill_malformed');
  });

  it('splits CSV lines with quotes and tab padding', () => {
    expect(splitCsvLine('a\t,"b,c"\t, "d""e"')).toEqual(['a', 'b,c', 'd"e']);
  });
});
