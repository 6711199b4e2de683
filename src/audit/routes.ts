import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AUDIT_PAGE_MAX, type AuditService } from './service';

export function auditRoutes(app: FastifyInstance, audit: AuditService): void {
  app.get(
    '/v1/audit-log',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['platform'],
        summary:
          'Every privileged change: API keys, merchants and profiles (field names only), commission rates, provider accounts, refunds and approvals, rejected notifications, rollout (actor, time, before/after).',
        querystring: Type.Object(
          {
            subject: Type.Optional(
              Type.String({
                maxLength: 120,
                description: 'e.g. merchant:mch_…, api_key:key_…, refund:ref_…, method:wechatpay',
              }),
            ),
            action: Type.Optional(
              Type.String({
                maxLength: 80,
                pattern: '^[a-z_.]+$',
                description: 'An action (refund.created) or a family ending with a dot (refund.).',
              }),
            ),
            actor: Type.Optional(
              Type.String({
                maxLength: 160,
                description: 'e.g. ops:key_…, merchant:mch_…:key_…, system, provider:alipay',
              }),
            ),
            after: Type.Optional(Type.Integer({ minimum: 0, description: 'Cursor: the last id seen.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const q = req.query as { subject?: string; action?: string; actor?: string; after?: number; limit?: number };
      const limit = q.limit ?? 50;
      const rows = await audit.list({
        subject: q.subject,
        action: q.action,
        actor: q.actor,
        afterId: q.after ?? 0,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        data: page.map((r) => ({
          id: r.id,
          actor: r.actor,
          action: r.action,
          subject: r.subject,
          before: r.before,
          after: r.after,
          at: r.at.toISOString(),
        })),
        next_cursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
      };
    },
  );
}
