// The storefront and cashier, served at /shop.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../shared/style.css';
import { LangProvider, useT } from '../shared/i18n';
import { match, usePath } from '../shared/router';
import { Header } from '../shared/ui';
import { useCart } from './cart';
import { CartPage } from './CartPage';
import { CashierPage } from './Cashier';
import { HomePage, LiveRoomPage, ShopPage } from './Catalog';
import { shop } from './messages';
import { OrderPage, OrdersPage } from './Orders';

function Page({ path }: { path: string }) {
  let p: Record<string, string> | null;
  if ((p = match('/shop/shops/:id', path))) return <ShopPage merchantId={p.id!} />;
  if ((p = match('/shop/live/:id', path))) return <LiveRoomPage roomId={p.id!} />;
  if ((p = match('/shop/payments/:id', path))) return <CashierPage key={p.id} paymentId={p.id!} />;
  if ((p = match('/shop/orders/:id', path))) return <OrderPage orderId={p.id!} />;
  if (match('/shop/orders', path)) return <OrdersPage />;
  if (match('/shop/cart', path)) return <CartPage />;
  return <HomePage />;
}

function App() {
  const t = useT(shop);
  const path = usePath();
  const count = useCart().reduce((n, l) => n + l.quantity, 0);
  return (
    <>
      <Header
        title={t('brand')}
        home="/shop"
        nav={[
          { to: '/shop', label: t('nav_home'), active: path === '/shop' || path === '/shop/' },
          { to: '/shop/cart', label: t('nav_cart', { n: count }), active: path.startsWith('/shop/cart') },
          { to: '/shop/orders', label: t('nav_orders'), active: path.startsWith('/shop/orders') },
        ]}
      />
      <main>
        <Page path={path} />
      </main>
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
