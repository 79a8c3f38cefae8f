import { z } from 'zod';

/**
 * The spec's EndPointsEnum (SS 12000 v2.1, `Code_ObjectType`): the resource types a subscription may
 * name. Every value is accepted; a type the data API does not serve yet simply never changes.
 */
export const RESOURCE_TYPES = [
  'Absence',
  'AttendanceEvent',
  'Attendance',
  'Grade',
  'CalendarEvent',
  'AttendanceSchedule',
  'Resource',
  'Room',
  'Activity',
  'Duty',
  'Placement',
  'StudyPlan',
  'Programme',
  'Syllabus',
  'SchoolUnitOffering',
  'Group',
  'Person',
  'Organisation',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A client keeps at most this many subscriptions (each change is checked against each of them). */
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 20;
/** How long a subscription lives from its creation or last renewal (PATCH /subscriptions/{id}). */
export const SUBSCRIPTION_DAYS = 30;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * One entry of `resourceTypes`: the schema's `{ "resource": "Person" }`, or the bare `"Person"` of the
 * spec's own example (clients copy examples; both mean the same and neither can mean more).
 */
const resourceTypeEntry = z.union([z.enum(RESOURCE_TYPES), z.strictObject({ resource: z.enum(RESOURCE_TYPES) })]);

/** The spec's CreateSubscription (POST /subscriptions); a member it does not define is refused. */
export const createSubscriptionSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    // The database stores no NUL, and a control character in a label only hides what it says.
    .refine((v) => !CONTROL.test(v), 'name must not contain control characters'),
  resourceTypes: z
    .array(resourceTypeEntry)
    .min(1, 'resourceTypes must name at least one resource type')
    .max(RESOURCE_TYPES.length * 2),
  target: z.string().refine((v) => !CONTROL.test(v), 'target must not contain control characters'),
});
export type CreateSubscription = z.infer<typeof createSubscriptionSchema>;

/** The spec's Subscription, as the data API answers it. */
export interface SubscriptionBody {
  id: string;
  expires: string;
  name: string;
  resourceTypes: { resource: ResourceType }[];
  target: string;
}

/**
 * The facade's OpenAPI paths of `/subscriptions` (src/modules/ss12000/openapi.ts adds them), with the
 * notice the target receives as the POST's callback, as the spec has it.
 */
export function subscriptionOpenApiPaths(errors: (...statuses: number[]) => Record<string, unknown>): Record<string, unknown> {
  const resource = { type: 'string', enum: [...RESOURCE_TYPES] };
  const subscription = {
    type: 'object',
    required: ['id', 'expires', 'name', 'resourceTypes', 'target'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      expires: { type: 'string', format: 'date-time', description: `Not notified after this; PATCH renews for ${SUBSCRIPTION_DAYS} days` },
      name: { type: 'string' },
      resourceTypes: { type: 'array', items: { type: 'object', required: ['resource'], properties: { resource } } },
      target: { type: 'string' },
    },
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const notice = {
    type: 'object',
    properties: {
      modifiedEntites: { type: 'array', items: resource, description: 'Types with new or changed records within your grants (the spec’s spelling)' },
      deletedEntities: { type: 'boolean', description: 'Deletions within your grants to fetch from /deletedEntities' },
    },
  };
  const signed =
    'Signed following Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>, ' +
    'key = base64 after whsec_ of the secret). Answer 2xx; anything else is retried with exponential backoff for more than 24 hours.';
  return {
    '/subscriptions': {
      get: {
        operationId: 'listSubscriptions',
        summary: "The client's subscriptions",
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'pageToken', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'A page of subscriptions',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['data'],
                  properties: { data: { type: 'array', items: subscription }, pageToken: { type: 'string', description: 'Present when there is more' } },
                },
              },
            },
          },
          ...errors(400, 401, 403, 429),
        },
      },
      post: {
        operationId: 'createSubscription',
        summary: 'Subscribe to changes of resource types within the grants (client credentials token only)',
        description: `At most ${MAX_SUBSCRIPTIONS_PER_CLIENT} per client. https and public addresses only in production. ${signed}`,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name', 'resourceTypes', 'target'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', maxLength: 200 },
                  resourceTypes: {
                    type: 'array',
                    minItems: 1,
                    items: { oneOf: [resource, { type: 'object', required: ['resource'], properties: { resource } }] },
                  },
                  target: { type: 'string', format: 'uri' },
                },
              },
            },
          },
        },
        callbacks: {
          subscriptionEvent: {
            '{$request.body#/target}': {
              post: { requestBody: { required: true, content: { 'application/json': { schema: notice } } }, responses: { 200: { description: 'Accepted' } } },
            },
          },
        },
        responses: {
          201: {
            description: 'Created; `secret` (whsec_…) is shown this once',
            content: { 'application/json': { schema: { ...subscription, properties: { ...subscription.properties, secret: { type: 'string' } } } } },
          },
          ...errors(400, 401, 403, 409, 413, 415, 429),
        },
      },
    },
    '/subscriptions/{id}': {
      get: {
        operationId: 'getSubscription',
        summary: 'One of the client’s subscriptions',
        parameters: [idParam],
        responses: { 200: { description: 'The subscription', content: { 'application/json': { schema: subscription } } }, ...errors(400, 401, 403, 404, 429) },
      },
      patch: {
        operationId: 'renewSubscription',
        summary: `Renew: the subscription expires ${SUBSCRIPTION_DAYS} days from now`,
        parameters: [idParam],
        responses: { 200: { description: 'Renewed', content: { 'application/json': { schema: subscription } } }, ...errors(400, 401, 403, 404, 429) },
      },
      delete: {
        operationId: 'deleteSubscription',
        summary: 'Delete a subscription',
        parameters: [idParam],
        responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404, 429) },
      },
    },
  };
}
