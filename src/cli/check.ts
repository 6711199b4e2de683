// `hutong check`: every ledger invariant, each printed with ok or its violations. Exit 0 when all hold, 1 on any
// violation, 2 when a check could not run.
import type { InvariantResult } from '../ledger/invariants';
import type { Backend } from './backend';
import type { Io } from './reconcile';

/** Each invariant prints at most this many violations; --json has them all. */
const LISTED_VIOLATIONS_MAX = 20;

export async function checkCommand(backend: Backend, opts: { json?: boolean }, io: Io): Promise<number> {
  const results = await backend.checkInvariants((r) => {
    if (!opts.json) io.out.write(describe(r));
  });
  if (opts.json)
    io.out.write(
      `${JSON.stringify({ ok: results.every((r) => r.violations.length === 0), invariants: results }, null, 2)}\n`,
    );
  const violated = results.filter((r) => r.violations.length > 0);
  if (!opts.json)
    io.out.write(violated.length === 0 ? '\nall invariants hold\n' : `\n${violated.length} invariant(s) violated\n`);
  return violated.length === 0 ? 0 : 1;
}

function describe(r: InvariantResult): string {
  const status =
    r.violations.length > 0
      ? `${r.violations.length} violation(s)`
      : r.skipped
        ? `ok (partly skipped: ${r.skipped})`
        : 'ok';
  let text = `${r.name.padEnd(32)} ${status}  — ${r.description}\n`;
  for (const v of r.violations.slice(0, LISTED_VIOLATIONS_MAX)) {
    const amounts =
      v.ledger !== undefined || v.provider !== undefined
        ? ` (ledger ${v.ledger ?? '—'}, provider ${v.provider ?? '—'})`
        : '';
    text += `    ${v.ref}: ${v.detail}${amounts}\n`;
  }
  if (r.violations.length > LISTED_VIOLATIONS_MAX)
    text += `    … and ${r.violations.length - LISTED_VIOLATIONS_MAX} more\n`;
  return text;
}
