import type { AppContext } from '../../context.ts';
import { errors, jsonSchema, limitParam, pageSchema, pageTokenParam, param, recordSchemas, releaseNotes as notesOf } from '../data-api/openapi.ts';
import { declaredPaths, INVOICE_ENTITY, INVOICES_PREFIX } from './release.ts';
import { invoiceSchema, lookupBodySchema } from './schemas.ts';

/**
 * The invoices API's own OpenAPI 3.1 document, from the zod schemas the server uses and the
 * release declaration (each member says which categories release it and which markings withhold it).
 */
/** The document at `${INVOICES_PREFIX}/openapi.json`, with the deployment's public URL as its server. */
export function invoicesOpenApi(ctx: AppContext): Record<string, unknown> {
  const schemas = recordSchemas('Invoice', jsonSchema(invoiceSchema));
  const releaseNotes = notesOf(declaredPaths());
  const page = pageSchema('Invoice');
  const limit = limitParam;
  const pageToken = pageTokenParam;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate invoices API (Rekeningen)',
      version: '1.0.0',
      description: [
        'Invoices (Informat: rekeningen) of the invoicing module: per access group (toegangsgroep), the invoices issued for pupils of',
        'its member institutions to their debtors (a guardian, or the adult pupil), with lines, amounts in cents, VAT, due and paid',
        'dates, payment status (open, partially_paid, paid, cancelled) and reminders, for a school year.',
        '',
        'Read with the data API token of client credentials (the same token as the SS 12000 API, audience `/ss12000`).',
        'A client sees the invoices of the access groups that granted its app the Invoices API, each while its institution is a',
        'member of that group, checked on every request (a removed grant counts from the next request). An institution in',
        'several access groups shows each group’s invoices only under that group’s grant. What is released depends on the data',
        'categories the app’s approval allows:',
        ...releaseNotes,
        '',
        'A marking is the debtor’s `securityMarking` or the pupil’s (which is never served). Every read is in the access log',
        'before its answer leaves, credited to the access group and institution of each invoice; requests count against the',
        'client’s rate limit (429 `rate_limited`). Unknown query parameters are refused (`unknown_parameter`). Lists come as',
        'repeated keys, `key[]=` or comma-separated. An end user’s sign-in token is refused here (403 `end_user_token`).',
      ].join('\n'),
    },
    servers: [{ url: `${ctx.config.PUBLIC_URL}${INVOICES_PREFIX}` }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
    paths: {
      [`/${INVOICE_ENTITY}`]: {
        get: {
          operationId: 'listInvoices',
          summary: 'Invoices of the granted access groups, by id',
          parameters: [
            param('accessGroup', 'Only these access groups (ids); never widens what the grants reach', {
              type: 'array',
              items: { type: 'string', format: 'uuid' },
            }),
            param('institution', 'Only these institutions (institution numbers); never widens what the grants reach', {
              type: 'array',
              items: { type: 'string' },
            }),
            param('schoolYear', 'Only invoices of these school years (the calendar year each starts in)', { type: 'array', items: { type: 'integer' } }),
            param('debtor', 'Only invoices to these debtors (debtor ids)', { type: 'array', items: { type: 'string', format: 'uuid' } }),
            param('meta.modified.after', 'Only records Schoolgate saw change after this time', { type: 'string', format: 'date-time' }),
            param('meta.modified.before', 'Only records last changed before this time', { type: 'string', format: 'date-time' }),
            limit,
            pageToken,
          ],
          responses: { 200: { description: 'A page', content: { 'application/json': { schema: page } } }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      [`/${INVOICE_ENTITY}/{id}`]: {
        get: {
          operationId: 'getInvoice',
          summary: 'One invoice',
          parameters: [param('id', 'Its id', { type: 'string', format: 'uuid' }, true)],
          responses: {
            200: { description: 'The record', content: { 'application/json': { schema: { $ref: '#/components/schemas/Invoice' } } } },
            ...errors(400, 401, 403, 404, 429, 503),
          },
        },
      },
      [`/${INVOICE_ENTITY}/lookup`]: {
        post: {
          operationId: 'lookupInvoices',
          summary: 'Several invoices by id (those not available to the client are left out)',
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(lookupBodySchema) } } },
          responses: {
            200: {
              description: 'The records found',
              content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Invoice' } } } },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
      '/deletedEntities': {
        get: {
          operationId: 'deletedInvoices',
          summary: 'Ids of invoices deleted in the granted access groups',
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
                      data: { type: 'object', properties: { [INVOICE_ENTITY]: { type: 'array', items: { type: 'string', format: 'uuid' } } } },
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
