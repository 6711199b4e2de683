// The sandbox's clock: wall time plus an offset that tests move forward. Dates on the wire are Beijing time
// (UTC+8, no daylight saving), so formatting is plain arithmetic on the offset.

const BEIJING_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

export class SandboxClock {
  constructor(private offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  get offset(): number {
    return this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function beijingParts(ms: number) {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    h: d.getUTCHours(),
    mi: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
  };
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time. */
export function formatBeijing(ms: number): string {
  const p = beijingParts(ms);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** "yyyy-MM-dd HH:mm:ss.SSS" (Alipay's gmt_refund). */
export function formatBeijingMillis(ms: number): string {
  return `${formatBeijing(ms)}.${pad(beijingParts(ms).ms, 3)}`;
}

/** "yyyy年MM月dd日 HH:mm:ss" (bill headers). */
export function formatBeijingChinese(ms: number): string {
  const p = beijingParts(ms);
  return `${p.y}年${pad(p.mo)}月${pad(p.d)}日 ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** The Beijing calendar day "yyyy-MM-dd" of an instant. */
export function beijingDay(ms: number): string {
  return formatBeijing(ms).slice(0, 10);
}

const DATE_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Parses "yyyy-MM-dd HH:mm:ss" Beijing time; null when malformed or not a real date. */
export function parseBeijing(text: string): number | null {
  const m = DATE_TIME_PATTERN.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  return formatBeijing(ms) === text ? ms : null;
}

/** Start (inclusive) and end (exclusive) of a Beijing day "yyyy-MM-dd" or month "yyyy-MM". */
export function beijingPeriod(period: string): { startMs: number; endMs: number } | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period);
  if (day) {
    const startMs = parseBeijing(`${period} 00:00:00`);
    return startMs === null ? null : { startMs, endMs: startMs + DAY_MS };
  }
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (!month) return null;
  const y = Number(month[1]);
  const mo = Number(month[2]);
  if (mo < 1 || mo > 12) return null;
  const startMs = Date.UTC(y, mo - 1, 1) - BEIJING_OFFSET_MS;
  const endMs = Date.UTC(y, mo, 1) - BEIJING_OFFSET_MS;
  return { startMs, endMs };
}

/**
 * Alipay's relative timeouts: "90m", "2h", "15d", or "1c" (closes at the coming Beijing midnight).
 * Returns the absolute deadline, or null when malformed or outside 1m … 15d.
 */
export function parseTimeoutExpress(text: string, fromMs: number): number | null {
  const m = /^([1-9]\d{0,5})([mhdc])$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (m[2] === 'c') return n === 1 ? beijingPeriod(beijingDay(fromMs))!.endMs : null;
  const unitMs = m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3600_000 : DAY_MS;
  const ms = n * unitMs;
  return ms > 15 * DAY_MS ? null : fromMs + ms;
}

/** settle_period_time: "1d" … "365d". */
export function parseSettlePeriod(text: string): number | null {
  const m = /^([1-9]\d{0,2})d$/.exec(text);
  if (!m || Number(m[1]) > 365) return null;
  return Number(m[1]) * DAY_MS;
}
