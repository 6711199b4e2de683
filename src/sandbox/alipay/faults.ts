// The fault knobs' live state. Counters (drop, duplicate, reorder, 5xx) fire once per event and count down.
import { NO_FAULTS, type AlipayFaults } from './types';
import { parseBillTampers, type BillTamper } from './bill-tamper';

/** The knobs plus the pending bill changes (bill-tamper.ts); setting billTamper replaces the list. */
export type FaultKnobs = AlipayFaults & { billTamper: BillTamper[] };

const FAULT_NAMES = Object.keys(NO_FAULTS) as (keyof AlipayFaults)[];
const FAULT_VALUE_MAX = 1_000_000_000;

export type CounterFault = 'notifyDrop' | 'notifyDuplicate' | 'notifyReorder' | 'callError5xx';

export class FaultState {
  private faults: AlipayFaults = { ...NO_FAULTS };
  private billTamper: BillTamper[] = [];

  constructor(initial?: Partial<FaultKnobs>) {
    if (initial) this.set(initial);
  }

  /** Merges the given knobs; throws on anything but non-negative integers of known names (or a bad billTamper). */
  set(partial: Partial<FaultKnobs>): FaultKnobs {
    const checked = parseFaults(partial);
    if (typeof checked === 'string') throw new Error(checked);
    const { billTamper, ...counters } = checked;
    this.faults = { ...this.faults, ...counters };
    if (billTamper) this.billTamper = billTamper;
    return this.get();
  }

  get(): FaultKnobs {
    return { ...this.faults, billTamper: this.billTamper.map((t) => ({ ...t })) };
  }

  /** Offers a day's pending bill changes to the bill being written; a change that applied uses up a download. */
  useBillTampers(billDate: string, apply: (t: BillTamper) => boolean): void {
    const left: BillTamper[] = [];
    for (const t of this.billTamper) {
      const downloads = (t.downloads ?? 1) - (t.bill_date === billDate && apply(t) ? 1 : 0);
      if (downloads > 0) left.push({ ...t, downloads });
    }
    this.billTamper = left;
  }

  /** Consumes one unit of a counter fault; true when it fires. */
  take(name: CounterFault): boolean {
    if (this.faults[name] <= 0) return false;
    this.faults[name] -= 1;
    return true;
  }

  value(name: 'notifyDelayMs' | 'callTimeoutMs'): number {
    return this.faults[name];
  }
}

/** Validates a partial fault set from JSON; returns an error message when invalid. */
export function parseFaults(input: unknown): Partial<FaultKnobs> | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'faults must be a JSON object';
  const out: Partial<FaultKnobs> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'billTamper') {
      const tampers = parseBillTampers(value);
      if (typeof tampers === 'string') return tampers;
      out.billTamper = tampers;
      continue;
    }
    if (!FAULT_NAMES.includes(key as keyof AlipayFaults))
      return `unknown fault "${key}" (known: ${FAULT_NAMES.join(', ')})`;
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > FAULT_VALUE_MAX) {
      return `fault "${key}" must be a non-negative integer`;
    }
    out[key as keyof AlipayFaults] = value as number;
  }
  return out;
}
