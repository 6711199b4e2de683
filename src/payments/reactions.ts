// Payments' reactions to orders' events, as an outbox consumer: orders never calls payments (payments calls orders'
// service; orders tells payments what happened through events). Each reaction commits with the event's consumption,
// so a crash between an order's change and payments' reaction loses nothing; provider work is left to the sweeps.
import type { Queryable } from '../shared/db';
import type { OutboxConsumer } from '../outbox/dispatcher';
import type { OutboxEvent, Topic } from '../outbox/events';
import type { EscrowReleases } from './escrow';
import { attemptStore } from './store';

export class PaymentReactions implements OutboxConsumer {
  readonly name = 'payments';
  readonly topics = ['checkout.closed', 'order.completed'] as const satisfies readonly Topic[];

  constructor(
    private readonly escrow: EscrowReleases,
    private readonly now: () => Date,
  ) {}

  async handle(q: Queryable, event: OutboxEvent): Promise<void> {
    switch (event.topic) {
      case 'checkout.closed':
        // The checkout can no longer be paid: its open attempts expire now, and the janitor closes them at their
        // providers (or records and refunds one that was paid meanwhile) on its next pass.
        await attemptStore.expireOpen(q, event.payload.payment_id, new Date(this.now().getTime() - 1));
        return;
      case 'order.completed':
        await this.escrow.schedule(q, event.payload.order_id);
        return;
      default:
        return; // not subscribed
    }
  }
}
