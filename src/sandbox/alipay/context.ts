// What every part of the sandbox needs: its database, clock, keys, settings, fault knobs and notifier.
import type { KeyObject } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Sql } from './db';
import type { SandboxClock } from './clock';
import type { FaultState } from './faults';
import type { Notifier } from './notifier';
import { parsePublicKey } from './crypto';
import { findApp } from './store-apps';
import type { App } from './types';
import type { HostPolicy, RegistrationBudget } from '../guard';

export interface SandboxSettings {
  applymentDelayMs: number;
  settleDelayMs: number;
  notifyTimeScale: number;
}

export interface Ctx {
  db: Db;
  clock: SandboxClock;
  /** The sandbox's own "Alipay" key pair: signs every answer and notification. */
  alipayPrivateKey: KeyObject;
  alipayPublicKeyPem: string;
  settings: SandboxSettings;
  faults: FaultState;
  notifier: Notifier;
  logger?: FastifyBaseLogger;
  apps: AppKeyCache;
  /** Approved sub-merchants' owning app (approval is permanent, so this never goes stale). */
  approvedSmids: Map<string, string>;
  /** Where notifications and buyers may be sent. */
  hosts: HostPolicy;
  registrations: RegistrationBudget;
}

export interface AppWithKey {
  app: App;
  publicKey: KeyObject;
}

/** Apps' public keys parsed once (parsing per request costs more than verifying). */
export class AppKeyCache {
  private readonly cache = new Map<string, AppWithKey>();
  private static readonly SIZE_MAX = 10_000;

  async get(sql: Sql, appId: string): Promise<AppWithKey | undefined> {
    const hit = this.cache.get(appId);
    if (hit) return hit;
    const app = await findApp(sql, appId);
    if (!app) return undefined;
    const publicKey = parsePublicKey(app.publicKeyPem);
    if (!publicKey) return undefined;
    if (this.cache.size >= AppKeyCache.SIZE_MAX) this.cache.clear();
    const entry = { app, publicKey };
    this.cache.set(appId, entry);
    return entry;
  }
}
