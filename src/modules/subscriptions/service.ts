import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import type { ClientIdentity } from '../ss12000/scope.ts';
import { newSigningSecret } from '../webhooks/signing.ts';
import { secretBoxFor, subscriptionAad } from '../webhooks/secrets.ts';
import { resolveTarget, TargetRefused } from '../webhooks/targets.ts';
import { presentSubscription } from './presenters.ts';
import { createSubscriptionSchema, MAX_SUBSCRIPTIONS_PER_CLIENT, SUBSCRIPTION_DAYS, type ResourceType, type SubscriptionBody } from './schemas.ts';

const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** At most this many subscriptions per page of GET /subscriptions. */
export const MAX_PAGE = 100;

/** The data API's `{code, message}` error (its error handler renders an ApiError so). */
const ssError = (status: number, code: string, message: string) => new ApiError(status, code, message);

/** Who the audit log names for a client's own change (a client acts through its credentials, no person). */
const clientActor = (identity: ClientIdentity) => ({ id: null, label: `SS 12000 client ${identity.clientId}`, kind: 'client' as const });

/**
 * A subscription belongs to a client and is decided from the client's own grants; the token of an end
 * user's sign-in reads that one person's records and may neither create nor see the client's subscriptions.
 */
export function subscriberOf(identity: ClientIdentity): ClientIdentity {
  if (identity.endUser) {
    throw ssError(
      403,
      'client_token_required',
      "Subscriptions belong to the client: use the client's own access token (client credentials), not an end user's.",
    );
  }
  return identity;
}

/**
 * Validates a CreateSubscription body: the first problem is a 400 `invalid_body` naming the member, in
 * the data API's `{code, message}` shape.
 */
export function parseCreateSubscription(body: unknown): { name: string; resourceTypes: ResourceType[]; target: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw ssError(400, 'invalid_body', 'The body must be a JSON object (a CreateSubscription).');
  const result = createSubscriptionSchema.safeParse(body);
  if (!result.success) {
    const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown && unknown.path.length === 0) {
      const name = unknown.keys[0]!;
      throw ssError(400, 'invalid_body', `${name.length > 60 ? `${name.slice(0, 60)}…` : name} is not a member of a CreateSubscription.`);
    }
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    if (issue.code === 'invalid_type' && issue.input === undefined && issue.path.length === 1) throw ssError(400, 'invalid_body', `${path} is required.`);
    if (issue.path[0] === 'resourceTypes' && issue.path.length > 1)
      throw ssError(400, 'invalid_body', `${path}: must be one of the resource types of SS 12000 (EndPointsEnum), e.g. "Person" or { "resource": "Person" }.`);
    throw ssError(400, 'invalid_body', issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`);
  }
  const d = result.data;
  const types = [...new Set(d.resourceTypes.map((t) => (typeof t === 'string' ? t : t.resource)))];
  return { name: d.name, resourceTypes: types, target: d.target };
}

/**
 * Creates a subscription for the client: checks the target (https and only public addresses in
 * production, see src/modules/webhooks/targets.ts) and the client's count, stores it with a new signing
 * secret and its audit row in one transaction. The answer is the spec's Subscription plus `secret`,
 * which is shown this once.
 */
export async function createSubscription(ctx: AppContext, identity: ClientIdentity, body: unknown): Promise<SubscriptionBody & { secret: string }> {
  const client = subscriberOf(identity);
  const input = parseCreateSubscription(body);
  try {
    await resolveTarget(ctx.config, input.target);
  } catch (error) {
    if (error instanceof TargetRefused) throw ssError(400, 'invalid_target', `target: ${error.message}.`);
    throw error;
  }
  const now = ctx.clock.now();
  const row = {
    id: randomUUID(),
    client_id: client.clientId,
    name: input.name,
    resource_types: input.resourceTypes,
    target: input.target,
    secret: '',
    created_at: now,
    expires_at: new Date(now.getTime() + SUBSCRIPTION_DAYS * DAY_MS),
  };
  // Stored sealed (src/modules/webhooks/secrets.ts); the client gets it in the clear this once.
  const secret = newSigningSecret();
  row.secret = secretBoxFor(ctx.config).seal(secret, subscriptionAad(row.id));
  await ctx.db.transaction().execute(async (trx) => {
    // Counted under a lock on the client's row, so that two creations at once cannot both pass the limit.
    await trx.selectFrom('clients').select('id').where('id', '=', client.clientId).forUpdate().execute();
    const { n } = await trx
      .selectFrom('ss12000_subscriptions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('client_id', '=', client.clientId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_SUBSCRIPTIONS_PER_CLIENT)
      throw ssError(409, 'too_many_subscriptions', `A client may hold at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions; delete one first.`);
    await trx.insertInto('ss12000_subscriptions').values(row).execute();
    await recordAudit(trx, now, clientActor(client), {
      action: 'subscription.created',
      subjectType: 'subscription',
      subjectId: row.id,
      clientId: client.clientId,
      appId: client.appId,
      partnerId: client.partnerId,
      after: { name: row.name, resourceTypes: row.resource_types, target: row.target, expires: row.expires_at.toISOString() },
    });
  });
  return { ...presentSubscription(row), secret };
}

/** The page token of GET /subscriptions: where the last page ended (creation time and id). */
function encodeToken(row: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ e: 'subscriptions', c: row.created_at.toISOString(), i: row.id })).toString('base64url');
}
function decodeToken(token: string): { c: string; i: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: unknown; c?: unknown; i?: unknown };
    if (t.e === 'subscriptions' && typeof t.c === 'string' && !Number.isNaN(Date.parse(t.c)) && typeof t.i === 'string' && UUID.test(t.i))
      return { c: t.c, i: t.i };
  } catch {
    // Falls through to the 400 below.
  }
  throw ssError(400, 'invalid_page_token', 'pageToken is not one this server gave.');
}

/** GET /subscriptions's query: `limit` and `pageToken`, nothing else (an unknown parameter is a 400, as everywhere in the data API). */
export function parseListQuery(query: Record<string, unknown>): { limit: number; after?: { c: string; i: string } } {
  for (const key of Object.keys(query)) {
    if (key !== 'limit' && key !== 'pageToken')
      throw ssError(400, 'unknown_parameter', `${key.length > 60 ? `${key.slice(0, 60)}…` : key} is not a parameter of GET /subscriptions.`);
  }
  const one = (key: string) => {
    const v = query[key];
    if (Array.isArray(v)) throw ssError(400, 'invalid_parameter', `${key} may be given once.`);
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const rawLimit = one('limit');
  let limit = MAX_PAGE;
  if (rawLimit !== undefined) {
    if (!/^\d{1,6}$/.test(rawLimit) || Number(rawLimit) < 1) throw ssError(400, 'invalid_parameter', 'limit must be a positive integer.');
    limit = Math.min(MAX_PAGE, Number(rawLimit));
  }
  const token = one('pageToken');
  return { limit, ...(token ? { after: decodeToken(token) } : {}) };
}

/** The client's subscriptions, oldest first, a page at a time (the spec's Subscriptions). */
export async function listSubscriptions(ctx: AppContext, identity: ClientIdentity, query: Record<string, unknown>) {
  const client = subscriberOf(identity);
  const { limit, after } = parseListQuery(query);
  let q = ctx.db.selectFrom('ss12000_subscriptions').selectAll().where('client_id', '=', client.clientId);
  if (after) q = q.where((eb) => eb.or([eb('created_at', '>', new Date(after.c)), eb.and([eb('created_at', '=', new Date(after.c)), eb('id', '>', after.i)])]));
  const rows = await q
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  // As the other lists of the data API: a pageToken only when there is more.
  const data = page.map(presentSubscription);
  return rows.length > limit && last ? { data, pageToken: encodeToken(last) } : { data };
}

/** The client's own subscription with this id; another client's is as absent as a made-up one (404). */
async function ownSubscription(ctx: AppContext, identity: ClientIdentity, id: string) {
  if (!UUID.test(id)) throw ssError(400, 'invalid_id', 'The id must be a UUID.');
  const row = await ctx.db
    .selectFrom('ss12000_subscriptions')
    .selectAll()
    .where('id', '=', id.toLowerCase())
    .where('client_id', '=', identity.clientId)
    .executeTakeFirst();
  if (!row) throw ssError(404, 'not_found', 'No subscription with this id belongs to this client.');
  return row;
}

/** GET /subscriptions/{id}. */
export async function getSubscription(ctx: AppContext, identity: ClientIdentity, id: string): Promise<SubscriptionBody> {
  return presentSubscription(await ownSubscription(ctx, subscriberOf(identity), id));
}

/** PATCH /subscriptions/{id}: the spec's renewal; the subscription lives SUBSCRIPTION_DAYS from now. */
export async function renewSubscription(ctx: AppContext, identity: ClientIdentity, id: string): Promise<SubscriptionBody> {
  const client = subscriberOf(identity);
  const row = await ownSubscription(ctx, client, id);
  const now = ctx.clock.now();
  const expires = new Date(now.getTime() + SUBSCRIPTION_DAYS * DAY_MS);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('ss12000_subscriptions').set({ expires_at: expires }).where('id', '=', row.id).execute();
    await recordAudit(trx, now, clientActor(client), {
      action: 'subscription.renewed',
      subjectType: 'subscription',
      subjectId: row.id,
      clientId: client.clientId,
      appId: client.appId,
      partnerId: client.partnerId,
      before: { expires: row.expires_at.toISOString() },
      after: { expires: expires.toISOString() },
    });
  });
  return presentSubscription({ ...row, expires_at: expires });
}

/** DELETE /subscriptions/{id}: nothing more is sent for it (pending deliveries go with it). */
export async function deleteSubscription(ctx: AppContext, identity: ClientIdentity, id: string): Promise<void> {
  const client = subscriberOf(identity);
  const row = await ownSubscription(ctx, client, id);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('ss12000_subscriptions').where('id', '=', row.id).execute();
    await recordAudit(trx, ctx.clock.now(), clientActor(client), {
      action: 'subscription.deleted',
      subjectType: 'subscription',
      subjectId: row.id,
      clientId: client.clientId,
      appId: client.appId,
      partnerId: client.partnerId,
      before: { name: row.name, resourceTypes: row.resource_types, target: row.target },
    });
  });
}
