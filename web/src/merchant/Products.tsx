// The merchant's products: create one, change a price or the stock.
import { useState, type FormEvent } from 'react';
import { listAll } from '../shared/api';
import { useT } from '../shared/i18n';
import { fenToYuanText, parseYuan } from '../shared/money';
import type { Product } from '../shared/types';
import { ErrorNote, Show, useAction, useResource } from '../shared/ui';
import { merchant } from './messages';
import { useSession } from './session';

function NewProduct({ onCreated }: { onCreated(): void }) {
  const t = useT(merchant);
  const { api } = useSession();
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('10');
  const [invalid, setInvalid] = useState(false);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fen = parseYuan(price);
    setInvalid(fen === null || fen <= 0);
    if (fen === null || fen <= 0) return;
    void action.run(async () => {
      await api.post('/v1/products', { name: name.trim(), price: fen, stock: Number(stock) });
      setName('');
      setPrice('');
      onCreated();
    });
  };
  return (
    <form className="card row new-product" onSubmit={submit}>
      <label>
        {t('name')}
        <input name="name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        {t('price_yuan')}
        <input name="price" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} required />
      </label>
      <label>
        {t('stock')}
        <input name="stock" type="number" min={0} value={stock} onChange={(e) => setStock(e.target.value)} required />
      </label>
      <button type="submit" disabled={action.busy}>
        {t('create')}
      </button>
      {invalid && <p className="notice error">{t('invalid_price')}</p>}
      {action.error !== undefined && <ErrorNote error={action.error} />}
    </form>
  );
}

function ProductRow({ product }: { product: Product }) {
  const t = useT(merchant);
  const { api } = useSession();
  const [saved, setSaved] = useState(product);
  const [price, setPrice] = useState(fenToYuanText(product.price));
  const [stock, setStock] = useState(String(product.stock));
  const [note, setNote] = useState<string | null>(null);
  const action = useAction();
  const fen = parseYuan(price);
  const changed = fen !== saved.price || Number(stock) !== saved.stock;
  const save = () => {
    if (fen === null || fen <= 0) return setNote(t('invalid_price'));
    void action.run(async () => {
      setSaved(await api.patch<Product>(`/v1/products/${product.id}`, { price: fen, stock: Number(stock) }));
      setNote(t('saved'));
    });
  };
  return (
    <tr data-product-id={product.id}>
      <td>{product.name}</td>
      <td>
        <input
          aria-label={t('price_yuan')}
          name="price"
          inputMode="decimal"
          size={8}
          value={price}
          onChange={(e) => {
            setPrice(e.target.value);
            setNote(null);
          }}
        />
      </td>
      <td>
        <input
          aria-label={t('stock')}
          name="stock"
          type="number"
          min={0}
          value={stock}
          onChange={(e) => {
            setStock(e.target.value);
            setNote(null);
          }}
        />
      </td>
      <td>
        <button type="button" className="small" disabled={!changed || action.busy} onClick={save}>
          {t('save')}
        </button>{' '}
        {note && <small>{note}</small>}
        {action.error !== undefined && <ErrorNote error={action.error} />}
      </td>
    </tr>
  );
}

export function ProductsPage() {
  const t = useT(merchant);
  const { api, merchant: me } = useSession();
  const res = useResource(
    () => listAll<Product>(api, `/v1/products?merchant_id=${encodeURIComponent(me.id)}`),
    [me.id],
  );
  return (
    <>
      <h1>{t('products')}</h1>
      <h2>{t('new_product')}</h2>
      <NewProduct onCreated={res.reload} />
      <Show res={res}>
        {(products) => (
          <div className="table-wrap">
            <table className="products">
              <thead>
                <tr>
                  <th>{t('name')}</th>
                  <th>{t('price_yuan')}</th>
                  <th>{t('stock')}</th>
                  <th>{t('actions')}</th>
                </tr>
              </thead>
              <tbody>
                {products.map((p) => (
                  <ProductRow key={`${p.id}:${p.price}:${p.stock}`} product={p} />
                ))}
              </tbody>
            </table>
            {products.length === 0 && <p className="muted">{t('empty')}</p>}
          </div>
        )}
      </Show>
    </>
  );
}
