// The audit log of methods, waves and activations: who changed what, when, from what to what (newest first).
import type { Api } from '../shared/api';
import { useT } from '../shared/i18n';
import { Show, useResource, useTime } from '../shared/ui';
import { ops } from './messages';
import { useApi } from './session';

interface AuditRow {
  id: number;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  at: string;
}

const PAGE_SIZE = 500;
const PAGES_MAX = 10;

async function loadAudit(api: Api): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  let after: string | null = '0';
  for (let i = 0; i < PAGES_MAX && after !== null; i++) {
    const page: { data: AuditRow[]; next_cursor: string | null } = await api.get(
      `/v1/audit-log?limit=${PAGE_SIZE}&after=${after}`,
    );
    rows.push(...page.data);
    after = page.next_cursor;
  }
  return rows.reverse();
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === null || v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

/** Only what changed (`enabled: false → true`); a timestamp that moves with every change is left out. */
function changeText(before: unknown, after: unknown): string {
  if (!isRecord(before) || !isRecord(after)) return `${show(before)} → ${show(after)}`;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== 'updated_at');
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return changed.map((k) => `${k}: ${show(before[k])} → ${show(after[k])}`).join('; ');
}

export function AuditPage() {
  const t = useT(ops);
  const time = useTime();
  const api = useApi();
  const res = useResource(() => loadAudit(api), []);
  return (
    <>
      <h1>{t('audit')}</h1>
      <Show res={res}>
        {(rows) => (
          <div className="table-wrap">
            <table className="audit">
              <thead>
                <tr>
                  <th>{t('at')}</th>
                  <th>{t('actor')}</th>
                  <th>{t('action')}</th>
                  <th>{t('subject')}</th>
                  <th>{t('change')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-action={r.action}>
                    <td>{time(r.at)}</td>
                    <td>
                      <code>{r.actor}</code>
                    </td>
                    <td>{r.action}</td>
                    <td>
                      <code>{r.subject}</code>
                    </td>
                    <td>
                      <small>
                        <code>{changeText(r.before, r.after)}</code>
                      </small>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {rows.length === 0 && <p className="muted">{t('empty')}</p>}
          </div>
        )}
      </Show>
    </>
  );
}
