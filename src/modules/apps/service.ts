import { timingSafeEqual } from 'node:crypto';
import type { AppContext, Queryable } from '../../context.ts';
import type { Actor } from '../../auth/actor.ts';
import type { AccessLevel, App, AppStatus, Language, Purposes } from '../../db/schema.ts';
import { PURPOSE_LANGUAGES, purposeIn } from '../../lib/purposes.ts';
import { ApiError, conflict, forbidden, invalidField } from '../../http/errors.ts';
import { newId, randomToken, sha256 } from '../../lib/ids.ts';
import { queuePartnerEvent } from '../webhooks/delivery.ts';
import { auditActor, recordAudit } from '../audit/record.ts';
import { appSnapshot } from './presenters.ts';
import { assertApproved, assertNotArchived, editableFields, lockRequiredPartnerApp, REVIEWED_FIELDS } from './policies.ts';
import { grantScopeOfClient, languagesByEmail, listLiveSecrets } from './queries.ts';
import { rotateClientSecret } from '../access/clients.ts';
import type { ApiRequestInput, AppCreateInput, AppPatchInput } from './schemas.ts';

const DAY_MS = 86_400_000;

/** The category every API request includes: who the records are about. */
const IDENTITY = 'identity';

interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** Throws one 400 naming every field at fault (the first one in `field`). */
function throwProblems(problems: FieldProblem[]): void {
  const first = problems[0];
  if (!first) return;
  throw new ApiError(400, first.code, first.message, { field: first.field, errors: problems });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Redirect URIs are compared as exact strings at sign-in, so they are stored as given; here they
 * only have to be absolute, https (http for a developer's own machine), without fragment or
 * credentials.
 */
export function redirectUriProblems(uris: string[], field: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  uris.forEach((raw, i) => {
    const f = `${field}.${i}`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      problems.push({ field: f, code: 'redirect_uri_invalid', message: 'must be an absolute URL' });
      return;
    }
    if (/\s/.test(raw)) problems.push({ field: f, code: 'redirect_uri_invalid', message: 'must not contain spaces' });
    else if (raw.includes('#')) problems.push({ field: f, code: 'redirect_uri_fragment', message: 'must not contain a fragment (#…)' });
    else if (url.username || url.password) problems.push({ field: f, code: 'redirect_uri_invalid', message: 'must not contain credentials' });
    else if (!(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))))
      problems.push({ field: f, code: 'redirect_uri_insecure', message: 'must use https (http only for localhost)' });
    else if (seen.has(raw)) problems.push({ field: f, code: 'redirect_uri_duplicate', message: 'is listed twice' });
    seen.add(raw);
  });
  return problems;
}

export interface NormalizedApiRequest {
  apiCode: string;
  dataCategories: string[];
  purposes: Purposes;
  /** read, or read_write (issue 17, write grants). */
  accessLevel: AccessLevel;
}

/**
 * The purposes of one requested API as stored: the languages given (non-empty), in a fixed order so
 * that comparing two versions compares their content; a lone `purpose` counts as the author's language.
 */
function normalizePurposes(r: ApiRequestInput, language: Language): Purposes {
  const given: Purposes = { ...(r.purpose ? { [language]: r.purpose } : {}), ...r.purposes };
  const out: Purposes = {};
  for (const l of PURPOSE_LANGUAGES) {
    const text = given[l];
    if (text) out[l] = text;
  }
  return out;
}

/**
 * Checks requested APIs against the catalog: known code, once each, categories from that API's
 * catalog entry. Returns them with 'identity' added and categories in catalog order.
 */
export async function normalizeApiRequests(
  db: Queryable,
  apis: ApiRequestInput[],
  field: string,
  problems: FieldProblem[] = [],
  language: Language = 'en',
): Promise<NormalizedApiRequest[]> {
  const catalog = new Map((await db.selectFrom('apis').selectAll().execute()).map((a) => [a.code, a]));
  const seen = new Set<string>();
  const out: NormalizedApiRequest[] = [];
  apis.forEach((r, i) => {
    const api = catalog.get(r.apiCode);
    if (!api) {
      problems.push({
        field: `${field}.${i}.apiCode`,
        code: 'unknown_api',
        message: `is not in the API catalog (one of: ${[...catalog.keys()].join(', ')})`,
      });
      return;
    }
    if (seen.has(r.apiCode)) {
      problems.push({ field: `${field}.${i}.apiCode`, code: 'duplicate_api', message: `${r.apiCode} is requested twice` });
      return;
    }
    seen.add(r.apiCode);
    const unknown = r.dataCategories.filter((c) => !api.data_categories.includes(c));
    if (unknown.length > 0) {
      problems.push({
        field: `${field}.${i}.dataCategories`,
        code: 'unknown_data_category',
        message: `${unknown.join(', ')} not offered by ${api.code} (one of: ${api.data_categories.join(', ')})`,
      });
      return;
    }
    const purposes = normalizePurposes(r, language);
    if (Object.keys(purposes).length === 0) {
      problems.push({ field: `${field}.${i}.purposes`, code: 'purpose_missing', message: 'give the purpose in at least one language' });
      return;
    }
    const wanted = new Set([IDENTITY, ...r.dataCategories]);
    out.push({ apiCode: api.code, dataCategories: api.data_categories.filter((c) => wanted.has(c)), purposes, accessLevel: r.accessLevel ?? 'read' });
  });
  throwProblems(problems);
  const order = new Map([...catalog.values()].map((a) => [a.code, a.sort_order]));
  return out.sort((a, b) => (order.get(a.apiCode) ?? 0) - (order.get(b.apiCode) ?? 0));
}

async function currentRequests(db: Queryable, appId: string): Promise<NormalizedApiRequest[]> {
  const rows = await db
    .selectFrom('app_api_requests as r')
    .innerJoin('apis as a', 'a.code', 'r.api_code')
    .select(['r.api_code', 'r.data_categories', 'r.purposes', 'r.access_level'])
    .where('r.app_id', '=', appId)
    .orderBy('a.sort_order')
    .execute();
  return rows.map((r) => {
    const purposes: Purposes = {};
    for (const l of PURPOSE_LANGUAGES) if (r.purposes[l]) purposes[l] = r.purposes[l];
    return { apiCode: r.api_code, dataCategories: r.data_categories, purposes, accessLevel: r.access_level };
  });
}

async function replaceRequests(db: Queryable, appId: string, apis: NormalizedApiRequest[]): Promise<void> {
  await db.deleteFrom('app_api_requests').where('app_id', '=', appId).execute();
  if (apis.length === 0) return;
  await db
    .insertInto('app_api_requests')
    .values(
      apis.map((r) => ({
        app_id: appId,
        api_code: r.apiCode,
        data_categories: r.dataCategories,
        purposes: JSON.stringify(r.purposes),
        access_level: r.accessLevel,
      })),
    )
    .execute();
}

const snapshotOf = (app: App, apis: NormalizedApiRequest[]) =>
  appSnapshot({
    name: app.name,
    description: app.description,
    contactEmail: app.contact_email,
    status: app.status,
    redirectUris: app.redirect_uris,
    clientType: app.client_type,
    apis,
  });

const sameApis = (a: NormalizedApiRequest[], b: NormalizedApiRequest[]) =>
  JSON.stringify([...a].sort((x, y) => x.apiCode.localeCompare(y.apiCode))) === JSON.stringify([...b].sort((x, y) => x.apiCode.localeCompare(y.apiCode)));

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Registers a draft app for the partner. */
export async function createApp(ctx: AppContext, actor: Actor, partnerId: string, input: AppCreateInput): Promise<string> {
  // Every field at fault is reported at once, in body order.
  const problems = redirectUriProblems(input.redirectUris, 'body.redirectUris');
  const apis = await normalizeApiRequests(ctx.db, input.apis, 'body.apis', problems, actorLanguage(actor));
  const now = ctx.clock.now();
  const appId = newId();
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('apps')
      .values({
        id: appId,
        partner_id: partnerId,
        name: input.name,
        description: input.description,
        contact_email: input.contactEmail,
        status: 'draft',
        redirect_uris: input.redirectUris,
        client_type: input.clientType,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await replaceRequests(trx, appId, apis);
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.created',
      subjectType: 'app',
      subjectId: appId,
      partnerId,
      appId,
      after: appSnapshot({ ...input, status: 'draft', apis }),
    });
  });
  return appId;
}

/**
 * Edits an app. Draft and rejected apps change freely (a rejected one goes back to draft); once
 * submitted, approved or suspended only description and contact e-mail may change, since the rest
 * is what the operator reviewed (409 `app_locked`); archived apps are read-only.
 */
export async function updateApp(ctx: AppContext, actor: Actor, partnerId: string, appId: string, patch: AppPatchInput): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) {
    throw invalidField('body', 'nothing_to_change', 'Send at least one of name, description, contactEmail, redirectUris, clientType, apis.');
  }
  const problems = patch.redirectUris ? redirectUriProblems(patch.redirectUris, 'body.redirectUris') : [];
  const newApis = patch.apis ? await normalizeApiRequests(ctx.db, patch.apis, 'body.apis', problems, actorLanguage(actor)) : undefined;
  throwProblems(problems);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertNotArchived(app);
    const oldApis = await currentRequests(trx, appId);
    const changed = {
      name: patch.name !== undefined && patch.name !== app.name,
      description: patch.description !== undefined && patch.description !== app.description,
      contactEmail: patch.contactEmail !== undefined && patch.contactEmail !== app.contact_email,
      redirectUris: patch.redirectUris !== undefined && !sameList(patch.redirectUris, app.redirect_uris),
      clientType: patch.clientType !== undefined && patch.clientType !== app.client_type,
      apis: newApis !== undefined && !sameApis(newApis, oldApis),
    };
    const changedFields = (Object.keys(changed) as (keyof typeof changed)[]).filter((k) => changed[k]);
    if (changedFields.length === 0) return;
    const locked = changedFields.filter((f) => (REVIEWED_FIELDS as readonly string[]).includes(f));
    if (editableFields(app.status) !== 'all' && locked.length > 0) {
      throw conflict(
        'app_locked',
        `This app is ${app.status}: ${locked.join(', ')} can only change through a new review. Only description and contact e-mail can be edited now.`,
        { appStatus: app.status, fields: locked, field: `body.${locked[0]}` },
      );
    }
    const status: AppStatus = app.status === 'rejected' ? 'draft' : app.status;
    const updated: App = {
      ...app,
      name: patch.name ?? app.name,
      description: patch.description ?? app.description,
      contact_email: patch.contactEmail ?? app.contact_email,
      redirect_uris: patch.redirectUris ?? app.redirect_uris,
      client_type: patch.clientType ?? app.client_type,
      status,
      updated_at: now,
    };
    await trx
      .updateTable('apps')
      .set({
        name: updated.name,
        description: updated.description,
        contact_email: updated.contact_email,
        redirect_uris: updated.redirect_uris,
        client_type: updated.client_type,
        status,
        updated_at: now,
      })
      .where('id', '=', appId)
      .execute();
    if (changed.apis && newApis) await replaceRequests(trx, appId, newApis);
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.updated',
      subjectType: 'app',
      subjectId: appId,
      partnerId,
      appId,
      before: snapshotOf(app, oldApis),
      after: { ...snapshotOf(updated, newApis ?? oldApis), changedFields },
    });
  });
}

/** draft → submitted: the operator reviews it next. Needs at least one requested API. */
export async function submitApp(ctx: AppContext, actor: Actor, partnerId: string, appId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertNotArchived(app);
    if (app.status !== 'draft') {
      throw conflict(
        'app_not_draft',
        app.status === 'rejected'
          ? 'This app was rejected: edit it first (it returns to draft), then submit again.'
          : `Only a draft app can be submitted; this app is ${app.status}.`,
        { appStatus: app.status },
      );
    }
    const apis = await currentRequests(trx, appId);
    if (apis.length === 0) {
      throw conflict('app_has_no_apis', 'Choose at least one API (with data categories and purpose) before submitting.', { field: 'body.apis' });
    }
    await trx.updateTable('apps').set({ status: 'submitted', submitted_at: now, updated_at: now }).where('id', '=', appId).execute();
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.submitted',
      subjectType: 'app',
      subjectId: appId,
      partnerId,
      appId,
      before: { status: app.status },
      after: { ...snapshotOf({ ...app, status: 'submitted' }, apis) },
    });
    await queuePartnerEvent(trx, ctx, {
      appId,
      type: 'app.status_changed',
      data: { appId, from: app.status, to: 'submitted', reason: null, at: now.toISOString() },
    });
  });
}

/** Any status → archived. The app becomes read-only; its client gets no more tokens (app not approved). */
export async function archiveApp(ctx: AppContext, actor: Actor, partnerId: string, appId: string, reason: string | null): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertNotArchived(app);
    const client = await trx.selectFrom('clients').select('id').where('app_id', '=', appId).executeTakeFirst();
    const scope = client ? await grantScopeOfClient(trx, client.id) : { institutionNumbers: [], accessGroupIds: [] };
    await trx.updateTable('apps').set({ status: 'archived', status_reason: reason, updated_at: now }).where('id', '=', appId).execute();
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.archived',
      subjectType: 'app',
      subjectId: appId,
      partnerId,
      appId,
      clientId: client?.id ?? null,
      institutionNumbers: scope.institutionNumbers,
      accessGroupIds: scope.accessGroupIds,
      reason,
      before: { status: app.status },
      after: { status: 'archived' },
    });
    await queuePartnerEvent(trx, ctx, { appId, type: 'app.status_changed', data: { appId, from: app.status, to: 'archived', reason, at: now.toISOString() } });
  });
}

const recipientLanguage = async (db: Queryable, email: string, fallback: Language): Promise<Language> =>
  (await languagesByEmail(db, [email])).get(email) ?? fallback;

const actorLanguage = (actor: Actor): Language => (actor.kind === 'anonymous' ? 'en' : actor.user.language);

export interface CreatedSecret {
  clientId: string;
  secretId: string;
  clientSecret: string;
  hint: string;
  createdAt: Date;
  previousSecret: { id: string; hint: string; expiresAt: Date } | null;
}

/**
 * Creates a new client secret for an approved app and returns it (the only time it is visible).
 * The newest live secret keeps working for SECRET_OVERLAP_DAYS so the partner can roll it out;
 * any older live secret ends now, so at most two are ever live.
 */
export async function createClientSecret(ctx: AppContext, actor: Actor, partnerId: string, appId: string): Promise<CreatedSecret> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertApproved(app, 'get a client secret');
    // A public client (single-page or mobile app) cannot keep a secret: it signs in with PKCE alone.
    if (app.client_type === 'public') {
      throw conflict('public_client_has_no_secret', 'This app is a public client: it has no client secret and signs people in with PKCE only.', {
        field: 'clientType',
      });
    }
    const client = await trx.selectFrom('clients').selectAll().where('app_id', '=', appId).forUpdate().executeTakeFirst();
    if (!client) throw conflict('app_has_no_client', 'This app has no client yet.');
    const rotated = await rotateClientSecret(trx, client.id, now, ctx.config.SECRET_OVERLAP_DAYS);
    const { previousSecret } = rotated;
    const scope = await grantScopeOfClient(trx, client.id);
    await recordAudit(trx, now, auditActor(actor), {
      action: previousSecret ? 'client.secret_rotated' : 'client.secret_created',
      subjectType: 'client',
      subjectId: client.id,
      partnerId,
      appId,
      clientId: client.id,
      institutionNumbers: scope.institutionNumbers,
      accessGroupIds: scope.accessGroupIds,
      before: { liveSecrets: rotated.before },
      after: {
        newSecret: { id: rotated.secretId, hint: rotated.hint, createdAt: now },
        previousSecret,
        endedNow: rotated.endedNow,
      },
    });
    if (previousSecret) {
      // A rotation is announced to the app's contact, so an unexpected one is noticed; the very first
      // secret needs no mail (the approval mail said the client exists).
      await ctx.mail.enqueue(trx, {
        to: app.contact_email,
        language: await recipientLanguage(trx, app.contact_email, actorLanguage(actor)),
        template: 'secret_rotated',
        params: { appName: app.name, previousSecretExpiresAt: previousSecret.expiresAt > now ? previousSecret.expiresAt : null },
      });
    }
    return { clientId: client.id, secretId: rotated.secretId, clientSecret: rotated.secret, hint: rotated.hint, createdAt: now, previousSecret };
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Compared against when the client id is unknown, so that case costs the same as a wrong secret.
const NO_SUCH_HASH = sha256('no such client');

/** Constant-time comparison of two hex SHA-256 digests. */
const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/**
 * Links a legacy client (no app) to this app once the partner proves it holds a live secret of it.
 * From then on the client's grants are the app's grants and school admins may edit them.
 */
export async function linkLegacyClient(
  ctx: AppContext,
  actor: Actor,
  partnerId: string,
  appId: string,
  input: { clientId: string; clientSecret: string },
): Promise<string> {
  const now = ctx.clock.now();
  const given = sha256(input.clientSecret);
  const invalid = () => forbidden('client_secret_invalid', 'The client id and secret do not match a live secret of any client.');
  return ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertNotArchived(app);
    const own = await trx.selectFrom('clients').select('id').where('app_id', '=', appId).executeTakeFirst();
    if (own) throw conflict('app_has_client', 'This app has a client already; an app has at most one client.', { clientId: own.id });
    const client = UUID.test(input.clientId)
      ? await trx.selectFrom('clients').selectAll().where('id', '=', input.clientId.toLowerCase()).forUpdate().executeTakeFirst()
      : undefined;
    const hashes = client ? (await listLiveSecrets(trx, client.id, now)).map((s) => s.secret_hash) : [NO_SUCH_HASH];
    let match = false;
    for (const h of hashes) match = sameHash(h, given) || match;
    // An ingestion client loads data for the SIS side; it can never become an app's client.
    if (!client || !match || client.origin === 'ingestion') throw invalid();
    if (client.app_id !== null) throw conflict('client_already_linked', 'This client is linked to an app already.');
    await trx.updateTable('clients').set({ app_id: appId, linked_at: now }).where('id', '=', client.id).execute();
    const scope = await grantScopeOfClient(trx, client.id);
    await recordAudit(trx, now, auditActor(actor), {
      action: 'client.linked',
      subjectType: 'client',
      subjectId: client.id,
      partnerId,
      appId,
      clientId: client.id,
      institutionNumbers: scope.institutionNumbers,
      accessGroupIds: scope.accessGroupIds,
      before: { clientId: client.id, name: client.name, origin: client.origin, appId: null },
      after: { clientId: client.id, name: client.name, origin: client.origin, appId, appName: app.name },
    });
    return client.id;
  });
}

/** The link an invitation mails: the app's page in the school back-office. */
export const invitationLink = (ctx: AppContext, appId: string, token: string) => `${ctx.config.PUBLIC_URL}/school/apps/${appId}?invitation=${token}`;

/**
 * Invites school admins to grant an approved app: one invitation (random token, expiring after
 * INVITATION_TTL_DAYS), one mail and one audit entry per address. The audit entry keeps the link
 * so the partner can copy it again from the app's log.
 */
export async function createInvitations(ctx: AppContext, actor: Actor, partnerId: string, appId: string, emails: string[]): Promise<string[]> {
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.config.INVITATION_TTL_DAYS * DAY_MS);
  const unique = [...new Set(emails)];
  const who = auditActor(actor);
  return ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    assertApproved(app, 'invite school administrators');
    const partner = await trx.selectFrom('partners').select('name').where('id', '=', partnerId).executeTakeFirstOrThrow();
    const requested = await trx
      .selectFrom('app_api_requests as r')
      .innerJoin('apis as a', 'a.code', 'r.api_code')
      .select(['a.code', 'a.name', 'r.purposes'])
      .where('r.app_id', '=', appId)
      .orderBy('a.sort_order')
      .execute();
    const languages = await languagesByEmail(trx, unique);
    const ids: string[] = [];
    for (const email of unique) {
      const id = newId();
      const token = randomToken();
      const link = invitationLink(ctx, appId, token);
      const language = languages.get(email) ?? actorLanguage(actor);
      const mailId = await ctx.mail.enqueue(trx, {
        to: email,
        language,
        template: 'invitation',
        params: {
          appName: app.name,
          partnerName: partner.name,
          link,
          expiresAt,
          apis: requested.map((r) => r.name),
          apiCodes: requested.map((r) => r.code),
          // Each API's purpose in the admin's language where the partner gave it.
          purposes: requested.map((r) => purposeIn(r.purposes, language).text),
        },
      });
      await trx
        .insertInto('invitations')
        .values({ id, app_id: appId, email, token, invited_by: who.id, created_at: now, expires_at: expiresAt, mail_id: mailId })
        .execute();
      await recordAudit(trx, now, who, {
        action: 'invitation.created',
        subjectType: 'invitation',
        subjectId: id,
        partnerId,
        appId,
        after: { email, link, expiresAt },
      });
      ids.push(id);
    }
    return ids;
  });
}
