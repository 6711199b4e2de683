import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, IdParams } from '../shared/schemas';
import { HutongError } from '../shared/errors';
import type { PaymentsService } from '../payments/service';
import type { RolloutService } from './service';
import type { ProfilePatch } from '../onboarding/profiles';
import type { ActivationRow, MethodRow, WaveRow } from './store';
import { waveFunnel } from './funnel';

const MethodName = Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$', description: 'alipay or wechatpay.' });
const Semver = Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$' });

function methodJson(m: MethodRow) {
  return {
    method: m.method,
    enabled: m.enabled,
    paused: m.paused,
    display_order: m.display_order,
    exposure_percent: m.exposure_percent,
    min_client: m.min_client_version ? { app: m.min_client_app, version: m.min_client_version } : null,
    updated_at: m.updated_at.toISOString(),
  };
}

function waveJson(w: WaveRow, merchantIds?: string[]) {
  return {
    id: w.id,
    method: w.method,
    name: w.name,
    status: w.status,
    selection: w.selection,
    launch_at: w.launch_at?.toISOString() ?? null,
    effective_at: w.effective_at.toISOString(),
    notice_days: w.notice_days,
    created_at: w.created_at.toISOString(),
    ...(merchantIds ? { merchant_ids: merchantIds } : {}),
  };
}

export function activationJson(a: ActivationRow) {
  return {
    merchant_id: a.merchant_id,
    method: a.method,
    status: a.status,
    wave_id: a.wave_id,
    agreement_version: a.agreement_version,
    accepted_by: a.accepted_by,
    accepted_at: a.accepted_at?.toISOString() ?? null,
    reject_reasons: a.reject_reasons,
    live_at: a.live_at?.toISOString() ?? null,
    updated_at: a.updated_at.toISOString(),
  };
}

export function rolloutRoutes(app: FastifyInstance, rollout: RolloutService, payments: PaymentsService): void {
  app.get(
    '/v1/payment-methods',
    { config: { access: ['ops'] }, schema: { tags: ['platform'], summary: 'The payment-method catalogue.' } },
    async () => ({
      data: (await rollout.methods()).map(methodJson),
      next_cursor: null,
    }),
  );

  app.patch(
    '/v1/payment-methods/:method',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['platform'],
        summary: 'Enable, disable, pause or resume a method; set buyer exposure and a minimum client version.',
        params: Type.Object({ method: MethodName }),
        body: Body({
          enabled: Type.Optional(Type.Boolean()),
          paused: Type.Optional(
            Type.Boolean({ description: 'Paused: hidden for new attempts; attempts in flight finish.' }),
          ),
          exposure_percent: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 100,
              description: 'Share of buyers in the rollout (sticky per buyer).',
            }),
          ),
          display_order: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
          min_client: Type.Optional(
            Type.Union([
              Type.Null(),
              Type.Object(
                { app: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), version: Semver },
                { additionalProperties: false },
              ),
            ]),
          ),
        }),
      },
    },
    async (req) => {
      const b = req.body as {
        enabled?: boolean;
        paused?: boolean;
        exposure_percent?: number;
        display_order?: number;
        min_client?: { app: string; version: string } | null;
      };
      const patch: Parameters<RolloutService['patchMethod']>[2] = {
        enabled: b.enabled,
        paused: b.paused,
        exposure_percent: b.exposure_percent,
        display_order: b.display_order,
      };
      if (b.min_client !== undefined)
        Object.assign(patch, {
          min_client_app: b.min_client?.app ?? null,
          min_client_version: b.min_client?.version ?? null,
        });
      for (const k of Object.keys(patch) as Array<keyof typeof patch>) if (patch[k] === undefined) delete patch[k];
      if (Object.keys(patch).length === 0) throw new HutongError('validation_failed', 'Nothing to change.');
      return methodJson(await rollout.patchMethod(actorOf(req), (req.params as { method: string }).method, patch));
    },
  );

  app.post(
    '/v1/rollout-waves',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['platform'],
        summary: 'Create an activation wave from a merchant list or a filter (random picks are stored).',
        body: Body({
          method: MethodName,
          name: Type.String({ minLength: 1, maxLength: 100 }),
          merchant_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 10_000 })),
          filter: Type.Optional(
            Body({
              category: Type.Optional(Type.String({ maxLength: 40 })),
              tier: Type.Optional(Type.String({ maxLength: 40 })),
              percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            }),
          ),
          launch_at: Type.Optional(
            Type.String({
              format: 'date-time',
              description: 'Never before creation + the notice period; past or omitted = as soon as allowed.',
            }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as {
        method: string;
        name: string;
        merchant_ids?: string[];
        filter?: { category?: string; tier?: string; percent?: number };
        launch_at?: string;
      };
      if (b.merchant_ids && b.filter)
        throw new HutongError('validation_failed', 'Give merchant_ids or filter, not both.');
      const wave = await rollout.createWave(actorOf(req), {
        method: b.method,
        name: b.name,
        merchantIds: b.merchant_ids,
        filter: b.filter,
        launchAt: b.launch_at ? new Date(b.launch_at) : undefined,
      });
      return reply.status(201).send(waveJson(wave, await rollout.waveMerchants(wave.id)));
    },
  );

  app.get('/v1/rollout-waves', { config: { access: ['ops'] }, schema: { tags: ['platform'] } }, async () => ({
    data: (await rollout.waves()).map((w) => waveJson(w)),
    next_cursor: null,
  }));

  const funnelOf = async (id: string) => {
    const wave = await rollout.wave(id);
    const merchantIds = await rollout.waveMerchants(id);
    const activations = await rollout.activationsOfWave(id);
    return waveFunnel(wave, activations, await payments.paidByMerchant(merchantIds, wave.created_at));
  };

  app.get(
    '/v1/rollout-waves/:id',
    { config: { access: ['ops'] }, schema: { tags: ['platform'], params: IdParams } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const wave = await rollout.wave(id);
      return { ...waveJson(wave, await rollout.waveMerchants(id)), funnel: await funnelOf(id) };
    },
  );

  app.get(
    '/v1/rollout-waves/:id/funnel',
    { config: { access: ['ops'] }, schema: { tags: ['platform'], params: IdParams } },
    async (req) => funnelOf((req.params as { id: string }).id),
  );

  app.get(
    '/v1/rollout-waves/:id/activations',
    { config: { access: ['ops'] }, schema: { tags: ['platform'], params: IdParams } },
    async (req) => ({
      data: (await rollout.activationsOfWave((req.params as { id: string }).id)).map(activationJson),
      next_cursor: null,
    }),
  );

  app.post(
    '/v1/rollout-waves/:id/invite',
    {
      config: { access: ['ops'] },
      schema: { tags: ['platform'], summary: 'Invite the wave’s merchants (idempotent).', params: IdParams },
    },
    async (req) => {
      const r = await rollout.invite(actorOf(req), (req.params as { id: string }).id);
      return { invited: r.invited, already_invited: r.already };
    },
  );
  for (const action of ['launch', 'pause', 'resume'] as const) {
    app.post(
      `/v1/rollout-waves/:id/${action}`,
      { config: { access: ['ops'] }, schema: { tags: ['platform'], params: IdParams } },
      async (req) => waveJson(await rollout[action](actorOf(req), (req.params as { id: string }).id)),
    );
  }

  app.get(
    '/v1/merchants/:id/payment-methods',
    { config: { access: ['ops', 'merchant'] }, schema: { tags: ['platform'], params: IdParams } },
    async (req) => ({
      data: await rollout.merchantMethods(actorOf(req), (req.params as { id: string }).id),
    }),
  );

  app.post(
    '/v1/merchants/:id/payment-methods/:method/accept',
    {
      config: { access: ['merchant'] },
      schema: {
        tags: ['platform'],
        summary: 'Accept a payment-method invitation: records the agreement and starts onboarding.',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), method: MethodName }),
        body: Body({
          agreement_version: Type.String({ minLength: 1, maxLength: 40 }),
          onboarding: Type.Optional(
            Body(
              {
                merchant_name: Type.Optional(
                  Type.String({ minLength: 1, maxLength: 64, description: 'The profile’s store.name.' }),
                ),
                contact_name: Type.Optional(
                  Type.String({ minLength: 1, maxLength: 100, description: 'The profile’s contact.name.' }),
                ),
                contact_phone: Type.Optional(
                  Type.String({ pattern: '^1\\d{10}$', description: 'The profile’s contact.phone.' }),
                ),
                id_card_number: Type.Optional(
                  Type.String({ pattern: '^\\d{17}[\\dX]$', description: 'The profile’s legal_person.id_number.' }),
                ),
                bank_account_number: Type.Optional(
                  Type.String({ pattern: '^\\d{8,30}$', description: 'The profile’s settlement.account_number.' }),
                ),
              },
              'Shorthand for a few profile fields (PUT /v1/merchants/{id}/profile takes them all). Sealed at rest, encrypted on the wire, never logged.',
            ),
          ),
        }),
      },
    },
    async (req) => {
      const { id, method } = req.params as { id: string; method: string };
      const b = req.body as { agreement_version: string; onboarding?: Record<string, string | undefined> };
      const o = b.onboarding;
      const details: ProfilePatch | undefined = o && {
        'store.name': o.merchant_name,
        'contact.name': o.contact_name,
        'contact.phone': o.contact_phone,
        'legal_person.id_number': o.id_card_number,
        'settlement.account_number': o.bank_account_number,
      };
      if (details)
        for (const k of Object.keys(details) as Array<keyof ProfilePatch>)
          if (details[k] === undefined) delete details[k];
      return activationJson(await rollout.accept(actorOf(req), id, method, b.agreement_version, details));
    },
  );
}
