import { z } from 'zod';
import { timestamp } from '../../http/common-schemas.ts';

/** The endpoint a partner configures for an app's events (PUT /partner/apps/:appId/webhook). */
export const webhookBody = z.strictObject({
  target: z.string().min(1).max(2000).describe('Where the app’s events are posted: https in production, never a private, loopback or link-local address there'),
  rotateSecret: z.boolean().optional().describe('Make a new signing secret (shown once in the answer); the old one stops at once'),
});

/** An app's webhook endpoint as the partner reads it (never the secret, except once in `secret`). */
export const webhookSchema = z
  .object({
    target: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    secret: z.string().optional().describe('The signing secret (whsec_…): present only in the answer that created it; store it now'),
  })
  .meta({ id: 'AppWebhook' });

/** One attempt to deliver a message. */
export const attemptSchema = z.object({
  at: timestamp,
  target: z.string(),
  statusCode: z.number().int().nullable().describe("The receiver's HTTP status; null when no answer came"),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});

/** One webhook message of an app: an SS 12000 notification of its client's subscription, or a partner event. */
export const deliverySchema = z
  .object({
    id: z.uuid().describe('The webhook-id the receiver saw'),
    kind: z.enum(['subscription', 'partner']),
    subscriptionId: z.uuid().nullable(),
    eventType: z.string(),
    payload: z.unknown().describe('The body as queued (a notification is re-checked, and may be narrowed, on every attempt)'),
    status: z.enum(['pending', 'delivered', 'failed', 'withheld']),
    attempts: z.number().int(),
    createdAt: timestamp,
    lastAttemptAt: timestamp.nullable(),
    deliveredAt: timestamp.nullable(),
    replayOf: z.uuid().nullable(),
    attemptLog: z.array(attemptSchema).describe('The latest attempts, newest first'),
  })
  .meta({ id: 'WebhookDelivery' });

/** Paging of the deliveries: newest first, before a creation time. */
export const deliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  before: z.iso.datetime({ offset: true }).optional().describe('Only deliveries created before this moment (the createdAt of the last one seen)'),
});

export const deliveryParams = z.object({ appId: z.uuid(), deliveryId: z.string().max(100) });
