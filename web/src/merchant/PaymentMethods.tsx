// Payment methods for this merchant: the invitation (accept it with the agreement and onboarding details), the
// activation status per method, and the onboarding status of each provider account.
import { useState, type FormEvent } from 'react';
import { isNotAvailable } from '../shared/api';
import { useT } from '../shared/i18n';
import type { ActivationStatus, MethodName, ProviderAccount } from '../shared/types';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from '../shared/ui';
import { merchant } from './messages';
import { useSession } from './session';

export interface MethodActivation {
  method: MethodName;
  status: ActivationStatus;
  reason?: string;
  agreement_version?: string | null;
  reject_reasons?: string[] | null;
}

/** The agreement text this page shows; the server records the version the merchant accepted. */
const AGREEMENT_VERSION = '2025-01';
const ONBOARDING_FIELDS = [
  'merchant_name',
  'contact_name',
  'contact_phone',
  'id_card_number',
  'bank_account_number',
] as const;

function AcceptForm({ activation, onDone }: { activation: MethodActivation; onDone(): void }) {
  const t = useT(merchant);
  const { api, merchant: me } = useSession();
  const version = AGREEMENT_VERSION;
  const [agreed, setAgreed] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const onboarding = Object.fromEntries(
      Object.entries(fields)
        .map(([k, v]) => [k, v.trim()])
        .filter(([, v]) => v),
    );
    void action.run(async () => {
      await api.post(`/v1/merchants/${me.id}/payment-methods/${activation.method}/accept`, {
        agreement_version: version,
        ...(Object.keys(onboarding).length ? { onboarding } : {}),
      });
      onDone();
    });
  };
  return (
    <form className="card accept-form" onSubmit={submit}>
      <h2>{t('invitation_title')}</h2>
      <p>{t('invitation_text')}</p>
      <h3>{t('onboarding')}</h3>
      <div className="row">
        {ONBOARDING_FIELDS.map((f) => (
          <label key={f}>
            {t(`f_${f}`)}
            <input
              name={f}
              value={fields[f] ?? ''}
              maxLength={128}
              autoComplete="off"
              onChange={(e) => setFields({ ...fields, [f]: e.target.value })}
            />
          </label>
        ))}
      </div>
      <p>
        <label className="inline">
          <input type="checkbox" name="agreement" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} />
          {t('agreement', { v: version })}
        </label>
      </p>
      <button type="submit" disabled={!agreed || action.busy}>
        {t('accept')}
      </button>
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

function Activations({ onChange }: { onChange(): void }) {
  const t = useT(merchant);
  const { api, merchant: me } = useSession();
  const res = useResource(
    () => api.get<{ data: MethodActivation[] }>(`/v1/merchants/${me.id}/payment-methods`),
    [me.id],
  );
  const reload = () => {
    res.reload();
    onChange();
  };
  if (res.error !== undefined && isNotAvailable(res.error)) return <ErrorNote error={res.error} />;
  return (
    <Show res={res}>
      {({ data }) => (
        <>
          <ul className="methods activations">
            {data.map((a) => (
              <li key={a.method} className={`method method-${a.method}`} data-method={a.method} data-status={a.status}>
                <span className="method-name">{t(`method_${a.method}`)}</span>
                <span>
                  <Badge kind={a.status}>{t(`activation_${a.status}`)}</Badge>
                  {a.reason && <small> {a.reason}</small>}
                  {a.reject_reasons && a.reject_reasons.length > 0 && <small> {a.reject_reasons.join('; ')}</small>}
                </span>
              </li>
            ))}
          </ul>
          {data
            .filter((a) => a.status === 'invited' || a.status === 'rejected')
            .map((a) => (
              <AcceptForm key={a.method} activation={a} onDone={reload} />
            ))}
        </>
      )}
    </Show>
  );
}

function ProviderAccounts({ version }: { version: number }) {
  const t = useT(merchant);
  const time = useTime();
  const { api, merchant: me } = useSession();
  const res = useResource(
    () => api.get<{ data: ProviderAccount[] }>(`/v1/merchants/${me.id}/provider-accounts`),
    [me.id, version],
  );
  return (
    <Show res={res}>
      {({ data }) => (
        <div className="table-wrap">
          <table className="provider-accounts">
            <thead>
              <tr>
                <th>{t('provider')}</th>
                <th>{t('status')}</th>
                <th>{t('sub_merchant_id')}</th>
                <th>{t('created_at')}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((a) => (
                <tr key={a.provider} data-provider={a.provider} data-status={a.status}>
                  <td>{t(`method_${a.provider}`)}</td>
                  <td>
                    <Badge kind={a.status}>{t(`account_${a.status}`)}</Badge>
                    {a.linked && <small> {t('linked')}</small>}
                    {a.reject_reasons && <small> {a.reject_reasons.join('; ')}</small>}
                  </td>
                  <td>
                    <code>{a.sub_merchant_id ?? '—'}</code>
                  </td>
                  <td>{time(a.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.length === 0 && <p className="muted">{t('empty')}</p>}
        </div>
      )}
    </Show>
  );
}

export function PaymentMethodsPage() {
  const t = useT(merchant);
  const [version, setVersion] = useState(0);
  return (
    <>
      <h1>{t('methods')}</h1>
      <p className="muted">{t('methods_intro')}</p>
      <Activations onChange={() => setVersion((v) => v + 1)} />
      <h2>{t('provider_accounts')}</h2>
      <ProviderAccounts version={version} />
    </>
  );
}
