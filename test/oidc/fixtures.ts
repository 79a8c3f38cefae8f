import type { AppContext } from '../../src/context.ts';
import type { AppStatus } from '../../src/db/schema.ts';
import { newId, randomToken, sha256 } from '../../src/lib/ids.ts';

/** A client with one live secret, made directly in the database (the API that does this is another module's). */
export interface ClientFixture {
  partnerId: string | null;
  appId: string | null;
  clientId: string;
  secret: string;
  secretId: string;
}

export async function createClient(
  ctx: AppContext,
  options: { status?: AppStatus; legacy?: boolean; requests?: Record<string, string[]> } = {},
): Promise<ClientFixture> {
  const clientId = newId();
  let partnerId: string | null = null;
  let appId: string | null = null;
  if (!options.legacy) {
    partnerId = newId();
    appId = newId();
    await ctx.db
      .insertInto('partners')
      .values({ id: partnerId, name: `Partner ${partnerId.slice(0, 8)}`, contact_email: `p-${partnerId}@example.test` })
      .execute();
    await ctx.db
      .insertInto('apps')
      .values({
        id: appId,
        partner_id: partnerId,
        name: `Homework ${appId.slice(0, 8)}`,
        contact_email: 'app@example.test',
        status: options.status ?? 'approved',
      })
      .execute();
    const requests = options.requests ?? { students: ['identity', 'birth_date'] };
    for (const [apiCode, categories] of Object.entries(requests)) {
      await ctx.db
        .insertInto('app_api_requests')
        .values({ app_id: appId, api_code: apiCode, data_categories: categories, purposes: JSON.stringify({ en: 'Homework planning' }) })
        .execute();
    }
  }
  await ctx.db
    .insertInto('clients')
    .values({ id: clientId, app_id: appId, name: options.legacy ? 'Legacy import' : 'App client', origin: options.legacy ? 'legacy' : 'app' })
    .execute();
  const { secret, secretId } = await addSecret(ctx, clientId);
  return { partnerId, appId, clientId, secret, secretId };
}

export async function addSecret(ctx: AppContext, clientId: string, createdAt = ctx.clock.now()) {
  const secret = randomToken();
  const secretId = newId();
  await ctx.db
    .insertInto('client_secrets')
    .values({ id: secretId, client_id: clientId, secret_hash: sha256(secret), hint: secret.slice(-4), created_at: createdAt })
    .execute();
  return { secret, secretId };
}

let institutionSeq = 100000 + Math.floor(Math.random() * 800000);

/** A fresh institution (unique six-digit number). */
export async function createInstitution(ctx: AppContext, name = 'Sint-Jozefscollege') {
  const number = String(institutionSeq++);
  await ctx.db.insertInto('institutions').values({ number, name, town: 'Brugge', active_from_year: 2020 }).execute();
  return { number, name };
}

export async function createAccessGroup(ctx: AppContext, name = 'Scholengroep Brugge facturatie') {
  const id = newId();
  await ctx.db.insertInto('access_groups').values({ id, name }).execute();
  return { id, name };
}

export async function grant(ctx: AppContext, clientId: string, apiCode: string, target: { institutionNumber: string } | { accessGroupId: string }) {
  const id = newId();
  await ctx.db
    .insertInto('grants')
    .values({
      id,
      client_id: clientId,
      api_code: apiCode,
      institution_number: 'institutionNumber' in target ? target.institutionNumber : null,
      access_group_id: 'accessGroupId' in target ? target.accessGroupId : null,
      reason: 'test fixture',
    })
    .execute();
  return id;
}

export const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POST /oidc/token with client_credentials; `auth` chooses client_secret_basic or client_secret_post. */
export async function requestToken(baseUrl: string, clientId: string, secret: string, auth: 'basic' | 'post' = 'basic', extra: Record<string, string> = {}) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...extra });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth === 'basic') headers.authorization = basic(clientId, secret);
  else {
    body.set('client_id', clientId);
    body.set('client_secret', secret);
  }
  return postTokenEndpoint(baseUrl, headers, body);
}

/** POST /oidc/token as given; the body parsed as JSON where it is JSON (the assertion on it says so otherwise). */
export async function postTokenEndpoint(baseUrl: string, headers: Record<string, string>, body: URLSearchParams) {
  const res = await fetch(`${baseUrl}/oidc/token`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: the assertion on it will say so */
  }
  return { status: res.status, headers: res.headers, body: json };
}

/** GET /api/v1/me/grants with a bearer token. */
export async function myGrants(baseUrl: string, token: string) {
  const res = await fetch(`${baseUrl}/api/v1/me/grants`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
