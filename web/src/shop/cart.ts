// The cart, across merchants, in localStorage. Lines keep a snapshot of the product for display; the server
// prices the checkout itself from the product ids.
import { useSyncExternalStore } from 'react';
import type { Product } from '../shared/types';
import { ensureBuyer } from './session';

const STORAGE_KEY = 'hutong.cart';
const EVENT = 'hutong:cart';
const QUANTITY_MAX = 99;

export interface CartLine {
  product: Pick<Product, 'id' | 'merchant_id' | 'name' | 'price'>;
  quantity: number;
}

let cache: { text: string | null; lines: CartLine[] } = { text: null, lines: [] };

function read(): CartLine[] {
  const text = localStorage.getItem(STORAGE_KEY);
  if (text === cache.text) return cache.lines;
  let lines: CartLine[] = [];
  try {
    const parsed = JSON.parse(text ?? '[]') as CartLine[];
    if (Array.isArray(parsed))
      lines = parsed.filter((l) => l && l.product && typeof l.product.id === 'string' && Number.isInteger(l.quantity));
  } catch {
    /* a damaged cart is an empty cart */
  }
  cache = { text, lines };
  return lines;
}

function write(lines: CartLine[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(lines));
  // The guest buyer is made when the cart is first saved, not on a visit (a failure here retries at checkout).
  if (lines.length > 0) ensureBuyer().catch(() => undefined);
  window.dispatchEvent(new Event(EVENT));
}

function subscribe(listener: () => void): () => void {
  window.addEventListener(EVENT, listener);
  window.addEventListener('storage', listener);
  return () => {
    window.removeEventListener(EVENT, listener);
    window.removeEventListener('storage', listener);
  };
}

export function useCart(): CartLine[] {
  return useSyncExternalStore(subscribe, read);
}

export function addToCart(product: Product): void {
  const lines = read();
  const existing = lines.find((l) => l.product.id === product.id);
  const snapshot = { id: product.id, merchant_id: product.merchant_id, name: product.name, price: product.price };
  write(
    existing
      ? lines.map((l) => (l === existing ? { ...l, quantity: Math.min(QUANTITY_MAX, l.quantity + 1) } : l))
      : [...lines, { product: snapshot, quantity: 1 }],
  );
}

export function setQuantity(productId: string, quantity: number): void {
  const q = Math.max(0, Math.min(QUANTITY_MAX, Math.trunc(quantity)));
  write(read().flatMap((l) => (l.product.id !== productId ? [l] : q === 0 ? [] : [{ ...l, quantity: q }])));
}

export function clearCart(): void {
  write([]);
}

export function cartTotalFen(lines: CartLine[]): number {
  return lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0);
}
