// Provider notifications: verify → identity checks → inbox by event id → state change → the exact reply the
// provider expects. A repeat of a processed event id is acknowledged again and changes nothing.
import type { ModuleContext } from '../shared/context';
import {
  NotificationRejected,
  type NotificationReply,
  type ProviderEvent,
  type ProviderName,
} from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { eventStore } from './store';
import type { PaymentsService } from './service';
import type { RefundsService } from './refunds';

/**
 * Anyone can post to /notify/{provider}: rejections are audited, but at most this many rows a minute per provider so
 * a flood of forgeries cannot fill the audit log (the rest are counted in the log line).
 */
const REJECTION_AUDITS_PER_MINUTE_MAX = 60;

export class NotificationHandler {
  private readonly rejectionWindow = new Map<ProviderName, { minute: number; count: number }>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly payments: PaymentsService,
    private readonly refunds: RefundsService,
  ) {}

  async handle(
    provider: ProviderName,
    headers: Record<string, string | string[] | undefined>,
    rawBody: string,
  ): Promise<NotificationReply> {
    const adapter = this.providers.get(provider);
    let event: ProviderEvent;
    try {
      event = await adapter.parseNotification({ headers, rawBody });
    } catch (err) {
      if (!(err instanceof NotificationRejected)) throw err;
      this.ctx.log.warn({ provider, reason: err.reason }, 'notification rejected');
      await this.auditRejection(provider, err.reason);
      const reply = adapter.acknowledge({ ok: false, message: err.message });
      // A body we cannot read is 400; one we cannot decrypt may be ours under a rotated key: 500 makes the provider retry.
      return { ...reply, statusCode: err.reason === 'malformed' ? 400 : err.reason === 'decrypt_failed' ? 500 : 401 };
    }
    const mismatch = this.identityMismatch(provider, event);
    if (mismatch) {
      await eventStore.anomaly(
        this.ctx.db,
        provider,
        'notification_identity_mismatch',
        event.eventId,
        { mismatch },
        this.ctx.clock.now(),
      );
      this.ctx.log.warn({ provider, mismatch }, 'notification for another app or merchant rejected');
      await this.auditRejection(provider, 'identity_mismatch', event.eventId);
      return { ...adapter.acknowledge({ ok: false, message: 'unknown app or merchant' }), statusCode: 401 };
    }
    if (event.kind === 'trade_paid') {
      const outcomes = await this.payments.recordNotifiedPayment(provider, event.eventId, event, event.subTrades);
      if (outcomes?.includes('anomaly'))
        return { ...adapter.acknowledge({ ok: false, message: 'does not match our records' }), statusCode: 400 };
      return adapter.acknowledge({ ok: true });
    }
    const now = this.ctx.clock.now();
    const fresh = await eventStore.recordInbox(this.ctx.db, provider, event.eventId, event.kind, event, now);
    if (!fresh && (await eventStore.inboxProcessed(this.ctx.db, provider, event.eventId)))
      return adapter.acknowledge({ ok: true });
    const outcome = await this.apply(event);
    await eventStore.markProcessed(this.ctx.db, provider, event.eventId, outcome, this.ctx.clock.now());
    return adapter.acknowledge({ ok: true });
  }

  private identityMismatch(provider: ProviderName, event: ProviderEvent): string | null {
    if (event.kind !== 'trade_paid') return null;
    const identity = this.providers.identity(provider);
    if (event.appId !== identity.appId) return 'app_id';
    if (event.platformMerchantId !== identity.platformMerchantId) return 'platform_merchant_id';
    return null;
  }

  private async apply(event: Exclude<ProviderEvent, { kind: 'trade_paid' }>): Promise<string> {
    switch (event.kind) {
      case 'refund_finished':
        return (await this.refunds.onRefundFinished(event.outRefundNo, event.state))
          ? `refund_${event.state}`
          : 'unknown_refund';
      case 'trade_closed':
      case 'ignored':
        return event.kind;
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Who sent it is unproven, so the actor names the endpoint, not a verified provider. */
  private async auditRejection(provider: ProviderName, reason: string, eventId?: string): Promise<void> {
    const minute = Math.floor(this.ctx.clock.now().getTime() / 60_000);
    const window = this.rejectionWindow.get(provider);
    const count = window && window.minute === minute ? window.count + 1 : 1;
    this.rejectionWindow.set(provider, { minute, count });
    if (count > REJECTION_AUDITS_PER_MINUTE_MAX) return;
    await this.ctx.audit.recordAlone(`provider:${provider}`, {
      action: 'notification.rejected',
      subject: `notify:${provider}`,
      after: {
        reason,
        ...(eventId ? { event_id: eventId } : {}),
        ...(count === REJECTION_AUDITS_PER_MINUTE_MAX ? { further_rejections_this_minute: 'not audited' } : {}),
      },
    });
  }
}
