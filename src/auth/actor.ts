// Who is calling. Every ownership decision goes through ensureOwner, the one place a merchant or buyer is scoped.
import { HutongError } from '../shared/errors';

export type Role = 'ops' | 'merchant' | 'buyer' | 'publishable';

export type Actor =
  | { role: 'ops'; keyId: string }
  | { role: 'merchant'; keyId: string; merchantId: string }
  | { role: 'buyer'; keyId: string; buyerId: string }
  /** A storefront's publishable key: the public catalogue and guest sign-up, nothing that belongs to anyone. */
  | { role: 'publishable'; keyId: string };

export interface Owned {
  merchantId?: string;
  buyerId?: string;
}

/** Invariant: a merchant touches only its own merchant's data, a buyer only its own; a publishable key nobody's. */
export function ensureOwner(actor: Actor, resource: Owned): void {
  if (actor.role === 'ops') return;
  if (actor.role === 'merchant' && resource.merchantId !== undefined && resource.merchantId === actor.merchantId)
    return;
  if (actor.role === 'buyer' && resource.buyerId !== undefined && resource.buyerId === actor.buyerId) return;
  throw new HutongError('forbidden_resource');
}

/** True for callers who see the catalogue as the public does (shops' public fields only). */
export function readsPublicCatalogue(actor: Actor): boolean {
  return actor.role === 'buyer' || actor.role === 'publishable';
}

/** SQL filters for listing: the caller's own rows only (ops: all). A publishable key owns no rows. */
export function listScope(actor: Actor): { merchantId: string | null; buyerId: string | null } {
  switch (actor.role) {
    case 'ops':
      return { merchantId: null, buyerId: null };
    case 'merchant':
      return { merchantId: actor.merchantId, buyerId: null };
    case 'buyer':
      return { merchantId: null, buyerId: actor.buyerId };
    case 'publishable':
      throw new HutongError('forbidden_role', 'A publishable key reads the public catalogue only.');
  }
}
