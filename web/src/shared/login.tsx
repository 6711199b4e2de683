// The consoles' login: an API key (the demo prints them), checked once, kept in sessionStorage for the tab.
import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorNote } from './ui';
import { LangSwitch, useT } from './i18n';
import { common } from './messages';

export function sessionKey(storageKey: string): { get(): string | null; set(key: string): void; clear(): void } {
  return {
    get: () => sessionStorage.getItem(storageKey),
    set: (key) => sessionStorage.setItem(storageKey, key),
    clear: () => sessionStorage.removeItem(storageKey),
  };
}

export function LoginForm({
  title,
  hint,
  verify,
  onDone,
}: {
  title: string;
  hint: ReactNode;
  verify(key: string): Promise<void>;
  onDone(key: string): void;
}) {
  const t = useT(common);
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await verify(key.trim());
      onDone(key.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <div className="login-lang">
        <LangSwitch />
      </div>
      <h1>{title}</h1>
      <p className="muted">{hint}</p>
      <form onSubmit={submit} className="card">
        <label>
          {t('api_key')}
          <input
            name="api_key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
          />
        </label>
        <button type="submit" disabled={busy || !key.trim()}>
          {t('login')}
        </button>
        {error !== undefined && <ErrorNote error={error} />}
      </form>
    </main>
  );
}
