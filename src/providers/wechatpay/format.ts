// Times and amounts as WeChat Pay writes them. Beijing time has no daylight saving, so +08:00 is exact.
import { fen, type Fen } from '../../shared/money';

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/** RFC 3339 in Beijing time, second precision: `2024-06-01T12:00:00+08:00` (what `time_expire` expects). */
export function rfc3339Beijing(at: Date): string {
  return `${new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** `yyyy-MM-dd` of a moment in Beijing: the day WeChat Pay's bills are cut on. */
export function beijingDate(at: Date): string {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** Bills write `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function parseBeijingDateTime(text: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`not a yyyy-MM-dd HH:mm:ss time: ${text}`);
  return new Date(`${m[1]}T${m[2]}+08:00`);
}

/** Bills write yuan with up to two decimals (`12.30`, `-0.07`); converted with integer arithmetic only. */
export function yuanTextToFen(text: string): Fen {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a yuan amount: ${text}`);
  const magnitude = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return fen(m[1] ? -magnitude : magnitude);
}

export function parseTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
