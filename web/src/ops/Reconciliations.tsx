// Reconciliation runs: start one for a provider's bill day, follow it until it completes, list its mismatches.
import { useEffect, useState, type FormEvent } from 'react';
import { isNotAvailable } from '../shared/api';
import { useT } from '../shared/i18n';
import { Link } from '../shared/router';
import { METHODS, type MethodName } from '../shared/types';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from '../shared/ui';
import { ops } from './messages';
import { useApi } from './session';

export interface ReconciliationRun {
  id: string;
  provider?: MethodName;
  date?: string;
  bill_date?: string;
  status: 'running' | 'completed' | 'failed';
  matched: number;
  mismatches: Array<{ kind: string } & Record<string, unknown>>;
  /** Per bill type: how many lines the provider's bill held and how many matched. */
  bills?: Array<{ bill: string; lines: number; matched: number }>;
  error?: string | null;
  created_at?: string;
}

const dayOf = (run: ReconciliationRun) => run.date ?? run.bill_date ?? '';

const POLL_INTERVAL_MS = 1500;
const KINDS = ['missing_in_hutong', 'missing_at_provider', 'amount_differs', 'fee_differs', 'status_differs'] as const;

/** Yesterday in Asia/Shanghai: the latest complete bill day. */
function yesterdayInShanghai(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() - 86_400_000));
}

function RunForm({ onStarted }: { onStarted(run: ReconciliationRun): void }) {
  const t = useT(ops);
  const api = useApi();
  const [provider, setProvider] = useState<MethodName>('wechatpay');
  const [date, setDate] = useState(yesterdayInShanghai);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () =>
      onStarted(await api.post<ReconciliationRun>('/v1/reconciliations', { provider, date })),
    );
  };
  return (
    <form className="card row recon-form" onSubmit={submit}>
      <label>
        {t('provider')}
        <select name="provider" value={provider} onChange={(e) => setProvider(e.target.value as MethodName)}>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {t(`method_${m}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('bill_date')}
        <input name="date" type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
      </label>
      <button type="submit" disabled={action.busy}>
        {t('run')}
      </button>
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

export function RunDetail({ runId }: { runId: string }) {
  const t = useT(ops);
  const api = useApi();
  const res = useResource(
    () => api.get<ReconciliationRun>(`/v1/reconciliations/${encodeURIComponent(runId)}`),
    [runId],
  );
  const running = res.data?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(res.reload, POLL_INTERVAL_MS);
    return () => clearTimeout(timer);
  }, [running, res.data, res.reload]);
  return (
    <Show res={res}>
      {(run) => (
        <section className="card recon-run" data-run-id={run.id} data-status={run.status}>
          <h2>
            {run.provider ? t(`method_${run.provider}`) : ''} {dayOf(run)}{' '}
            <Badge kind={run.status}>{t(`recon_${run.status}`)}</Badge>
          </h2>
          {run.error && <p className="notice error">{run.error}</p>}
          {run.bills && run.bills.length > 0 && (
            <ul className="bills">
              {run.bills.map((b) => (
                <li key={b.bill} data-bill={b.bill}>
                  {b.bill === 'trade' || b.bill === 'profit_sharing' ? t(`bill_${b.bill}`) : b.bill}:{' '}
                  {t('bill_lines', { n: b.lines, m: b.matched })}
                </li>
              ))}
            </ul>
          )}
          <p>
            {t('matched')}: <b className="matched">{run.matched}</b> · {t('mismatches')}:{' '}
            <b className="mismatch-count">{run.mismatches.length}</b>
          </p>
          {run.mismatches.length === 0 ? (
            <p className="muted">{t('no_mismatches')}</p>
          ) : (
            <div className="table-wrap">
              <table className="mismatches">
                <thead>
                  <tr>
                    <th>{t('kind')}</th>
                    <th>{t('details')}</th>
                  </tr>
                </thead>
                <tbody>
                  {run.mismatches.map((m, i) => {
                    const { kind, ...rest } = m;
                    return (
                      <tr key={i} data-kind={kind}>
                        <td>
                          <Badge kind="bad">
                            {(KINDS as readonly string[]).includes(kind) ? t(kind as (typeof KINDS)[number]) : kind}
                          </Badge>
                        </td>
                        <td>
                          <small>
                            <code>{JSON.stringify(rest)}</code>
                          </small>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </Show>
  );
}

export function ReconciliationsPage({ runId }: { runId?: string }) {
  const t = useT(ops);
  const time = useTime();
  const api = useApi();
  const [started, setStarted] = useState<string[]>(runId ? [runId] : []);
  // A list of past runs, where the server offers one.
  const list = useResource(
    () =>
      api.get<{ data: ReconciliationRun[] }>('/v1/reconciliations?limit=50').catch((err: unknown) => {
        if (isNotAvailable(err)) return { data: [] };
        throw err;
      }),
    [],
  );
  return (
    <>
      <h1>{t('recon')}</h1>
      <p className="muted">{t('recon_intro')}</p>
      <RunForm onStarted={(run) => setStarted((s) => [run.id, ...s.filter((x) => x !== run.id)])} />
      {started.map((id) => (
        <RunDetail key={id} runId={id} />
      ))}
      <Show res={list}>
        {({ data }) =>
          data.length > 0 && (
            <>
              <h2>{t('runs')}</h2>
              <ul>
                {data.map((r) => (
                  <li key={r.id}>
                    <Link to={`/ops/reconciliations/${r.id}`}>{r.id}</Link> · {r.provider} {dayOf(r)} ·{' '}
                    <Badge kind={r.status}>{t(`recon_${r.status}`)}</Badge> · {r.mismatches.length} ·{' '}
                    {time(r.created_at)}
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Show>
    </>
  );
}
