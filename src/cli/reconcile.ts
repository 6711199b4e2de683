// `hutong reconcile --provider wechatpay --date YYYY-MM-DD`: a progress bar on stderr while the bills download and
// match, then a summary on stdout. Exit 0 when clean, 1 when there are mismatches, 2 when the run failed.
import cliProgress from 'cli-progress';
import type { ProviderName } from '../providers/types';
import type { Mismatch } from '../ledger/reconciliation-match';
import type { BillSummary } from '../ledger/reconciliation';
import type { Backend, RunJson } from './backend';
import { table, yuan } from './output';

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const KINDS = [
  'missing_in_hutong',
  'missing_at_provider',
  'amount_differs',
  'fee_differs',
  'status_differs',
  'kept_from_losing_attempt',
] as const;
/** The summary lists this many mismatches; --json has them all. */
const LISTED_MISMATCHES_MAX = 50;

export async function reconcileCommand(
  backend: Backend,
  opts: { provider: ProviderName; date: string; json?: boolean },
  io: Io,
): Promise<number> {
  const bar = new cliProgress.SingleBar(
    {
      stream: io.err,
      format: `reconcile ${opts.provider} ${opts.date} [{bar}] {value}/{total} {phase}`,
      clearOnComplete: true,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let run: RunJson;
  try {
    run = await backend.reconcile(opts.provider, opts.date, (p) => {
      if (!started) bar.start(p.total, p.done, { phase: p.phase });
      started = true;
      bar.setTotal(p.total);
      bar.update(p.done, { phase: p.phase });
    });
  } finally {
    if (started) bar.stop();
  }
  if (opts.json) io.out.write(`${JSON.stringify(run, null, 2)}\n`);
  else io.out.write(summary(run));
  if (run.status !== 'completed') return 2;
  return run.mismatches.length > 0 ? 1 : 0;
}

function summary(run: RunJson): string {
  const head = `Reconciliation ${run.id}: ${run.provider} ${run.date} — ${run.status}\n`;
  if (run.status !== 'completed') return `${head}error: ${run.error ?? 'unknown'}\n`;
  const mismatches = run.mismatches as Mismatch[];
  const bills = run.bills as BillSummary[];
  const counts = KINDS.map((kind) => [kind, mismatches.filter((m) => m.kind === kind).length] as [string, number]);
  let text = `${head}\n${table(
    ['bill', 'lines', 'matched'],
    bills.map((b) => [b.bill, b.lines, b.matched]),
  )}`;
  text += `\nmatched: ${run.matched}, mismatches: ${mismatches.length}\n${table(['mismatch kind', 'count'], counts)}`;
  if (mismatches.length === 0) return text;
  const listed = mismatches
    .slice(0, LISTED_MISMATCHES_MAX)
    .map((m) => [m.kind, m.line, reference(m), yuan(m.provider_amount), yuan(m.hutong_amount), extra(m)]);
  text += `\n${table(['kind', 'line', 'reference', 'provider ¥', 'hutong ¥', 'detail'], listed)}`;
  if (mismatches.length > LISTED_MISMATCHES_MAX)
    text += `… and ${mismatches.length - LISTED_MISMATCHES_MAX} more (--json lists all)\n`;
  return text;
}

/** The provider's numbers to look the line up by, then ours. */
function reference(m: Mismatch): string {
  const p = m.provider_ref ?? {};
  const theirs =
    p.out_refund_no ??
    (p.out_order_no ? `${p.out_order_no} → ${p.receiver}` : `${p.out_trade_no ?? ''} (${p.transaction_id ?? ''})`);
  return m.hutong_ref?.order_id ? `${theirs} / ${m.hutong_ref.order_id}` : theirs;
}

function extra(m: Mismatch): string {
  if (m.kind === 'fee_differs') return `fee ${yuan(m.provider_fee)} vs ${yuan(m.hutong_fee)}`;
  if (m.kind === 'status_differs') return `status ${m.provider_status} vs ${m.hutong_status}`;
  return m.note ?? '';
}
