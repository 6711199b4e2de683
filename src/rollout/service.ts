// Rollout: the payment-method catalogue, activation waves, merchants' consent and onboarding, and the audit log.
// Every change to methods, waves and activations writes an audit row (actor, time, before/after) in its transaction.
import { randomInt } from 'node:crypto';
import { SweepClaims } from '../ops/claims';
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import { newId } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { ensureOwner, type Actor } from '../auth/actor';
import type { Queryable } from '../shared/db';
import type { CatalogService } from '../catalog/service';
import type { ProviderAccounts } from '../payments/provider-accounts';
import type { ProviderAccountRow } from '../payments/provider-account-store';
import type { ProviderRegistry } from '../providers/registry';
import type { ProviderName } from '../providers/types';
import type { OnboardingService } from '../onboarding/service';
import type { ProfilePatch } from '../onboarding/profiles';
import { rolloutStore as store, type ActivationRow, type MethodRow, type WaveRow } from './store';
import type { ActivationStatus } from './states';
import { RolloutEligibility } from './eligibility';

const DAY_MS = 86_400_000;
const ADVANCE_SIZE_MAX = 50;
/** The name the platform is registered under as a profit-sharing receiver (WeChat Pay wants a full name). */
const PLATFORM_RECEIVER_NAME = 'Hutong Platform';

export interface WaveInput {
  method: string;
  name: string;
  merchantIds?: string[];
  filter?: { category?: string; tier?: string; percent?: number };
  launchAt?: Date;
  /** The demo seed waives the notice period for its own wave. */
  noticeDays?: number;
}

function actorName(actor: Actor | 'system'): string {
  if (actor === 'system') return 'system';
  return actor.role === 'merchant' ? `merchant:${actor.merchantId}` : `${actor.role}:${actor.keyId}`;
}

export class RolloutService {
  private receiverReady = new Set<string>();
  /** The cashier's eligibility with rollout rules; payments asks it, this service keeps its cache fresh. */
  readonly eligibility: RolloutEligibility;

  private readonly claims: SweepClaims;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly catalog: CatalogService,
    private readonly accounts: ProviderAccounts,
    private readonly providers: ProviderRegistry,
    private readonly onboarding: OnboardingService,
  ) {
    this.eligibility = new RolloutEligibility(ctx.db, providers, ctx.clock);
    this.claims = new SweepClaims(ctx);
    accounts.onChange(
      (account) =>
        void this.onAccountChange(account).catch((err) => ctx.log.error({ err }, 'activation update failed')),
    );
  }

  async methods(): Promise<MethodRow[]> {
    return store.methods(this.ctx.db);
  }

  async patchMethod(
    actor: Actor | 'system',
    method: string,
    patch: Partial<
      Pick<
        MethodRow,
        'enabled' | 'paused' | 'exposure_percent' | 'min_client_app' | 'min_client_version' | 'display_order'
      >
    >,
  ): Promise<MethodRow> {
    return this.ctx.db
      .tx(async (q) => {
        const before = await store.method(q, method, true);
        if (!before) throw new HutongError('unknown_method', `No payment method ${method}.`);
        const after = await store.updateMethod(q, method, { ...patch, updated_at: this.ctx.clock.now() });
        await this.ctx.audit.record(q, actor, {
          action: 'payment_method.updated',
          subject: `method:${method}`,
          before,
          after,
        });
        return after!;
      })
      .finally(() => this.eligibility.invalidate());
  }

  async createWave(actor: Actor | 'system', input: WaveInput): Promise<WaveRow> {
    if (!(await store.method(this.ctx.db, input.method)))
      throw new HutongError('unknown_method', `No payment method ${input.method}.`);
    const now = this.ctx.clock.now();
    const noticeDays = input.noticeDays ?? this.ctx.config.rolloutNoticeDays;
    const earliest = new Date(now.getTime() + noticeDays * DAY_MS);
    if (input.launchAt && input.launchAt > now && input.launchAt < earliest) {
      throw new HutongError('notice_period_not_elapsed', undefined, { earliest_launch_at: earliest.toISOString() });
    }
    const picks = await this.pickMerchants(input);
    const wave: WaveRow = {
      id: newId('wav'),
      method: input.method,
      name: input.name,
      status: 'scheduled',
      selection: input.merchantIds ? { merchant_ids: input.merchantIds } : { filter: input.filter ?? {} },
      launch_at: input.launchAt ?? null,
      effective_at: input.launchAt && input.launchAt > earliest ? input.launchAt : earliest,
      notice_days: noticeDays,
      created_at: now,
      updated_at: now,
    };
    const created = await writeOnce(this.ctx.db, async (q) => {
      await store.insertWave(q, wave, picks);
      await this.ctx.audit.record(q, actor, {
        action: 'wave.created',
        subject: `wave:${wave.id}`,
        before: null,
        after: { ...wave, merchant_ids: picks.map((p) => p.merchantId) },
      });
      return wave;
    });
    this.eligibility.invalidate();
    return created;
  }

  /** Explicit list, or a filter; a random percentage is drawn once and stored, so re-running never reshuffles. */
  private async pickMerchants(input: WaveInput): Promise<Array<{ merchantId: string; pickedBy: string }>> {
    if (input.merchantIds) {
      const ids = [...new Set(input.merchantIds)];
      for (const id of ids)
        if (!(await this.catalog.merchantById(id))) throw new HutongError('not_found', `No merchant ${id}.`);
      return ids.map((merchantId) => ({ merchantId, pickedBy: 'list' }));
    }
    const candidates = await this.catalog.merchantIdsWhere(input.filter ?? {});
    const percent = input.filter?.percent ?? 100;
    return candidates
      .filter(() => percent >= 100 || randomInt(100) < percent)
      .map((merchantId) => ({ merchantId, pickedBy: percent >= 100 ? 'filter' : `random_${percent}` }));
  }

  async wave(id: string): Promise<WaveRow> {
    const wave = await store.wave(this.ctx.db, id);
    if (!wave) throw new HutongError('not_found', `No wave ${id}.`);
    return wave;
  }

  async waves(): Promise<WaveRow[]> {
    return store.waves(this.ctx.db);
  }

  async waveMerchants(id: string): Promise<string[]> {
    return store.waveMerchants(this.ctx.db, id);
  }

  /** Idempotent: merchants already invited (by this or another wave) are left as they are. */
  async invite(actor: Actor | 'system', waveId: string): Promise<{ invited: string[]; already: string[] }> {
    const wave = await this.wave(waveId);
    const merchants = await store.waveMerchants(this.ctx.db, waveId);
    return writeOnce(this.ctx.db, async (q) => {
      const now = this.ctx.clock.now();
      const invited = await store.invite(q, waveId, wave.method, merchants, now);
      for (const m of invited)
        await this.ctx.audit.record(q, actor, {
          action: 'activation.invited',
          subject: `activation:${m}:${wave.method}`,
          before: null,
          after: { status: 'invited', wave_id: waveId },
        });
      return { invited, already: merchants.filter((m) => !invited.includes(m)) };
    });
  }

  /** Takes effect now, or as soon as the notice period allows. */
  async launch(actor: Actor | 'system', waveId: string): Promise<WaveRow> {
    const wave = await this.wave(waveId);
    const now = this.ctx.clock.now();
    const earliest = new Date(wave.created_at.getTime() + wave.notice_days * DAY_MS);
    return this.changeWave(actor, wave, ['scheduled'], 'launched', 'wave.launched', {
      effective_at: now > earliest ? now : earliest,
    });
  }

  /** New attempts stop at once; attempts in flight finish (the cashier only hides the method). */
  async pause(actor: Actor | 'system', waveId: string): Promise<WaveRow> {
    const wave = await this.wave(waveId);
    const row = await this.changeWave(
      actor,
      wave,
      ['scheduled', 'launched'],
      'paused',
      'wave.paused',
      {},
      async (q) => {
        for (const a of await store.activationsOfWave(q, waveId))
          await this.moveActivation(q, actor, a, ['live'], 'paused');
      },
    );
    return row;
  }

  async resume(actor: Actor | 'system', waveId: string): Promise<WaveRow> {
    const wave = await this.wave(waveId);
    const to = wave.launch_at === null && wave.effective_at <= this.ctx.clock.now() ? 'launched' : 'scheduled';
    return this.changeWave(actor, wave, ['paused'], to, 'wave.resumed', {}, async (q) => {
      for (const a of await store.activationsOfWave(q, waveId))
        await this.moveActivation(q, actor, a, ['paused'], 'live');
    });
  }

  private async changeWave(
    actor: Actor | 'system',
    wave: WaveRow,
    from: WaveRow['status'][],
    to: WaveRow['status'],
    action: string,
    set: Partial<WaveRow>,
    more?: (q: Queryable) => Promise<void>,
  ): Promise<WaveRow> {
    return writeOnce(this.ctx.db, async (q) => {
      const now = this.ctx.clock.now();
      const after = await store.transitionWave(q, wave.id, from, to, { ...set, updated_at: now });
      if (!after) throw new HutongError('wave_state_conflict', `The wave is ${wave.status}.`, { status: wave.status });
      await more?.(q);
      await this.ctx.audit.record(q, actor, { action: action, subject: `wave:${wave.id}`, before: wave, after: after });
      return after;
    });
  }

  private async moveActivation(
    q: Queryable,
    actor: Actor | 'system',
    a: ActivationRow,
    from: ActivationStatus[],
    to: ActivationStatus,
    set: Partial<ActivationRow> = {},
  ): Promise<ActivationRow | undefined> {
    const now = this.ctx.clock.now();
    const after = await store.transitionActivation(q, a.merchant_id, a.method, from, to, now, set);
    if (after) {
      const { onboarding_sealed: _b, ...beforeShown } = a;
      const { onboarding_sealed: _a, ...afterShown } = after;
      await this.ctx.audit.record(q, actor, {
        action: `activation.${to}`,
        subject: `activation:${a.merchant_id}:${a.method}`,
        before: beforeShown,
        after: afterShown,
      });
    }
    return after;
  }

  async activationsOfWave(waveId: string): Promise<ActivationRow[]> {
    await this.wave(waveId);
    return store.activationsOfWave(this.ctx.db, waveId);
  }

  async activation(merchantId: string, method: string): Promise<ActivationRow | undefined> {
    return store.activation(this.ctx.db, merchantId, method);
  }

  /** Each method's status for a merchant, as the merchant console shows it. */
  async merchantMethods(
    actor: Actor,
    merchantId: string,
  ): Promise<
    Array<{
      method: string;
      status: string;
      reason?: string;
      wave_id?: string;
      reject_reasons?: string[] | null;
      agreement_version?: string | null;
    }>
  > {
    ensureOwner(actor, { merchantId });
    if (!(await this.catalog.merchantById(merchantId)))
      throw new HutongError('not_found', `No merchant ${merchantId}.`);
    const [methods, activations, accounts] = await Promise.all([
      store.methods(this.ctx.db),
      store.activationsOfMerchant(this.ctx.db, merchantId),
      this.accounts.list(merchantId),
    ]);
    return methods.map((m) => {
      const activation = activations.find((a) => a.method === m.method);
      if (activation) {
        return {
          method: m.method,
          status: activation.status,
          wave_id: activation.wave_id,
          reject_reasons: activation.reject_reasons,
          agreement_version: activation.agreement_version,
        };
      }
      const account = accounts.find((a) => a.provider === m.method);
      if (m.method === 'alipay' && account)
        return {
          method: m.method,
          status: account.status === 'active' ? 'live' : account.status === 'rejected' ? 'rejected' : 'applying',
        };
      return { method: m.method, status: 'not_invited' };
    });
  }

  /**
   * The merchant accepts the agreement. A linked provider account → approved at once; otherwise Hutong applies
   * for a sub-merchant account (a rejected application is resubmitted with the corrected details). Details given
   * with the acceptance go into the merchant's profile (kept even if the acceptance is then refused); against a
   * real gateway an incomplete profile is refused with onboarding_incomplete before anything else changes.
   */
  async accept(
    actor: Actor,
    merchantId: string,
    method: string,
    agreementVersion: string,
    onboarding: ProfilePatch | undefined,
  ): Promise<ActivationRow> {
    ensureOwner(actor, { merchantId });
    if (actor.role !== 'merchant')
      throw new HutongError('forbidden_role', 'The merchant itself accepts the agreement.');
    const current = await store.activation(this.ctx.db, merchantId, method);
    if (!current)
      throw new HutongError('activation_state_conflict', 'This merchant has not been invited for this method.', {
        status: 'not_invited',
      });
    if (current.status !== 'invited' && current.status !== 'rejected') {
      throw new HutongError('activation_state_conflict', `The activation is ${current.status}.`, {
        status: current.status,
      });
    }
    const provider = method as ProviderName;
    if (onboarding && Object.keys(onboarding).length > 0)
      await this.onboarding.updateProfile(actor, merchantId, onboarding);
    const account = await this.accounts.get(merchantId, provider);
    if (account?.status !== 'active') await this.onboarding.ensureComplete(merchantId, provider);
    const now = this.ctx.clock.now();
    const consent = {
      agreement_version: agreementVersion,
      accepted_by: actorName(actor),
      accepted_at: now,
      reject_reasons: null,
    };
    const linked = account?.status === 'active';
    const moved = await writeOnce(this.ctx.db, async (q) => {
      const after = await this.moveActivation(
        q,
        actor,
        current,
        [current.status],
        linked ? 'approved' : 'applying',
        consent,
      );
      if (!after) throw new HutongError('activation_state_conflict', 'The activation changed meanwhile.');
      return after;
    });
    if (!linked) {
      if (account?.status === 'rejected') await this.accounts.resubmit(merchantId, provider);
      else await this.accounts.apply(merchantId, provider);
    }
    return moved;
  }

  private async onAccountChange(account: ProviderAccountRow): Promise<void> {
    const a = await store.activation(this.ctx.db, account.merchant_id, account.provider);
    if (!a) return;
    await this.ctx.db.tx(async (q) => {
      if (account.status === 'active')
        await this.moveActivation(q, 'system', a, ['applying', 'invited', 'rejected'], 'approved');
      else if (account.status === 'rejected')
        await this.moveActivation(q, 'system', a, ['applying'], 'rejected', { reject_reasons: account.reject_reasons });
    });
  }

  /** Worker: approved activations whose wave has taken effect go live once the platform can receive shares. */
  async advance(): Promise<number> {
    const due = await store.approvedDue(this.ctx.db, this.ctx.clock.now(), ADVANCE_SIZE_MAX);
    // Each activation claimed first; one whose method cannot receive shares yet backs off instead of asking every tick.
    await this.claims.driveEach(
      'activation',
      due,
      (a) => `${a.merchant_id}:${a.method}`,
      async (a) => {
        if (!(await this.ensureSharingReady(a.method as ProviderName)))
          throw new Error(`the platform is not yet a profit-sharing receiver at ${a.method}`);
        await this.ctx.db.tx((q) =>
          this.moveActivation(q, 'system', a, ['approved'], 'live', { live_at: this.ctx.clock.now() }),
        );
      },
    );
    return due.length;
  }

  /** The platform must be a profit-sharing receiver before a merchant goes live (design.md). */
  private async ensureSharingReady(method: ProviderName): Promise<boolean> {
    if (this.receiverReady.has(method)) return true;
    if (!this.providers.has(method)) return false;
    try {
      await this.providers.get(method).escrow.ensurePlatformReceiver(PLATFORM_RECEIVER_NAME);
      this.receiverReady.add(method);
      return true;
    } catch (err) {
      this.ctx.log.warn({ method, err: String(err) }, 'adding the platform as receiver failed; will retry');
      return false;
    }
  }
}
