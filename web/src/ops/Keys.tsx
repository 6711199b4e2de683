// Every kind of API key for ops: storefronts' publishable keys and merchants' keys (create, rotate, revoke), and the
// ops keys. Secrets are shown once, when made.
import { useState } from 'react';
import { useT } from '../shared/i18n';
import { KeysTable, NewKeyForm, NewSecret, keysDict } from '../shared/keys';
import { ops } from './messages';
import { useApi } from './session';

export function KeysPage() {
  const t = useT({ ...keysDict, ...ops });
  const api = useApi();
  const [secret, setSecret] = useState<string | null>(null);
  const [made, setMade] = useState(0);
  const [merchantId, setMerchantId] = useState('');
  const shown = (key: string) => {
    setSecret(key);
    setMade((n) => n + 1);
  };
  return (
    <>
      <h1>{t('keys')}</h1>
      {secret && <NewSecret secret={secret} />}

      <h2>{t('keys_publishable')}</h2>
      <p>{t('keys_publishable_hint')}</p>
      <NewKeyForm
        label={t('keys_storefront_name')}
        create={async (name) => shown((await api.post<{ key: string }>('/v1/publishable-keys', { name })).key)}
      />
      <KeysTable api={api} listPath="/v1/publishable-keys" reloadToken={made} onSecret={shown} />

      <h2>{t('keys_merchant')}</h2>
      <label>
        {t('keys_merchant_id')}
        <input
          name="merchant-id"
          value={merchantId}
          maxLength={64}
          onChange={(e) => setMerchantId(e.target.value.trim())}
          placeholder="mch_…"
        />
      </label>
      {merchantId && (
        <NewKeyForm
          label={t('key_label')}
          create={async (label) =>
            shown(
              (await api.post<{ key: string }>(`/v1/merchants/${encodeURIComponent(merchantId)}/api-keys`, { label }))
                .key,
            )
          }
        />
      )}
      <KeysTable api={api} listPath="/v1/api-keys?role=merchant" reloadToken={made} showRole onSecret={shown} />

      <h2>{t('keys_ops')}</h2>
      <KeysTable api={api} listPath="/v1/api-keys?role=ops" reloadToken={made} onSecret={shown} />
    </>
  );
}
