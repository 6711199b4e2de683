// Who is calling. Every ownership decision goes through ensureOwner, the one place a merchant or buyer is scoped.
import { HutongError } from '../shared/errors';

export type Role = 'ops' | 'merchant' | 'buyer';

export type Actor =
  | { role: 'ops'; keyId: string }
  | { role: 'merchant'; keyId: string; merchantId: string }
  | { role: 'buyer'; keyId: string; buyerId: string };

export interface Owned {
  merchantId?: string;
  buyerId?: string;
}

/** Invariant: a merchant touches only its own merchant's data, a buyer only its own. */
export function ensureOwner(actor: Actor, resource: Owned): void {
  if (actor.role === 'ops') return;
  if (actor.role === 'merchant' && resource.merchantId !== undefined && resource.merchantId === actor.merchantId) return;
  if (actor.role === 'buyer' && resource.buyerId !== undefined && resource.buyerId === actor.buyerId) return;
  throw new HutongError('forbidden_resource');
}

/** SQL filters for listing: the caller's own rows only (ops: all). */
export function listScope(actor: Actor): { merchantId: string | null; buyerId: string | null } {
  if (actor.role === 'merchant') return { merchantId: actor.merchantId, buyerId: null };
  if (actor.role === 'buyer') return { merchantId: null, buyerId: actor.buyerId };
  return { merchantId: null, buyerId: null };
}
