// The operations console, served at /ops.
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../shared/style.css';
import { createApi } from '../shared/api';
import { LangProvider, useT } from '../shared/i18n';
import { LoginForm } from '../shared/login';
import { match, usePath } from '../shared/router';
import { Header } from '../shared/ui';
import { AuditPage } from './Audit';
import { KeysPage } from './Keys';
import { TrialBalancePage } from './Ledger';
import { MethodsPage } from './Methods';
import { ops as dict } from './messages';
import { ReconciliationsPage } from './Reconciliations';
import { ApiContext, checkOpsKey, opsKey } from './session';
import { WaveDetailPage } from './WaveDetail';
import { WavesPage } from './Waves';

function Page({ path }: { path: string }) {
  let p: Record<string, string> | null;
  if ((p = match('/ops/waves/:id', path))) return <WaveDetailPage key={p.id} waveId={p.id!} />;
  if (path.startsWith('/ops/waves')) return <WavesPage />;
  if (path.startsWith('/ops/audit')) return <AuditPage />;
  if (path.startsWith('/ops/keys')) return <KeysPage />;
  if (path.startsWith('/ops/ledger')) return <TrialBalancePage />;
  if ((p = match('/ops/reconciliations/:id', path))) return <ReconciliationsPage key={p.id} runId={p.id} />;
  if (path.startsWith('/ops/reconciliations')) return <ReconciliationsPage />;
  return <MethodsPage />;
}

function Console({ onLogout }: { onLogout(): void }) {
  const t = useT(dict);
  const path = usePath();
  const api = useMemo(() => createApi(() => opsKey.get(), onLogout), [onLogout]);
  const nav = [
    { to: '/ops', label: t('nav_methods'), active: path === '/ops' || path.startsWith('/ops/payment-methods') },
    { to: '/ops/waves', label: t('nav_waves'), active: path.startsWith('/ops/waves') },
    { to: '/ops/audit', label: t('nav_audit'), active: path.startsWith('/ops/audit') },
    { to: '/ops/keys', label: t('nav_keys'), active: path.startsWith('/ops/keys') },
    { to: '/ops/ledger', label: t('nav_ledger'), active: path.startsWith('/ops/ledger') },
    { to: '/ops/reconciliations', label: t('nav_recon'), active: path.startsWith('/ops/reconciliations') },
  ];
  return (
    <ApiContext.Provider value={api}>
      <Header
        title={t('brand')}
        home="/ops"
        nav={nav}
        extra={
          <button type="button" className="lang" onClick={onLogout}>
            {t('logout')}
          </button>
        }
      />
      <main>
        <Page path={path} />
      </main>
    </ApiContext.Provider>
  );
}

function App() {
  const t = useT(dict);
  const [loggedIn, setLoggedIn] = useState(opsKey.get() !== null);
  const logout = useMemo(
    () => () => {
      opsKey.clear();
      setLoggedIn(false);
    },
    [],
  );
  if (loggedIn) return <Console onLogout={logout} />;
  return (
    <LoginForm
      title={t('brand')}
      hint={t('login_hint')}
      verify={async (key) => {
        await checkOpsKey(key);
        opsKey.set(key);
      }}
      onDone={() => setLoggedIn(true)}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LangProvider>
      <App />
    </LangProvider>
  </StrictMode>,
);
