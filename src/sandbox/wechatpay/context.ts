// What every part of the sandbox shares: its database, keys, clock, knobs and settings.
import type { FastifyBaseLogger } from 'fastify';
import type { KeyObject } from 'node:crypto';
import type { Db } from './db';
import type { Faults } from './faults';
import type { SandboxKeys } from './keys';
import type { SandboxClock } from './time';
import type { HostPolicy, RegistrationBudget } from '../guard';

export type MerchantType = 'ecommerce_platform' | 'service_provider';
export type SigningMode = 'public_key' | 'platform_certificate';

export interface Merchant {
  mchid: string;
  type: MerchantType;
  serialNo: string;
  publicKey: KeyObject;
  apiv3Key: string;
  appid: string;
  feeRateBp: number;
  /** Which key signs its responses and notifications when a request names none (Wechatpay-Serial). */
  signing: SigningMode;
}

export interface SandboxSettings {
  applymentDelayMs: number;
  settleDelayMs: number;
  notifyTimeScale: number;
}

export interface Ctx {
  db: Db;
  keys: SandboxKeys;
  clock: SandboxClock;
  faults: Faults;
  settings: SandboxSettings;
  log: FastifyBaseLogger;
  /** Parsed merchant records by mchid (keys are parsed once, never per request). */
  merchants: Map<string, Merchant>;
  /** False once no notification is held back for reordering (saves a query per notification). */
  mayHoldNotifications: boolean;
  /** Wakes the notification loop after something was queued. */
  wakeNotifier(): void;
  /** Where notifications and buyers may be sent. */
  hosts: HostPolicy;
  registrations: RegistrationBudget;
}

/** How long funds paid with profit_sharing stay frozen before WeChat Pay unfreezes them by itself. */
export function autoUnfreezeMs(type: MerchantType): number {
  return (type === 'ecommerce_platform' ? 180 : 30) * 86_400_000;
}

/** Sharing limits per order: requests and receivers per request (platform: 20 and 5; service provider: 50 and 50). */
export function sharingLimits(type: MerchantType): { requestsMax: number; receiversMax: number } {
  return type === 'ecommerce_platform' ? { requestsMax: 20, receiversMax: 5 } : { requestsMax: 50, receiversMax: 50 };
}

/** The default sharing cap: at most 30% of the paid amount to others (max_ratio 3000 in ten-thousandths). */
export const MAX_SHARE_RATIO_BP = 3000;
