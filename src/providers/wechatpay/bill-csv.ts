// WeChat Pay's bill files: UTF-8 with a BOM; a plain header line; data rows whose every cell starts with a
// backtick (so spreadsheets keep long numbers as text); then a summary caption line and a summary row.
// Cells are split on ",`" rather than ",", so a comma inside a product name survives.

export interface BacktickCsv {
  header: string[];
  rows: Array<Record<string, string>>;
  summary: Record<string, string>;
}

const BOM = '\uFEFF';
/** A day's bill for one platform is bounded; a file past this is not a bill we understand. */
const BILL_LINES_MAX = 2_000_000;

export function parseBacktickCsv(file: Buffer | string): BacktickCsv {
  let text = typeof file === 'string' ? file : file.toString('utf8');
  if (text.startsWith(BOM)) text = text.slice(BOM.length);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 3) throw new Error('bill has no header, summary caption and summary row');
  if (lines.length > BILL_LINES_MAX) throw new Error('bill has too many lines');
  const header = splitHeader(lines[0]!);
  const summaryHeader = splitHeader(lines[lines.length - 2]!);
  const rows = lines.slice(1, -2).map((line) => keyed(header, splitCells(line)));
  return { header, rows, summary: keyed(summaryHeader, splitCells(lines[lines.length - 1]!)) };
}

function splitHeader(line: string): string[] {
  return line.split(',').map((h) => h.trim());
}

function splitCells(line: string): string[] {
  const body = line.startsWith('`') ? line.slice(1) : line;
  return body.split(',`');
}

function keyed(header: string[], cells: string[]): Record<string, string> {
  const row: Record<string, string> = {};
  header.forEach((name, i) => {
    row[name] = (cells[i] ?? '').trim();
  });
  return row;
}

/** The first of `names` the row has (bills of different API versions name a few columns differently). */
export function cell(row: Record<string, string>, ...names: string[]): string | undefined {
  for (const name of names) if (name in row) return row[name];
  return undefined;
}
