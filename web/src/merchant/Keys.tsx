// The merchant's own API keys: listed without secrets, rotated (the new key shown once) and revoked.
import { useState } from 'react';
import { useT } from '../shared/i18n';
import { KeysTable, NewSecret, keysDict } from '../shared/keys';
import { useSession } from './session';

export function KeysPage() {
  const t = useT(keysDict);
  const { api, merchant } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <>
      <h1>{t('keys')}</h1>
      {secret && <NewSecret secret={secret} />}
      {secret && <p>{t('key_rotated_note')}</p>}
      <KeysTable
        api={api}
        listPath={`/v1/merchants/${encodeURIComponent(merchant.id)}/api-keys`}
        onSecret={setSecret}
      />
    </>
  );
}
