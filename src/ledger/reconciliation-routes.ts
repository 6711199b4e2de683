// Ops endpoints for reconciliation and the ledger's invariants. A reconciliation runs synchronously: a day's bills
// download and match in seconds, and the answer is the finished run (status completed, or failed with the
// provider's error); the run is recorded either way and can be read again by id.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config';
import type { Queryable } from '../shared/db';
import { Body, IdParams } from '../shared/schemas';
import { ListQuery, pageFrom, toPage } from '../shared/pagination';
import type { ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { checkInvariants } from './invariants';
import { providerBooks } from './provider-books';
import type { ReconciliationService } from './reconciliation';
import type { ReconciliationRunRow } from './reconciliation-store';

const Provider = Type.Union([Type.Literal('alipay'), Type.Literal('wechatpay')], {
  description: 'Whose bills to reconcile.',
});
const BillDate = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'The bill day, Asia/Shanghai (YYYY-MM-DD).',
  examples: ['2026-11-24'],
});

export function reconciliationJson(r: ReconciliationRunRow) {
  return {
    id: r.id,
    provider: r.provider,
    date: r.bill_date,
    status: r.status,
    matched: r.matched,
    mismatches: r.mismatches,
    bills: r.bills,
    error: r.error,
    created_at: r.created_at.toISOString(),
    finished_at: r.finished_at ? r.finished_at.toISOString() : null,
  };
}

/** The server's own address: the in-process sandboxes' books are read over HTTP like any client would. */
function ownOrigin(app: FastifyInstance, config: Config): string {
  const address = app.server.address();
  return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : config.publicUrl;
}

export function reconciliationRoutes(
  app: FastifyInstance,
  reconciliations: ReconciliationService,
  deps: { db: Queryable; providers: ProviderRegistry; config: Config; sandboxes: boolean },
): void {
  app.post(
    '/v1/reconciliations',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ledger'],
        summary: 'Reconcile a provider’s bills for one day against the ledger; answers the finished run.',
        description:
          'Every bill line is matched to exactly one ledger event and back. `matched` counts lines that agree; ' +
          '`mismatches[].kind` is missing_in_hutong, missing_at_provider, amount_differs, fee_differs, status_differs or kept_from_losing_attempt.',
        body: Body({ provider: Provider, date: BillDate }),
      },
    },
    async (req, reply) => {
      const b = req.body as { provider: ProviderName; date: string };
      return reply.status(201).send(reconciliationJson(await reconciliations.run(b.provider, b.date)));
    },
  );

  app.get(
    '/v1/reconciliations/:id',
    {
      config: { access: ['ops'] },
      schema: { tags: ['ledger'], summary: 'One reconciliation run.', params: IdParams },
    },
    async (req) => reconciliationJson(await reconciliations.get((req.params as { id: string }).id)),
  );

  app.get(
    '/v1/reconciliations',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ledger'],
        summary: 'Reconciliation runs, newest first.',
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({ provider: Type.Optional(Provider), date: Type.Optional(BillDate) }),
        ]),
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; provider?: ProviderName; date?: string };
      const page = pageFrom(q);
      const rows = await reconciliations.list({ provider: q.provider, billDate: q.date }, page.limit + 1, page.after);
      return toPage(rows, page.limit, reconciliationJson);
    },
  );

  // The demo runs both providers on its sandboxes; production runs only configured gateways.
  const onSandbox = { alipay: deps.sandboxes, wechatpay: deps.sandboxes };
  app.get(
    '/v1/ledger/invariants',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ledger'],
        summary: 'Checks the ledger’s invariants now, the providers’ books included (what `hutong check` prints).',
      },
    },
    async () => {
      const books = providerBooks(
        onSandbox,
        ownOrigin(app, deps.config),
        deps.providers,
        deps.config.sandbox.adminToken,
      );
      const invariants = await checkInvariants({ db: deps.db, providers: deps.providers, books });
      return { ok: invariants.every((i) => i.violations.length === 0), invariants };
    },
  );
}
