import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import { signWebhook } from './signing.ts';
import { appWebhookAad, secretBoxFor, subscriptionAad } from './secrets.ts';
import { guardedLookup, resolveTarget, TargetRefused } from './targets.ts';

/** The delivery job's queue name; its data is `{ id }` of a webhook_deliveries row. */
export const WEBHOOK_DELIVERY_JOB = 'webhook.deliver';

/**
 * The delivery queue's retry policy. pg-boss waits `retryDelay · 2^n · (1 + random)` seconds before
 * retry n (n from 0), capped at `retryDelayMax`: at least 60 s, 2, 4, 8, 16, 32 min, then an hour each
 * time. The least that sums to over 30 retries is 63 min + 24 × 60 min: a receiver that is down is
 * tried for more than 24 hours (signing.test.ts pins the arithmetic) before the delivery is 'failed'.
 */
export const WEBHOOK_QUEUE_POLICY = { retryLimit: 30, retryDelay: 60, retryBackoff: true, retryDelayMax: 3600, expireInSeconds: 120, notify: true } as const;

/** How long one attempt may take (connect, send, the receiver's answer). */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** At most this much of an error text is kept per attempt. */
const MAX_ERROR = 500;

/** What one run of the delivery job did. */
export type WebhookOutcome = 'delivered' | 'withheld' | 'not_pending' | 'missing';

/** A failed attempt; the job is retried (with backoff) unless it was the last one. */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
}

/** A notification's subscription and delivery, as the re-check at delivery needs them. */
export interface NoticeToCheck {
  deliveryId: string;
  subscriptionId: string;
  clientId: string;
  resourceTypes: string[];
  payload: unknown;
  entityRefs: unknown;
}

/**
 * Decides, at the moment of an attempt, what an SS 12000 notification may still say: the payload
 * narrowed to what the subscriber's live grants see, or null to send nothing. Supplied by the data API
 * (src/modules/ss12000/notices.ts) through the job definition, so that this machinery knows no entity.
 */
export type NoticeCheck = (ctx: AppContext, notice: NoticeToCheck) => Promise<object | null>;

/** A new delivery to queue (see `queueDelivery`). */
export interface NewDelivery {
  kind: 'subscription' | 'partner';
  subscriptionId?: string | null;
  appId: string | null;
  eventType: string;
  payload: object;
  entityRefs?: object | null;
  replayOf?: string | null;
}

/**
 * Stores a delivery and queues its job, both in the caller's transaction: the message exists exactly
 * when the change that caused it does, and any process's worker sends it.
 */
export async function queueDelivery(trx: Queryable, ctx: Pick<AppContext, 'clock' | 'jobs'>, d: NewDelivery): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto('webhook_deliveries')
    .values({
      id,
      kind: d.kind,
      subscription_id: d.subscriptionId ?? null,
      app_id: d.appId,
      event_type: d.eventType,
      payload: JSON.stringify(d.payload),
      entity_refs: d.entityRefs ? JSON.stringify(d.entityRefs) : null,
      status: 'pending',
      created_at: ctx.clock.now(),
      replay_of: d.replayOf ?? null,
    } as never)
    .execute();
  await ctx.jobs.sendInTransaction(trx, WEBHOOK_DELIVERY_JOB, { id });
  return id;
}

/**
 * Queues one partner event for an app as a signed webhook, when the app's partner configured an
 * endpoint (`app_webhooks`); otherwise nothing. The body is the Standard Webhooks envelope
 * `{ type, timestamp, data }`; `data` must already be what the partner may know (an end user only by
 * the pairwise `sub`). Runs in the transaction of the change it reports.
 */
export async function queuePartnerEvent(
  trx: Queryable,
  ctx: Pick<AppContext, 'clock' | 'jobs'>,
  event: { appId: string; type: string; data: object },
): Promise<string | null> {
  const endpoint = await trx.selectFrom('app_webhooks').select('app_id').where('app_id', '=', event.appId).executeTakeFirst();
  if (!endpoint) return null;
  const payload = { type: event.type, timestamp: ctx.clock.now().toISOString(), data: event.data };
  return queueDelivery(trx, ctx, { kind: 'partner', appId: event.appId, eventType: event.type, payload });
}

/**
 * Queues the same message again as a new delivery (the partner's "send again"): same payload, a new
 * `webhook-id` (a receiver that dropped the first as a duplicate takes this one), re-checked like the
 * first for a notification. In the caller's transaction (with its audit row).
 */
export async function replayDelivery(trx: Queryable, ctx: Pick<AppContext, 'clock' | 'jobs'>, id: string): Promise<string | undefined> {
  const row = await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return queueDelivery(trx, ctx, {
    kind: row.kind as NewDelivery['kind'],
    subscriptionId: row.subscription_id,
    appId: row.app_id,
    eventType: row.event_type,
    payload: row.payload as object,
    entityRefs: (row.entity_refs as object | null) ?? null,
    replayOf: row.id,
  });
}

/** Where a delivery goes, read live on every attempt; `refusal` says why nothing may be sent. */
interface Endpoint {
  target: string;
  /**
   * The signing secret, opened from its sealed form when the attempt signs (secrets.ts): a secret no
   * key of the deployment opens makes that attempt fail, logged and retried like a refused connection.
   */
  secret: () => string;
  refusal?: string;
  /** A notification's subscription (for the re-check). */
  subscription?: { id: string; client_id: string; resource_types: string[] };
}

async function endpointOf(ctx: AppContext, row: { kind: string; subscription_id: string | null; app_id: string | null }): Promise<Endpoint> {
  if (row.kind === 'subscription') {
    const s = await ctx.db.selectFrom('ss12000_subscriptions').selectAll().where('id', '=', row.subscription_id!).executeTakeFirst();
    if (!s) return { target: '', secret: () => '', refusal: 'the subscription no longer exists' };
    if (s.expires_at.getTime() <= ctx.clock.now().getTime()) return { target: s.target, secret: () => '', refusal: 'the subscription has expired' };
    return { target: s.target, secret: () => secretBoxFor(ctx.config).open(s.secret, subscriptionAad(s.id)), subscription: s };
  }
  const w = await ctx.db.selectFrom('app_webhooks').selectAll().where('app_id', '=', row.app_id!).executeTakeFirst();
  if (!w) return { target: '', secret: () => '', refusal: "the app's webhook endpoint was removed" };
  return { target: w.target, secret: () => secretBoxFor(ctx.config).open(w.secret, appWebhookAad(w.app_id)) };
}

/** Posts one attempt; resolves with the receiver's status, or rejects with what went wrong. */
function post(ctx: AppContext, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const lookup = guardedLookup(ctx.config);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        // A fresh connection per attempt: nothing of one receiver's connection is reused for another,
        // and the guarded lookup runs for every connection.
        agent: false,
        ...(lookup ? { lookup } : {}),
        timeout: ATTEMPT_TIMEOUT_MS,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Schoolgate-Webhooks/1' },
      },
      (res: IncomingMessage) => {
        // The answer's body says nothing we keep; read it away so the socket closes.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Delivers one webhook message (the job `webhook.deliver`). Idempotent: only a 'pending' delivery is
 * attempted. Every attempt reads the endpoint live (target, secret, expiry), re-checks a notification
 * against the subscriber's live grants (`check`), checks the target's addresses (production: no
 * private ones), signs (Standard Webhooks) and posts, and writes one row to
 * `webhook_delivery_attempts` with the status, duration and error. A 2xx is success; anything else
 * throws so that pg-boss retries with backoff, and the final failure marks the delivery 'failed'.
 */
export async function deliverWebhook(ctx: AppContext, id: string, options: { finalAttempt: boolean; check: NoticeCheck }): Promise<WebhookOutcome> {
  const row = await ctx.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return 'missing';
  if (row.status !== 'pending') return 'not_pending';
  const started = ctx.clock.now();
  const endpoint = await endpointOf(ctx, row);
  const withhold = async (reason: string, target: string) => {
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_delivery_attempts')
        .values({ delivery_id: id, attempted_at: started, target, status_code: null, duration_ms: 0, error: `not sent: ${reason}` })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'withheld', last_attempt_at: started })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    });
    return 'withheld' as const;
  };
  if (endpoint.refusal) return withhold(endpoint.refusal, endpoint.target);
  let payload = row.payload as object;
  if (row.kind === 'subscription' && endpoint.subscription) {
    const s = endpoint.subscription;
    const narrowed = await options.check(ctx, {
      deliveryId: id,
      subscriptionId: s.id,
      clientId: s.client_id,
      resourceTypes: s.resource_types,
      payload: row.payload,
      entityRefs: row.entity_refs,
    });
    if (!narrowed) return withhold("none of the changed entities is within the subscriber's grants any more", endpoint.target);
    payload = narrowed;
  }
  const body = JSON.stringify(payload);
  const t0 = performance.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    let secret: string;
    try {
      secret = endpoint.secret();
    } catch (e) {
      throw new Error(`the signing secret cannot be opened: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const url = await resolveTarget(ctx.config, endpoint.target);
    status = await post(ctx, url, { ...signWebhook(secret, id, ctx.clock.now(), body) }, body);
    if (status < 200 || status > 299) error = `the receiver answered ${status}`;
  } catch (e) {
    error = e instanceof TargetRefused ? `target refused: ${e.message}` : e instanceof Error ? e.message : String(e);
  }
  const duration = Math.max(0, Math.round(performance.now() - t0));
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_delivery_attempts')
      .values({
        delivery_id: id,
        attempted_at: now,
        target: endpoint.target,
        status_code: status,
        duration_ms: duration,
        error: error?.slice(0, MAX_ERROR) ?? null,
      })
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({
        attempts: sql`attempts + 1`,
        last_attempt_at: now,
        ...(error ? (options.finalAttempt ? { status: 'failed' } : {}) : { status: 'delivered', delivered_at: now }),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  });
  if (error) throw new WebhookDeliveryError(error);
  return 'delivered';
}
