// Fault knobs. Every knob is deterministic: a rate r in [0, 1] (true = 1, false = 0) selects events by error
// diffusion — a running sum gains r per event and selects the event whenever it reaches 1 — so r = 1 hits every
// event, r = 0.5 every second one (the 2nd, 4th, …), r = 0.25 every fourth. Counters restart when the knob is set.
//
// - notifyDelayMs: every notification's first delivery waits this long (real milliseconds, not scaled).
// - notifyDrop: selected notifications are never delivered (status `dropped` in /books/notifications).
// - notifyDuplicate: selected notifications are delivered a second time, same `id`, right after a 2xx.
// - notifyReorder: a selected notification is held back until the next notification (any merchant) has had its
//   first delivery attempt, so the two arrive in swapped order (held at most 2 s when no other one comes).
// - callError5xx: selected /v3 calls answer 500 SYSTEM_ERROR (signed) before doing anything.
// - callTimeoutMs: every /v3 call takes effect, then its answer is held this long, so a client with a shorter
//   timeout sees a timeout while the change happened (the "outcome unknown" case).
// - refundResult: the final status of new refunds: SUCCESS (default), ABNORMAL or CLOSED (the money comes back).
// - billTamper: injected bill discrepancies for the next download(s) of a day's bill (see bill-tamper.ts).
import { checkBillTampers, type BillTamper } from './bill-tamper';

export interface WechatpayFaults {
  notifyDelayMs: number;
  notifyDrop: number | boolean;
  notifyDuplicate: number | boolean;
  notifyReorder: number | boolean;
  callError5xx: number | boolean;
  callTimeoutMs: number;
  refundResult: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  /** Pending bill changes; setting the knob replaces the list ([] clears it). */
  billTamper: BillTamper[];
}

export const NO_FAULTS: WechatpayFaults = {
  notifyDelayMs: 0,
  notifyDrop: 0,
  notifyDuplicate: 0,
  notifyReorder: 0,
  callError5xx: 0,
  callTimeoutMs: 0,
  refundResult: 'SUCCESS',
  billTamper: [],
};

type RateKnob = 'notifyDrop' | 'notifyDuplicate' | 'notifyReorder' | 'callError5xx';

const RATE_KNOBS: RateKnob[] = ['notifyDrop', 'notifyDuplicate', 'notifyReorder', 'callError5xx'];

function rateOf(value: number | boolean): number {
  if (value === true) return 1;
  if (value === false) return 0;
  return Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
}

/** Validates a partial knob set (from options, PUT /faults, env or CLI); throws with a readable message. */
export function checkFaults(input: unknown): Partial<WechatpayFaults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('faults must be an object');
  const out: Partial<WechatpayFaults> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'notifyDelayMs' || key === 'callTimeoutMs') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        throw new Error(`${key} must be a non-negative integer`);
      out[key] = value;
    } else if ((RATE_KNOBS as string[]).includes(key)) {
      if (typeof value !== 'boolean' && (typeof value !== 'number' || value < 0 || value > 1)) {
        throw new Error(`${key} must be a boolean or a rate between 0 and 1`);
      }
      out[key as RateKnob] = value as number | boolean;
    } else if (key === 'refundResult') {
      if (value !== 'SUCCESS' && value !== 'ABNORMAL' && value !== 'CLOSED')
        throw new Error('refundResult must be SUCCESS, ABNORMAL or CLOSED');
      out.refundResult = value;
    } else if (key === 'billTamper') {
      out.billTamper = checkBillTampers(value);
    } else {
      throw new Error(`unknown fault knob: ${key}`);
    }
  }
  return out;
}

export class Faults {
  private current: WechatpayFaults = { ...NO_FAULTS };
  private readonly sums = new Map<RateKnob, number>();

  constructor(initial: Partial<WechatpayFaults> = {}) {
    this.set(initial);
  }

  get value(): WechatpayFaults {
    return { ...this.current };
  }

  set(partial: Partial<WechatpayFaults>): void {
    const checked = checkFaults(partial);
    this.current = { ...this.current, ...checked };
    for (const key of Object.keys(checked)) this.sums.delete(key as RateKnob);
  }

  /** Offers a day's pending bill changes to the bill being written; a change that applied uses up a download. */
  useBillTampers(billDate: string, apply: (t: BillTamper) => boolean): void {
    if (this.current.billTamper.length === 0) return;
    const left: BillTamper[] = [];
    for (const t of this.current.billTamper) {
      const downloads = (t.downloads ?? 1) - (t.bill_date === billDate && apply(t) ? 1 : 0);
      if (downloads > 0) left.push({ ...t, downloads });
    }
    // Replaced, never mutated: `value` hands out the list without copying it.
    this.current = { ...this.current, billTamper: left };
  }

  /** Decides, deterministically, whether this event is hit by the knob. */
  hit(knob: RateKnob): boolean {
    const rate = rateOf(this.current[knob]);
    if (rate <= 0) return false;
    const sum = (this.sums.get(knob) ?? 0) + rate;
    const selected = sum >= 1 - 1e-9;
    this.sums.set(knob, selected ? sum - 1 : sum);
    return selected;
  }
}
