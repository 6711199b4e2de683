// The fault knobs' live state. Counters (drop, duplicate, reorder, 5xx) fire once per event and count down.
import { NO_FAULTS, type AlipayFaults } from './types';

const FAULT_NAMES = Object.keys(NO_FAULTS) as (keyof AlipayFaults)[];
const FAULT_VALUE_MAX = 1_000_000_000;

export type CounterFault = 'notifyDrop' | 'notifyDuplicate' | 'notifyReorder' | 'callError5xx';

export class FaultState {
  private faults: AlipayFaults = { ...NO_FAULTS };

  constructor(initial?: Partial<AlipayFaults>) {
    if (initial) this.set(initial);
  }

  /** Merges the given knobs; throws on anything but non-negative integers of known names. */
  set(partial: Partial<AlipayFaults>): AlipayFaults {
    const checked = parseFaults(partial);
    if (typeof checked === 'string') throw new Error(checked);
    this.faults = { ...this.faults, ...checked };
    return this.get();
  }

  get(): AlipayFaults {
    return { ...this.faults };
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
export function parseFaults(input: unknown): Partial<AlipayFaults> | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'faults must be a JSON object';
  const out: Partial<AlipayFaults> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!FAULT_NAMES.includes(key as keyof AlipayFaults)) return `unknown fault "${key}" (known: ${FAULT_NAMES.join(', ')})`;
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > FAULT_VALUE_MAX) {
      return `fault "${key}" must be a non-negative integer`;
    }
    out[key as keyof AlipayFaults] = value as number;
  }
  return out;
}
