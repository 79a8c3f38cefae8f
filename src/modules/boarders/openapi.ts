import type { AppContext } from '../../context.ts';
import { errors, jsonSchema, limitParam, pageSchema, pageTokenParam, param, recordSchemas, releaseNotes as notesOf } from '../data-api/openapi.ts';
import { BOARDER_ENTITY, BOARDERS_PREFIX, declaredPaths } from './release.ts';
import { boarderLookupSchema, boarderSchema } from './schemas.ts';

/**
 * The boarders API's own OpenAPI 3.1 document, from the zod schemas the server uses and the
 * release declaration (each member says which categories release it and which markings withhold it).
 */
/** The document at `${BOARDERS_PREFIX}/openapi.json`, with the deployment's public URL as its server. */
export function boardersOpenApi(ctx: AppContext): Record<string, unknown> {
  const schemas = recordSchemas('Boarder', jsonSchema(boarderSchema));
  const releaseNotes = notesOf(declaredPaths());
  const page = pageSchema('Boarder');
  const limit = limitParam;
  const pageToken = pageTokenParam;
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
