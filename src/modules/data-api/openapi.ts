import { z } from 'zod';
import { DEFAULT_LIMIT, MAX_LIMIT } from './query.ts';

/**
 * The pieces every data API's own OpenAPI 3.1 document shares beside SS 12000 (pre-enrolments,
 * boarders, invoices): the record's JSON Schema from the zod schema the server uses, the Error shape
 * of `installDataApi`, the paging parameters of `query.ts`, and the release notes written from a
 * release declaration. Each module's `openapi.ts` keeps only its own paths and description.
 */

/** A zod schema as JSON Schema, its `$defs` pointing at the document's components. */
export const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const json = JSON.parse(
    JSON.stringify(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })).replace(/"#\/\$defs\//g, '"#/components/schemas/'),
  ) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

/** Responses with these status codes, each the Error shape. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [String(c), { description: String(c), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );

/** A query (or path) parameter. */
export const param = (name: string, description: string, schema: Record<string, unknown>, inPath = false) => ({
  name,
  in: inPath ? 'path' : 'query',
  required: inPath,
  description,
  schema,
});

/** The components' schemas: Error, the record's `$defs`, and the record itself under `name`. */
export function recordSchemas(name: string, record: Record<string, unknown>): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable, snake_case; never changed once published.' },
        message: { type: 'string', description: 'For people.' },
        requestId: { type: 'string', description: 'The request id, as in the access log.' },
      },
    },
    ...((record.$defs as Record<string, unknown>) ?? {}),
  };
  const { $defs: _defs, ...own } = record;
  schemas[name] = own;
  return schemas;
}

/** One line per member a category releases or a marking withholds, from a release declaration's paths. */
export const releaseNotes = (paths: readonly { path: string; categories: readonly string[]; withheldUnder: readonly string[] }[]): string[] =>
  paths
    .filter((p) => p.categories.length || p.withheldUnder.length)
    .map(
      (p) =>
        `- \`${p.path}\`: ${p.categories.length ? `with ${p.categories.join(' and ')}` : 'with the record'}${p.withheldUnder.length ? `; never under ${p.withheldUnder.join(' or ')}` : ''}`,
    );

/** A list page of the records named `name` in the components. */
export const pageSchema = (name: string) => ({
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'array', items: { $ref: `#/components/schemas/${name}` } }, pageToken: { type: 'string' } },
});

/** The paging parameters of every list (`query.ts`). */
export const limitParam = param('limit', `Records per page, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT });
export const pageTokenParam = param('pageToken', 'The pageToken of the previous page: it carries the filters; send it with limit only', {
  type: 'string',
});
