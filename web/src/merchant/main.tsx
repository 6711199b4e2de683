// The merchant console, served at /merchant.
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../shared/style.css';
import { LangProvider, useT } from '../shared/i18n';
import { LoginForm } from '../shared/login';
import { match, usePath } from '../shared/router';
import type { Merchant } from '../shared/types';
import { ErrorNote, Header, Loading } from '../shared/ui';
import { KeysPage } from './Keys';
import { BalancePage } from './Balance';
import { merchant as dict } from './messages';
import { OrderPage, OrdersPage } from './Orders';
import { PaymentMethodsPage } from './PaymentMethods';
import { ProductsPage } from './Products';
import { SessionContext, merchantApi, merchantKey, merchantOfKey } from './session';

function Page({ path }: { path: string }) {
  let p: Record<string, string> | null;
  if ((p = match('/merchant/orders/:id', path))) return <OrderPage orderId={p.id!} />;
  if (path.startsWith('/merchant/orders')) return <OrdersPage />;
  if (path.startsWith('/merchant/payment-methods')) return <PaymentMethodsPage />;
  if (path.startsWith('/merchant/balance')) return <BalancePage />;
  if (path.startsWith('/merchant/keys')) return <KeysPage />;
  return <ProductsPage />;
}

function Console({ me, onLogout }: { me: Merchant; onLogout(): void }) {
  const t = useT(dict);
  const path = usePath();
  const session = useMemo(() => ({ api: merchantApi(onLogout), merchant: me }), [me, onLogout]);
  const nav = [
    {
      to: '/merchant',
      label: t('nav_products'),
      active: path === '/merchant' || path.startsWith('/merchant/products'),
    },
    { to: '/merchant/orders', label: t('nav_orders'), active: path.startsWith('/merchant/orders') },
    { to: '/merchant/payment-methods', label: t('nav_methods'), active: path.startsWith('/merchant/payment-methods') },
    { to: '/merchant/balance', label: t('nav_balance'), active: path.startsWith('/merchant/balance') },
    { to: '/merchant/keys', label: t('nav_keys'), active: path.startsWith('/merchant/keys') },
  ];
  return (
    <SessionContext.Provider value={session}>
      <Header
        title={`${t('brand')} · ${me.name}`}
        home="/merchant"
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
    </SessionContext.Provider>
  );
}

function App() {
  const t = useT(dict);
  const [me, setMe] = useState<Merchant | null>(null);
  const [checking, setChecking] = useState(merchantKey.get() !== null);
  const [error, setError] = useState<unknown>(undefined);
  const logout = useMemo(
    () => () => {
      merchantKey.clear();
      setMe(null);
    },
    [],
  );
  useEffect(() => {
    const key = merchantKey.get();
    if (!key) return;
    merchantOfKey(key)
      .then(setMe, (err: unknown) => {
        merchantKey.clear();
        setError(err);
      })
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <Loading />;
  if (me) return <Console me={me} onLogout={logout} />;
  return (
    <>
      {error !== undefined && <ErrorNote error={error} />}
      <LoginForm
        title={t('brand')}
        hint={t('login_hint')}
        verify={async (key) => {
          const found = await merchantOfKey(key);
          merchantKey.set(key);
          setMe(found);
        }}
        onDone={() => setError(undefined)}
      />
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LangProvider>
      <App />
    </LangProvider>
  </StrictMode>,
);
