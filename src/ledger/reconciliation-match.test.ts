// The matching rules on their own (pure functions): what counts as the same line, which differences are
// reported, and which unmatched lines are not discrepancies at all.
import { describe, expect, test } from 'vitest';
import { billDay } from './bill-day';
import { matchLines, statusDiffers, type LedgerLine, type LineStatus, type ProviderLine } from './reconciliation-match';

const day = billDay('2026-11-24')!;
const noon = new Date('2026-11-24T04:00:00Z'); // 12:00 in Shanghai
const ref = { entry_id: 'jnl_1', idempotency_key: 'x', order_id: 'ord_1', merchant_id: 'mch_1', out_trade_no: 'T1' };

function theirs(over: Partial<ProviderLine> = {}): ProviderLine {
  return {
    bill: 'trade',
    kind: 'payment',
    key: 'payment|S1|X1',
    amount: 1_000,
    fee: 6,
    status: 'succeeded',
    occurredAt: noon,
    ref: { out_trade_no: 'T1' },
    ...over,
  };
}

function ours(over: Partial<LedgerLine> = {}): LedgerLine {
  return {
    bill: 'trade',
    kind: 'payment',
    key: 'payment|S1|X1',
    amount: 1_000,
    fee: 6,
    status: 'succeeded',
    occurredAt: noon,
    ref,
    providerRef: {},
    listed: true,
    ...over,
  };
}

describe('matching a bill line to its ledger event', () => {
  test('equal key, amount, fee and status: matched, nothing reported', () => {
    expect(matchLines([theirs()], [ours()], day)).toEqual({
      matchedByBill: { trade: 1, profit_sharing: 0 },
      mismatches: [],
      unlisted: [],
    });
  });

  test('an amount and a fee that both differ are two mismatches of one line, and the line is not counted matched', () => {
    const out = matchLines([theirs({ amount: 1_001, fee: 7 })], [ours()], day);
    expect(out.mismatches.map((m) => m.kind)).toEqual(['amount_differs', 'fee_differs']);
    expect(out.matchedByBill.trade).toBe(0);
  });

  test('a line the bill lists twice: the second has no ledger event left (missing_in_hutong)', () => {
    const out = matchLines([theirs(), theirs()], [ours()], day);
    expect(out.mismatches).toEqual([
      expect.objectContaining({ kind: 'missing_in_hutong', note: 'the bill lists this line twice' }),
    ]);
  });

  test('lines that move no money need no ledger event: a closed refund, a share still processing or closed, a zero unfreeze', () => {
    const lines = [
      theirs({ kind: 'refund', key: 'refund|R1', status: 'closed' }),
      theirs({ bill: 'profit_sharing', kind: 'share', key: 'sharing|S1|P', status: 'processing', fee: undefined }),
      theirs({ bill: 'profit_sharing', kind: 'share', key: 'sharing|S2|P', status: 'closed', fee: undefined }),
      theirs({ bill: 'profit_sharing', kind: 'unfreeze', key: 'sharing|S3|M', amount: 0, fee: undefined }),
    ];
    expect(matchLines(lines, [], day).mismatches).toEqual([]);
  });

  test('a ledger event is owed a line only in its own day’s bill, and only where the provider lists it', () => {
    const yesterday = new Date(day.start.getTime() - 1);
    const out = matchLines(
      [],
      [
        ours({ occurredAt: yesterday }),
        ours({ key: 'refund|R2', kind: 'refund', status: 'closed', listed: false }),
        ours({ key: 'refund|R3', kind: 'refund' }),
      ],
      day,
    );
    expect(out.unlisted.map((l) => l.key)).toEqual(['refund|R3']);
  });
});

describe('refund statuses, compared as of the bill’s cut-off', () => {
  const statuses: LineStatus[] = ['succeeded', 'processing', 'closed', 'abnormal'];
  test('not final in Hutong by the cut-off: agrees with whatever the provider says since', () => {
    for (const s of statuses) expect(statusDiffers(s, 'processing')).toBe(false);
  });
  test('final in Hutong: the provider must say the same', () => {
    for (const mine of ['succeeded', 'closed', 'abnormal'] as const) {
      for (const s of statuses) expect(statusDiffers(s, mine)).toBe(s !== mine);
    }
  });
});
