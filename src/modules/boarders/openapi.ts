import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../data-api/query.ts';
import { BOARDER_ENTITY, BOARDERS_PREFIX, declaredPaths } from './release.ts';
import { boarderLookupSchema, boarderSchema } from './schemas.ts';

/**
 * The boarders API's own OpenAPI 3.1 document, from the zod schemas the server uses and the
 * release declaration (each member says which categories release it and which markings withhold it).
 */
const jsonSchema = (schema: z.ZodType) => {
  const json = JSON.parse(
    JSON.stringify(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })).replace(/"#\/\$defs\//g, '"#/components/schemas/'),
  ) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [String(c), { description: String(c), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );

const param = (name: string, description: string, schema: Record<string, unknown>, inPath = false) => ({
  name,
  in: inPath ? 'path' : 'query',
  required: inPath,
  description,
  schema,
});

/** The document at `${BOARDERS_PREFIX}/openapi.json`, with the deployment's public URL as its server. */
export function boardersOpenApi(ctx: AppContext): Record<string, unknown> {
  const record = jsonSchema(boarderSchema);
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
  delete record.$defs;
  schemas.Boarder = record;
  const releaseNotes = declaredPaths()
    .filter((p) => p.categories.length || p.withheldUnder.length)
    .map(
      (p) =>
        `- \`${p.path}\`: ${p.categories.length ? `with ${p.categories.join(' and ')}` : 'with the record'}${p.withheldUnder.length ? `; never under ${p.withheldUnder.join(' or ')}` : ''}`,
    );
  const page = {
    type: 'object',
    required: ['data'],
    properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Boarder' } }, pageToken: { type: 'string' } },
  };
  const limit = param('limit', `Records per page, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT });
  const pageToken = param('pageToken', 'The pageToken of the previous page: it carries the filters; send it with limit only', { type: 'string' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate boarders API (Internen)',
      version: '1.0.0',
      description: [
        'Boarders (Informat: internen): pupils living at a boarding school — the person (a reference to the SS 12000 person, with',
        'the name the SS 12000 store has now), the boarding house, room or living group, the period of the stay, the nights or',
        'weekend arrangement, and the guardians to contact.',
        '',
        'Read with the data API token of client credentials (the same token as the SS 12000 API, audience `/ss12000`).',
        'A client sees the boarders of the institutions that granted its app the Boarders API, checked on every',
        'request (a removed grant counts from the next request), with the data categories its approval allows:',
        ...releaseNotes,
        '',
        'A marking is the boarder’s `securityMarking` in the SS 12000 store as it is at the read (for a guardian’s contact data,',
        'also the guardian’s own); a boarder whose person is no longer in the store counts as marked. Every read is in the',
        'access log before its answer leaves; requests count against the client’s rate limit (429 `rate_limited`).',
        'Unknown query parameters are refused (`unknown_parameter`). Lists come as repeated keys, `key[]=` or comma-separated.',
        'An end user’s sign-in token is refused here (403 `end_user_token`).',
      ].join('\n'),
    },
    servers: [{ url: `${ctx.config.PUBLIC_URL}${BOARDERS_PREFIX}` }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
    paths: {
      [`/${BOARDER_ENTITY}`]: {
        get: {
          operationId: 'listBoarders',
          summary: 'Boarders of the granted institutions, by id',
          parameters: [
            param('institution', 'Only these institutions (institution numbers); never widens what the grants reach', {
              type: 'array',
              items: { type: 'string' },
            }),
            param('person', 'Only the stays of these SS 12000 persons (ids)', { type: 'array', items: { type: 'string', format: 'uuid' } }),
            param('startDate.onOrBefore', 'Only stays that started on or before this day', { type: 'string', format: 'date' }),
            param('endDate.onOrAfter', 'Only stays that end on or after this day, or are open-ended', { type: 'string', format: 'date' }),
            param('meta.modified.after', 'Only records Schoolgate saw change after this time', { type: 'string', format: 'date-time' }),
            param('meta.modified.before', 'Only records last changed before this time', { type: 'string', format: 'date-time' }),
            limit,
            pageToken,
          ],
          responses: { 200: { description: 'A page', content: { 'application/json': { schema: page } } }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      [`/${BOARDER_ENTITY}/{id}`]: {
        get: {
          operationId: 'getBoarder',
          summary: 'One boarder',
          parameters: [param('id', 'Its id', { type: 'string', format: 'uuid' }, true)],
          responses: {
            200: { description: 'The record', content: { 'application/json': { schema: { $ref: '#/components/schemas/Boarder' } } } },
            ...errors(400, 401, 403, 404, 429, 503),
          },
        },
      },
      [`/${BOARDER_ENTITY}/lookup`]: {
        post: {
          operationId: 'lookupBoarders',
          summary: 'Several boarders by id (those not available to the client are left out)',
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(boarderLookupSchema) } } },
          responses: {
            200: {
              description: 'The records found',
              content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Boarder' } } } },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
      '/deletedEntities': {
        get: {
          operationId: 'deletedBoarders',
          summary: 'Ids of boarders deleted at the granted institutions',
          parameters: [param('after', 'Only deletions after this time', { type: 'string', format: 'date-time' }), limit, pageToken],
          responses: {
            200: {
              description: 'Deleted ids',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['data'],
                    properties: {
                      data: { type: 'object', properties: { [BOARDER_ENTITY]: { type: 'array', items: { type: 'string', format: 'uuid' } } } },
                      pageToken: { type: 'string' },
                    },
                  },
                },
              },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
    },
  };
}
