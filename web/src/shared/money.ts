// Money in the browser stays integer fen; yuan text is made and parsed with string arithmetic, never floats.

export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "12.3" → 1230; null for anything that is not a non-negative yuan amount with at most two decimals. */
export function parseYuan(text: string): number | null {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(fen) ? fen : null;
}

/** 1230 → "12.30", for form inputs. */
export function fenToYuanText(fen: number): string {
  return formatFen(fen).replace('¥', '');
}
