import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, IdParams } from '../shared/schemas';
import { HutongError } from '../shared/errors';
import { merchantJson } from '../catalog/routes';
import { IMAGE_KINDS, type ImageKind } from './profile';
import type { OnboardingService } from './service';
import { patchFromBody, profileBodySchema, profileJson, type ProfileBody } from './views';

const Snake = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
/** 2 MB of image in base64, plus the JSON around it. */
const IMAGE_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

export function onboardingRoutes(app: FastifyInstance, onboarding: OnboardingService): void {
  app.post(
    '/v1/merchants',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['merchants'],
        summary:
          'Create a merchant (ops), with or without its onboarding profile. Its Alipay 直付通 application starts once the profile is complete (against a sandbox: at once).',
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 100, description: 'Shop name shown to buyers.' }),
          category: Type.Optional(Snake),
          tier: Type.Optional(Snake),
          contact_name: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 50,
              description: 'Also the profile’s contact.name unless the profile gives one.',
            }),
          ),
          contact_phone: Type.Optional(
            Type.String({ pattern: '^1\\d{10}$', description: 'Stored sealed as the profile’s contact.phone.' }),
          ),
          profile: Type.Optional(profileBodySchema()),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as {
        name: string;
        category?: string;
        tier?: string;
        contact_name?: string;
        contact_phone?: string;
        profile?: ProfileBody;
      };
      const patch = patchFromBody(b.profile ?? {});
      if (b.contact_name && patch['contact.name'] === undefined) patch['contact.name'] = b.contact_name;
      if (b.contact_phone && patch['contact.phone'] === undefined) patch['contact.phone'] = b.contact_phone;
      const m = await onboarding.createMerchant(
        actorOf(req),
        { name: b.name, category: b.category, tier: b.tier, contactName: b.contact_name },
        patch,
      );
      return reply.status(201).send(merchantJson(m));
    },
  );

  app.get(
    '/v1/merchants/:id/profile',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['merchants'],
        summary: 'The onboarding profile (sensitive values masked) and what each provider still misses.',
        params: IdParams,
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      return profileJson(await onboarding.profile(actorOf(req), id), await onboarding.missing(id));
    },
  );

  app.put(
    '/v1/merchants/:id/profile',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['merchants'],
        summary:
          'Complete or correct the onboarding profile (ops, or the merchant for itself). Audited by field name; values sealed.',
        params: IdParams,
        body: profileBodySchema(),
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const patch = patchFromBody(req.body as ProfileBody);
      if (Object.keys(patch).length === 0) throw new HutongError('validation_failed', 'Nothing to change.');
      return profileJson(await onboarding.updateProfile(actorOf(req), id, patch), await onboarding.missing(id));
    },
  );

  app.put(
    '/v1/merchants/:id/profile/images/:kind',
    {
      config: { access: ['ops', 'merchant'] },
      bodyLimit: IMAGE_BODY_LIMIT_BYTES,
      schema: {
        tags: ['merchants'],
        summary:
          'Upload a licence or ID card image: Hutong passes it to every configured provider’s media API and keeps their media ids (not the image).',
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 64 }),
          kind: Type.Union(IMAGE_KINDS.map((k) => Type.Literal(k))),
        }),
        body: Body({
          filename: Type.String({
            pattern: '^[A-Za-z0-9_.-]{1,60}\\.(jpg|jpeg|png|bmp)$',
            description: 'Its extension names the format.',
          }),
          content_base64: Type.String({
            minLength: 4,
            maxLength: IMAGE_BODY_LIMIT_BYTES,
            pattern: '^[A-Za-z0-9+/]+={0,2}$',
            description: 'The image (JPEG, PNG or BMP, ≤ 2 MB), base64.',
          }),
        }),
      },
    },
    async (req) => {
      const { id, kind } = req.params as { id: string; kind: ImageKind };
      const b = req.body as { filename: string; content_base64: string };
      const profile = await onboarding.uploadImage(
        actorOf(req),
        id,
        kind,
        b.filename,
        Buffer.from(b.content_base64, 'base64'),
      );
      return profileJson(profile, await onboarding.missing(id));
    },
  );
}
