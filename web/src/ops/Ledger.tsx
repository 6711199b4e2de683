// The ledger's trial balance: every account's balance and whether they sum to zero.
import { useT } from '../shared/i18n';
import { Money, Show, useResource } from '../shared/ui';
import { ops } from './messages';
import { useApi } from './session';

interface TrialBalance {
  balanced: boolean;
  accounts: Array<{ account: string; balance: number }>;
}

export function TrialBalancePage() {
  const t = useT(ops);
  const api = useApi();
  const res = useResource(() => api.get<TrialBalance>('/v1/ledger/trial-balance'), []);
  return (
    <>
      <h1>{t('trial_balance')}</h1>
      <Show res={res}>
        {(tb) => (
          <>
            <p
              className={`notice ${tb.balanced ? 'ok' : 'error'} trial-balance-state`}
              data-balanced={String(tb.balanced)}
            >
              {t(tb.balanced ? 'balanced' : 'unbalanced')}
            </p>
            <div className="table-wrap">
              <table className="trial-balance">
                <thead>
                  <tr>
                    <th>{t('account')}</th>
                    <th className="num">{t('balance')}</th>
                  </tr>
                </thead>
                <tbody>
                  {tb.accounts.map((a) => (
                    <tr key={a.account}>
                      <td>
                        <code>{a.account}</code>
                      </td>
                      <td className="num">
                        <Money fen={a.balance} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {tb.accounts.length === 0 && <p className="muted">{t('empty')}</p>}
            </div>
          </>
        )}
      </Show>
    </>
  );
}
