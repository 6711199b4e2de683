// The sandbox's own endpoints, outside the real API: app registration (rate-limited), and the admin-token-only
// books, test clock, fault knobs and notification log (the token and JSON-only rule are checked by adminGuard).
import type { FastifyInstance } from 'fastify';
import type { Ctx } from './context';
import { SandboxError } from './errors';
import { parseFaults } from './faults';
import { formatBeijing } from './clock';
import { many, setMeta } from './db';
import { jsonObject } from './http-util';
import { describeApp, registerApp } from './apps';
import { appBooks, subMerchantBooks } from './books';
import type { Sweeper } from './sweeper';
import { SANDBOX_ADMIN, SANDBOX_CLIENT } from '../access';
import { registrationLimit, SMALL_BODY_BYTES } from '../guard';

const CLOCK_ADVANCE_MS_MAX = 400 * 86_400_000;
const NOTIFICATIONS_LIST_MAX = 500;

export function registerAdmin(app: FastifyInstance, ctx: Ctx, sweeper: Sweeper): void {
  app.post(
    '/apps',
    { config: SANDBOX_CLIENT, bodyLimit: SMALL_BODY_BYTES, preHandler: registrationLimit(ctx.registrations) },
    async (req) => registerApp(ctx, jsonObject(req.body)),
  );
  app.get<{ Params: { appId: string } }>('/apps/:appId', { config: SANDBOX_CLIENT }, async (req) =>
    describeApp(ctx, req.params.appId),
  );
  app.get<{ Params: { smid: string } }>('/books/sub-merchants/:smid', { config: SANDBOX_ADMIN }, async (req) =>
    subMerchantBooks(ctx, req.params.smid),
  );
  app.get<{ Params: { appId: string } }>('/books/apps/:appId', { config: SANDBOX_ADMIN }, async (req) =>
    appBooks(ctx, req.params.appId),
  );

  const clockAnswer = () => ({
    now: ctx.clock.now(),
    now_beijing: formatBeijing(ctx.clock.now()),
    offset_ms: ctx.clock.offset,
  });
  app.get('/clock', { config: SANDBOX_ADMIN }, async () => clockAnswer());
  app.post('/clock', { config: SANDBOX_ADMIN, bodyLimit: SMALL_BODY_BYTES }, async (req) => {
    const advance = jsonObject(req.body).advance_ms;
    if (!Number.isSafeInteger(advance) || (advance as number) < 0 || (advance as number) > CLOCK_ADVANCE_MS_MAX) {
      throw new SandboxError(
        422,
        'invalid_advance_ms',
        'advance_ms must be an integer from 0 to 400 days in ms (the clock only moves forward)',
      );
    }
    ctx.clock.advance(advance as number);
    await setMeta(ctx.db, 'clock_offset_ms', String(ctx.clock.offset));
    await sweeper.sweepNow();
    ctx.notifier.kick();
    return clockAnswer();
  });

  app.get('/faults', { config: SANDBOX_ADMIN }, async () => ctx.faults.get());
  app.put('/faults', { config: SANDBOX_ADMIN, bodyLimit: SMALL_BODY_BYTES }, async (req) => {
    const parsed = parseFaults(jsonObject(req.body));
    if (typeof parsed === 'string') throw new SandboxError(422, 'invalid_faults', parsed);
    return ctx.faults.set(parsed);
  });

  app.get('/notifications', { config: SANDBOX_ADMIN }, async (req) => {
    const query = req.query as Record<string, unknown>;
    const tradeNo = typeof query.trade_no === 'string' ? query.trade_no : null;
    const rows = await many<Record<string, unknown>>(
      ctx.db,
      `select id, notify_id, trade_no, url, status, attempts, next_at, created_at, last_result, body from notifications
       where ($1::text is null or trade_no = $1) order by id desc limit $2`,
      [tradeNo, NOTIFICATIONS_LIST_MAX],
    );
    return {
      data: rows.map((r) => ({
        ...r,
        params: Object.fromEntries(new URLSearchParams(String(r.body))),
        body: undefined,
      })),
    };
  });
}
