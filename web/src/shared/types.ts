// The JSON shapes of api.md the pages read (amounts in fen). Only the fields the pages use.

export type MethodName = 'alipay' | 'wechatpay';
export const METHODS: readonly MethodName[] = ['wechatpay', 'alipay'];

export type UnavailableReason =
  | 'method_disabled'
  | 'method_paused'
  | 'client_unsupported'
  | 'merchant_not_enabled'
  | 'buyer_not_in_rollout';

export interface Merchant {
  id: string;
  name: string;
  category: string | null;
  tier: string | null;
}

export interface Product {
  id: string;
  merchant_id: string;
  name: string;
  price: number;
  stock: number;
}

export interface LiveSession {
  id: string;
  host: string;
  starts_at: string;
  ends_at: string;
}

export interface LiveRoom {
  id: string;
  merchant_id: string;
  title: string;
  sessions?: LiveSession[];
  featured_products?: Product[];
}

export type OrderStatus = 'pending_payment' | 'paid' | 'shipped' | 'completed' | 'closed';

export interface Order {
  id: string;
  payment_id: string;
  merchant_id: string;
  status: OrderStatus;
  amount: number;
  refunded_amount: number;
  items: Array<{ product_id: string; name: string; unit_price: number; quantity: number }>;
  paid_at: string | null;
  shipped_at: string | null;
  auto_confirm_at: string | null;
  created_at: string;
}

export interface MethodAvailability {
  method: MethodName;
  available: boolean;
  reason?: UnavailableReason;
}

export type PaymentAction =
  | { type: 'qr'; code_url: string }
  | { type: 'redirect'; url: string }
  | { type: 'jsapi'; params: Record<string, string> };

export interface Attempt {
  id: string;
  method: MethodName;
  scene: string;
  status: 'created' | 'pending' | 'succeeded' | 'failed' | 'closed';
  action: PaymentAction | null;
  expires_at: string;
}

export interface Payment {
  id: string;
  amount: number;
  status: 'requires_method' | 'pending' | 'succeeded' | 'expired';
  expires_at: string;
  order_ids: string[];
  attempts: Attempt[];
  methods: MethodAvailability[];
}

export interface Checkout {
  orders: Order[];
  payment: Payment;
}

export interface RefundRequest {
  id: string;
  order_id: string;
  amount: number;
  reason: string;
  status: 'open' | 'approved' | 'declined';
  decline_reason: string | null;
  created_at: string;
}

export interface Refund {
  id: string;
  order_id: string;
  amount: number;
  status: 'pending' | 'processing' | 'succeeded' | 'closed' | 'abnormal' | 'blocked_insufficient_funds';
  reason: string | null;
  created_at: string;
}

export type ActivationStatus = 'not_invited' | 'invited' | 'applying' | 'approved' | 'rejected' | 'live' | 'paused';

export interface ProviderAccount {
  provider: MethodName;
  status: 'applying' | 'active' | 'rejected';
  sub_merchant_id: string | null;
  linked: boolean;
  reject_reasons: string[] | null;
  updated_at: string;
}
