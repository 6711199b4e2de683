// Shared TypeBox pieces. The schema is the wire shape; every field carries a description for /docs.
import { Type, type TSchema } from 'typebox';

export const FenAmount = (description: string) =>
  Type.Integer({
    minimum: 1,
    maximum: 100_000_000_00,
    description: `${description} Integer fen (1230 = ¥12.30).`,
    examples: [1230],
  });

export const Id = (prefix: string, description: string) =>
  Type.String({ minLength: 4, maxLength: 64, description, examples: [`${prefix}_7Hq2mXc9Lp0aZr4TfW1b`] });

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable machine-readable code (docs/errors.md).' }),
    message: Type.String(),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    request_id: Type.Optional(Type.String()),
  }),
});

export const ListOf = (item: TSchema) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Body objects reject unknown fields (a typo in a money field must not pass silently). */
export const Body = <T extends Record<string, TSchema>>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
