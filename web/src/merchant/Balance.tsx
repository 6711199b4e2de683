// What the providers hold for this merchant (frozen / available) and the ledger entries behind it.
import { useT } from '../shared/i18n';
import type { MethodName } from '../shared/types';
import { Money, Show, useResource, useTime } from '../shared/ui';
import { merchant } from './messages';
import { useSession } from './session';

interface Balance {
  merchant_id: string;
  balances: Array<{ provider: MethodName; frozen: number; available: number }>;
}

export interface LedgerEntry {
  id: string;
  cause: string;
  description: string | null;
  order_id: string | null;
  occurred_at: string;
  postings: Array<{ account: string; amount: number }>;
}

/** A merchant key reads only its own entries (newest first). */
const ENTRIES_PATH = '/v1/ledger/entries?limit=100';

/** `provider:wechatpay:merchant:mch_x:frozen` → `wechatpay · frozen`: the merchant part is implied here. */
function shortAccount(account: string, merchantId: string): string {
  return account.replace(`merchant:${merchantId}:`, '').replaceAll(':', ' · ');
}

function EntriesTable({ entries, merchantId }: { entries: LedgerEntry[]; merchantId: string }) {
  const t = useT(merchant);
  const time = useTime();
  return (
    <div className="table-wrap">
      <table className="entries">
        <thead>
          <tr>
            <th>{t('at')}</th>
            <th>{t('event')}</th>
            <th>{t('account')}</th>
            <th className="num">{t('amount')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.flatMap((e) =>
            e.postings.map((l, i) => (
              <tr key={`${e.id}:${i}`} data-entry-id={e.id}>
                <td>{i === 0 ? time(e.occurred_at) : ''}</td>
                <td>
                  {i === 0 ? (
                    <span title={e.description ?? ''}>
                      {e.cause}
                      {e.order_id ? ` · ${e.order_id}` : ''}
                    </span>
                  ) : (
                    ''
                  )}
                </td>
                <td className={l.account.includes(`merchant:${merchantId}:`) ? 'own-account' : 'muted'}>
                  <code>{shortAccount(l.account, merchantId)}</code>
                </td>
                <td className="num">
                  <Money fen={l.amount} />
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      {entries.length === 0 && <p className="muted">{t('empty')}</p>}
    </div>
  );
}

export function BalancePage() {
  const t = useT(merchant);
  const { api, merchant: me } = useSession();
  const balance = useResource(() => api.get<Balance>(`/v1/merchants/${encodeURIComponent(me.id)}/balance`), [me.id]);
  const entries = useResource(() => api.get<{ data: LedgerEntry[] }>(ENTRIES_PATH), [me.id]);
  return (
    <>
      <h1>{t('balance')}</h1>
      <p className="muted">{t('balance_intro')}</p>
      <Show res={balance}>
        {(b) => (
          <div className="grid balances">
            {b.balances.map((x) => (
              <div className="card" key={x.provider} data-provider={x.provider}>
                <div className="product-name">{t(`method_${x.provider}`)}</div>
                <div>
                  {t('frozen')}: <Money fen={x.frozen} />
                </div>
                <div>
                  {t('available')}: <Money fen={x.available} />
                </div>
              </div>
            ))}
          </div>
        )}
      </Show>
      <h2>{t('entries')}</h2>
      <Show res={entries}>{(page) => <EntriesTable entries={page.data} merchantId={me.id} />}</Show>
    </>
  );
}
