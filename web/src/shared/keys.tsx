// API keys in the consoles: the list (prefix, label, created, last used, expiry, status — never a secret), rotation
// (a new key now, the old one working for an overlap) and revocation. A new key's secret is shown once, here.
import { useState, type FormEvent } from 'react';
import { listAll, type Api } from './api';
import { useT, type Dict } from './i18n';
import { common } from './messages';
import { Badge, ErrorNote, Show, useAction, useResource, useTime } from './ui';

export interface ApiKeyRow {
  id: string;
  role: string;
  merchant_id: string | null;
  label: string | null;
  prefix: string | null;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
}

export const keysDict = {
  ...common,
  keys: ['API 密钥', 'API keys'],
  key_prefix: ['前缀', 'Prefix'],
  key_label: ['用途', 'Label'],
  key_role: ['角色', 'Role'],
  key_last_used: ['最近使用', 'Last used'],
  key_expires: ['过期时间', 'Expires'],
  key_never: ['从不', 'Never'],
  key_rotate: ['轮换', 'Rotate'],
  key_revoke: ['吊销', 'Revoke'],
  key_revoke_confirm: ['吊销后该密钥将在几秒内失效，确定吗？', 'The key stops working within seconds. Revoke it?'],
  key_new: ['新密钥（只显示这一次，请立即保存）', 'New key (shown only this once — store it now)'],
  key_status_active: ['有效', 'Active'],
  key_status_expired: ['已过期', 'Expired'],
  key_status_revoked: ['已吊销', 'Revoked'],
  key_rotated_note: ['旧密钥在 1 小时内仍可使用，之后过期。', 'The old key keeps working for an hour, then expires.'],
  key_create: ['创建', 'Create'],
} satisfies Dict;

/** The overlap the consoles rotate with: time enough to deploy the new key. */
const ROTATION_OVERLAP_SECONDS = 3600;

export function NewSecret({ secret }: { secret: string }) {
  const t = useT(keysDict);
  return (
    <div className="card notice" data-testid="new-key">
      <strong>{t('key_new')}</strong>
      <pre className="secret">{secret}</pre>
    </div>
  );
}

/** A table of keys with rotate and revoke; `listPath` answers `{ data, next_cursor }` of ApiKeyRow. */
export function KeysTable({
  api,
  listPath,
  reloadToken,
  showRole,
  onSecret,
}: {
  api: Api;
  listPath: string;
  reloadToken?: number;
  showRole?: boolean;
  onSecret(secret: string): void;
}) {
  const t = useT(keysDict);
  const time = useTime();
  const [version, setVersion] = useState(0);
  const res = useResource(() => listAll<ApiKeyRow>(api, listPath), [listPath, version, reloadToken]);
  const action = useAction();
  const rotate = (row: ApiKeyRow) =>
    void action.run(async () => {
      const made = await api.post<{ key: string }>(`/v1/api-keys/${encodeURIComponent(row.id)}/rotate`, {
        overlap_seconds: ROTATION_OVERLAP_SECONDS,
      });
      onSecret(made.key);
      setVersion((v) => v + 1);
    });
  const revoke = (row: ApiKeyRow) => {
    if (!window.confirm(t('key_revoke_confirm'))) return;
    void action.run(async () => {
      await api.del(`/v1/api-keys/${encodeURIComponent(row.id)}`);
      setVersion((v) => v + 1);
    });
  };
  return (
    <>
      {action.error !== undefined && <ErrorNote error={action.error} />}
      <Show res={res}>
        {(rows) =>
          rows.length === 0 ? (
            <p>{t('empty')}</p>
          ) : (
            <div className="table-wrap">
              <table className="keys">
                <thead>
                  <tr>
                    <th>{t('key_prefix')}</th>
                    {showRole && <th>{t('key_role')}</th>}
                    <th>{t('key_label')}</th>
                    <th>{t('created_at')}</th>
                    <th>{t('key_last_used')}</th>
                    <th>{t('key_expires')}</th>
                    <th>{t('status')}</th>
                    <th>{t('actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.id} data-key-id={row.id}>
                      <td>
                        <code>{row.prefix ? `${row.prefix}…` : row.id}</code>
                      </td>
                      {showRole && (
                        <td>
                          {row.role}
                          {row.merchant_id ? ` · ${row.merchant_id}` : ''}
                        </td>
                      )}
                      <td>{row.label ?? ''}</td>
                      <td>{time(row.created_at)}</td>
                      <td>{row.last_used_at ? time(row.last_used_at) : '—'}</td>
                      <td>{row.expires_at ? time(row.expires_at) : t('key_never')}</td>
                      <td>
                        <Badge kind={row.status}>{t(`key_status_${row.status}`)}</Badge>
                      </td>
                      <td>
                        {row.status === 'active' && !row.replaced_by && (
                          <button type="button" disabled={action.busy} onClick={() => rotate(row)}>
                            {t('key_rotate')}
                          </button>
                        )}
                        {row.status === 'active' && (
                          <button type="button" className="danger" disabled={action.busy} onClick={() => revoke(row)}>
                            {t('key_revoke')}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}

/** A one-field form that creates a key (`name` or `label`) and shows its secret. */
export function NewKeyForm({
  label,
  placeholder,
  create,
}: {
  label: string;
  placeholder?: string;
  create(text: string): Promise<void>;
}) {
  const t = useT(keysDict);
  const [text, setText] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await create(text.trim());
      setText('');
    });
  };
  return (
    <form className="card row" onSubmit={submit}>
      <label>
        {label}
        <input
          name="key-label"
          value={text}
          maxLength={100}
          placeholder={placeholder}
          onChange={(e) => setText(e.target.value)}
          required
        />
      </label>
      <button type="submit" disabled={action.busy}>
        {t('key_create')}
      </button>
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}
