import { z } from 'zod';

/** Shared schema pieces so every route describes errors and ids the same way. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable error code'),
    detail: z.string().optional(),
    field: z.string().optional().describe('The request field at fault, e.g. body.email'),
    errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'Problem' });

export const uuidParam = z.uuid();
export const institutionNumber = z.string().regex(/^\d{6}$/, 'must be a six-digit institution number');
export const languageSchema = z.enum(['en', 'nl', 'fr', 'sv']);
export const emailSchema = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
export const timestamp = z.date().describe('ISO 8601 date-time');

/** Error responses a route may return, for its `response` schema. */
export const errors = (...statuses: (400 | 401 | 403 | 404 | 409 | 410 | 429)[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<number, typeof problemSchema>;
