// Alipay writes every time as Beijing wall-clock time, "yyyy-MM-dd HH:mm:ss", with no zone. China has had no
// daylight saving since 1991, so Beijing time is exactly UTC+8 and the conversion needs no time-zone database.
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** 2026-01-02T03:04:05Z → "2026-01-02 11:04:05". */
export function toBeijingTime(instant: Date): string {
  const b = new Date(instant.getTime() + BEIJING_OFFSET_MS);
  return (
    `${pad(b.getUTCFullYear(), 4)}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ` +
    `${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}:${pad(b.getUTCSeconds())}`
  );
}

const BEIJING_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** "2026-01-02 11:04:05" → 2026-01-02T03:04:05Z; undefined when the text is not such a time. */
export function parseBeijingTime(text: string): Date | undefined {
  const m = BEIJING_TIME_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second) - BEIJING_OFFSET_MS;
  const parsed = new Date(utcMs);
  // Date.UTC rolls "02-30" over into March: a time that does not round-trip is not a real time.
  return toBeijingTime(parsed) === `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` ? parsed : undefined;
}
