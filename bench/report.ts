// The results table (stdout) and bench/results/latest.json. Targets are design.md's "Performance budget".
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Row {
  name: string;
  /** Per second. */
  value: number | null;
  /** What the ratio divides by: TPC-B tps, or the naive baseline. */
  baseName: 'TPC-B' | 'naive' | null;
  base: number | null;
  /** Target ratio; null for an informative row. */
  target: number | null;
  note?: string;
  incomplete?: boolean;
}

export interface RowResult extends Row {
  ratio: number | null;
  verdict: 'PASS' | 'MISS' | 'info' | 'n/a';
}

export function judge(row: Row): RowResult {
  const ratio = row.value !== null && row.base ? row.value / row.base : null;
  const verdict =
    row.target === null ? 'info' : ratio === null ? 'n/a' : ratio >= row.target && !row.incomplete ? 'PASS' : 'MISS';
  return { ...row, ratio, verdict };
}

function fmt(n: number | null, digits = 1): string {
  return n === null ? '—' : n.toFixed(digits);
}

export function table(rows: RowResult[], tpcbTps: number | null): string {
  const header = ['figure', '/s', 'TPC-B tps', '× TPC-B', 'target', 'measured', 'result'];
  const lines = rows.map((r) => [
    r.name + (r.incomplete ? ' (incomplete)' : ''),
    fmt(r.value),
    fmt(tpcbTps, 0),
    r.value !== null && tpcbTps ? (r.value / tpcbTps).toFixed(3) : '—',
    r.target === null ? '—' : `≥ ${r.target} × ${r.baseName}`,
    r.target === null || r.ratio === null ? '—' : `${r.ratio.toFixed(r.ratio < 1 ? 3 : 2)} × ${r.baseName}`,
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  return [
    render(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(render),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
