// Goal: bill files are read cell for cell as the client library reads them, and mapped to bill lines exactly
// (yuan to fen with integer arithmetic, Beijing times, refund lines with their out_refund_no).
import { describe, expect, it } from 'vitest';
import { Formatter } from 'wechatpay-axios-plugin';
import { parseBacktickCsv } from './bill-csv';
import { tradeBillLines } from './bills';
import { yuanTextToFen } from './format';

const HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const row = (cells: string[]) => cells.map((c) => `\`${c}`).join(',');
const PAYMENT = row([
  '2024-06-01 12:00:05',
  'wx8888888888888888',
  '1900000100',
  '1900000109',
  '',
  '4200000000202406010000000001',
  'ord_a_0001',
  'oUpF8u',
  'NATIVE',
  'SUCCESS',
  'OTHERS',
  'CNY',
  '88.88',
  '0.00',
  '0',
  '0',
  '0.00',
  '0.00',
  '',
  '',
  '鞋子, 红色',
  'pay_1',
  '0.53',
  '0.60%',
  '88.88',
  '0.00',
  '',
]);
const REFUND = row([
  '2024-06-01 13:00:00',
  'wx8888888888888888',
  '1900000100',
  '1900000109',
  '',
  '4200000000202406010000000001',
  'ord_a_0001',
  'oUpF8u',
  'NATIVE',
  'REFUND',
  'OTHERS',
  'CNY',
  '0.00',
  '0.00',
  '50000000382019052709732678859',
  'rfd_0001',
  '8.88',
  '0.00',
  'ORIGINAL',
  'SUCCESS',
  '鞋子, 红色',
  'pay_1',
  '-0.05',
  '0.60%',
  '0.00',
  '8.88',
  '',
]);
const SUMMARY_CAPTION = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const SUMMARY = row(['2', '88.88', '8.88', '0.00', '0.48', '88.88', '8.88']);
const FILE = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(`${HEADER}\n${PAYMENT}\n${REFUND}\n${SUMMARY_CAPTION}\n${SUMMARY}\n`),
]);

describe('backtick CSV bills', () => {
  it('reads rows and summary exactly as the client library does, commas inside cells included', () => {
    const ours = parseBacktickCsv(FILE);
    const theirs = Formatter.castCsvBill(FILE) as {
      rows: Array<Record<string, string>>;
      summary: Record<string, string>;
    };
    expect(ours.rows).toEqual(theirs.rows);
    expect(ours.summary).toEqual(theirs.summary);
    expect(ours.rows[0]!['商品名称']).toBe('鞋子, 红色');
  });

  it('maps payment and refund lines to fen, Beijing time, and fee magnitudes', () => {
    expect(tradeBillLines(FILE)).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'ord_a_0001',
        transactionId: '4200000000202406010000000001',
        subMerchantId: '1900000109',
        amountFen: 8888,
        feeFen: 53,
        occurredAt: new Date('2024-06-01T04:00:05Z'),
      },
      {
        kind: 'refund',
        outTradeNo: 'ord_a_0001',
        transactionId: '4200000000202406010000000001',
        subMerchantId: '1900000109',
        amountFen: 888,
        feeFen: 5,
        outRefundNo: 'rfd_0001',
        refundStatus: 'SUCCESS',
        occurredAt: new Date('2024-06-01T05:00:00Z'),
      },
    ]);
  });

  it('reads a bill with no trades (header, caption and summary only)', () => {
    expect(
      tradeBillLines(
        `\uFEFF${HEADER}\n${SUMMARY_CAPTION}\n${row(['0', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00'])}\n`,
      ),
    ).toEqual([]);
  });
});

describe('yuan text to fen', () => {
  it.each([
    ['0.01', 1],
    ['12.3', 1230],
    ['100000000.00', 10_000_000_000],
    ['-0.05', -5],
    ['7', 700],
  ])('%s is %d fen', (text, expected) => {
    expect(yuanTextToFen(text)).toBe(expected);
  });

  it('refuses anything that is not an amount with at most two decimals', () => {
    for (const bad of ['1.001', '1e3', '', '¥1.00', '0x10']) expect(() => yuanTextToFen(bad)).toThrow();
  });
});
