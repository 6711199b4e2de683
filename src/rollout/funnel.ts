// A wave's funnel: invited → accepted → applying → live → first payment, and the method's share of GMV.
import type { ActivationRow, WaveRow } from './store';

export interface PaidByMerchant {
  merchant_id: string;
  method: string;
  amount: number;
  first_paid_at: Date;
}

export interface Funnel {
  invited: number;
  accepted: number;
  applying: number;
  live: number;
  first_payment: number;
  gmv_total: number;
  gmv_method: number;
  /** gmv_method / gmv_total in basis points (integer; 10000 = all of it). */
  gmv_share_bp: number;
}

export function waveFunnel(wave: WaveRow, activations: ActivationRow[], paid: PaidByMerchant[]): Funnel {
  const accepted = activations.filter((a) => a.accepted_at !== null);
  const reachedLive = activations.filter((a) => a.live_at !== null);
  const firstPayment = reachedLive.filter((a) =>
    paid.some((p) => p.merchant_id === a.merchant_id && p.method === wave.method && p.first_paid_at >= a.live_at!),
  );
  const gmvTotal = paid.reduce((s, p) => s + p.amount, 0);
  const gmvMethod = paid.filter((p) => p.method === wave.method).reduce((s, p) => s + p.amount, 0);
  return {
    invited: activations.length,
    accepted: accepted.length,
    // Everyone who went through onboarding or was approved on a linked account is past "applying".
    applying: accepted.filter((a) => a.status !== 'invited').length,
    live: reachedLive.length,
    first_payment: firstPayment.length,
    gmv_total: gmvTotal,
    gmv_method: gmvMethod,
    gmv_share_bp: gmvTotal === 0 ? 0 : Math.floor((gmvMethod * 10_000) / gmvTotal),
  };
}
