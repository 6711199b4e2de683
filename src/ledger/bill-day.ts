// Bill days are Asia/Shanghai calendar days. China has had no daylight saving since 1991, so a day is exactly
// [00:00, 24:00) at UTC+8 and the arithmetic needs no time-zone database.
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface BillDay {
  date: string;
  start: Date;
  /** Exclusive: the bill's cut-off. */
  end: Date;
}

/** The day's instants, or undefined when `date` is not a real YYYY-MM-DD date. */
export function billDay(date: string): BillDay | undefined {
  const m = DATE_PATTERN.exec(date);
  if (!m) return undefined;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(utc).toISOString().slice(0, 10) !== date) return undefined;
  return { date, start: new Date(utc - SHANGHAI_OFFSET_MS), end: new Date(utc - SHANGHAI_OFFSET_MS + DAY_MS) };
}

/** The Shanghai calendar day an instant falls on. */
export function shanghaiDate(instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The day `days` after (or before, when negative) a valid date. */
export function addDays(date: string, days: number): string {
  const day = billDay(date);
  if (!day) throw new RangeError(`not a date: ${date}`);
  return shanghaiDate(new Date(day.start.getTime() + days * DAY_MS));
}
