// Every status change goes through `transition` (shared/machine.ts), and every machine's table is sound.
// Method of the scan: read every source file under src/ (tests and the sandboxes — the providers' stand-ins, whose
// books are not Hutong's state — aside), cut each SQL `UPDATE … SET …` at its WHERE/RETURNING, and fail on one whose
// SET list names the status column anywhere but in the transition helper.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { reachable, type Machine } from './machine';
import { ORDER_MACHINE, REFUND_REQUEST_MACHINE } from '../orders/states';
import {
  ATTEMPT_MACHINE,
  ESCROW_RELEASE_MACHINE,
  PAYMENT_MACHINE,
  PROVIDER_ACCOUNT_MACHINE,
  REFUND_MACHINE,
} from '../payments/states';
import { ACTIVATION_MACHINE, WAVE_MACHINE } from '../rollout/states';
import { RECONCILIATION_RUN_MACHINE } from '../ledger/states';

const SRC = join(import.meta.dirname, '..');
const HELPER = 'shared/machine.ts';
const FILES_MAX = 2_000;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(SRC, path);
    if (rel === 'sandbox') continue;
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
    if (out.length > FILES_MAX) throw new Error('too many source files to scan');
  }
  return out;
}

/** The SET lists of every UPDATE statement in a text (an upsert's DO UPDATE SET included). */
export function setLists(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(
    /\bUPDATE\s+(?:[\w.${}]+\s+)?(?:\w+\s+)?SET\b([\s\S]*?)(?=\bWHERE\b|\bRETURNING\b|[`'"]\s*[,)]|$)/gi,
  ))
    out.push(m[1] ?? '');
  return out;
}

export function setsStatus(setList: string): boolean {
  return /(^|[\s,(])status\s*=/i.test(setList);
}

describe('every status change goes through transition()', () => {
  test('the scan recognises a status write and ignores a status condition', () => {
    expect(setLists("UPDATE refunds SET step = $2, status = 'pending' WHERE id = $1").some(setsStatus)).toBe(true);
    expect(setLists('INSERT INTO x VALUES (1) ON CONFLICT (id) DO UPDATE SET status = $2').some(setsStatus)).toBe(true);
    expect(setLists("UPDATE orders SET refund_paused_at = $2 WHERE id = $1 AND status = 'paid'").some(setsStatus)).toBe(
      false,
    );
    expect(setLists('UPDATE idempotency_keys SET response_status = $2 WHERE scope = $1').some(setsStatus)).toBe(false);
  });

  test('no SQL outside the transition helper sets a status column', () => {
    const offenders: string[] = [];
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const rel = relative(SRC, file);
      if (rel === HELPER) continue;
      for (const set of setLists(readFileSync(file, 'utf8')))
        if (setsStatus(set)) offenders.push(`${rel}: SET${set.slice(0, 80)}`);
    }
    expect(offenders).toEqual([]);
  });

  test('the helper itself is found by the scan (the scan is not blind)', () => {
    expect(setLists(readFileSync(join(SRC, HELPER), 'utf8')).some(setsStatus)).toBe(true);
  });
});

const MACHINES: Machine<string>[] = [
  ORDER_MACHINE,
  REFUND_REQUEST_MACHINE,
  PAYMENT_MACHINE,
  ATTEMPT_MACHINE,
  REFUND_MACHINE,
  ESCROW_RELEASE_MACHINE,
  PROVIDER_ACCOUNT_MACHINE,
  ACTIVATION_MACHINE,
  WAVE_MACHINE,
  RECONCILIATION_RUN_MACHINE,
] as Machine<string>[];

describe.each(MACHINES.map((m) => [m.name, m] as const))('the %s machine', (_name, m) => {
  test('every target is a known state and every state is reachable from an initial one', () => {
    for (const s of m.statuses)
      for (const to of m.transitions[s] ?? expect.fail(`${s} has no row`)) expect(m.statuses).toContain(to);
    for (const s of m.initial) expect(m.statuses).toContain(s);
    expect([...reachable(m)].sort()).toEqual([...m.statuses].sort());
  });

  test('its table has one row per state and nothing else', () => {
    expect(Object.keys(m.transitions).sort()).toEqual([...m.statuses].sort());
  });
});
