import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, tokenRequest, world } from './support.ts';

/*
 * RFC 8707 split of the sign-in's access token: a sign-in that does not ask for the data API gets
 * an opaque token (stored in oidc_payloads) that userinfo accepts, with the consented claims only;
 * one that asks for it gets the data API's JWT, which userinfo refuses.
 */
const harness = useHarness();

const userinfo = async (url: string, token: string) => {
  const res = await fetch(`${url}/oidc/me`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as any };
};
const readPersons = (url: string, token: string) => fetch(`${url}/ss12000/v2.0/persons`, { headers: { authorization: `Bearer ${token}` } });

async function signedIn(scope: string, extra?: Record<string, string>) {
  const { url, ctx } = harness();
  const w = await world(ctx);
  const browser = harness().client();
  const pkce = pkcePair();
  const { callback } = await signIn(
    browser,
    { clientId: w.app.clientId, pkce, scope, ...(extra ? { extra } : {}) },
    { login: w.student.login, institution: w.school.number },
  );
  return { ...w, url, ctx, browser, callback, verifier: pkce.verifier };
}

describe('userinfo', () => {
  it('is in discovery, beside the data scope', async () => {
    const { url } = harness();
    const doc = await (await fetch(`${url}/oidc/.well-known/openid-configuration`)).json();
    expect(doc.userinfo_endpoint).toBe(`${url}/oidc/me`);
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'data']));
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.subject_types_supported).toEqual(expect.arrayContaining(['pairwise']));
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
  });

  it('a sign-in without `data` gets an opaque token kept in the database: userinfo gives the consented claims, the data API refuses it', async () => {
    const { url, ctx, app, school, student, callback, verifier } = await signedIn('openid profile');
    const tokens = await exchangeCode(url, app, callback, verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const at = tokens.body.access_token as string;
    expect(at.split('.')).toHaveLength(1);
    const consent = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).executeTakeFirstOrThrow();
    const stored = await ctx.db
      .selectFrom('oidc_payloads')
      .select(['type', 'grant_id'])
      .where('type', '=', 'AccessToken')
      .where('grant_id', '=', consent.oidc_grant_id)
      .execute();
    expect(stored).toHaveLength(1);

    const info = await userinfo(url, at);
    expect(info.status, JSON.stringify(info.body)).toBe(200);
    expect(info.body).toEqual({
      sub: claimsOf(tokens.body.id_token).sub,
      name: 'Elsa Lind',
      given_name: 'Elsa',
      family_name: 'Lind',
      school: { number: school.number, name: school.name },
      roles: ['student'],
    });
    expect(info.body).not.toHaveProperty('email');
    expect((await readPersons(url, at)).status).toBe(401);

    // A refresh keeps it opaque; asking for the data API there is refused (not consented).
    const refreshed = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.access_token.split('.')).toHaveLength(1);
    expect((await userinfo(url, refreshed.body.access_token)).body.sub).toBe(info.body.sub);
    const refused = await tokenRequest(url, app.clientId, app.secret, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token,
      resource: `${ctx.config.PUBLIC_URL}/ss12000`,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_target');
  });

  it('openid only: sub, school and roles', async () => {
    const { url, app, callback, verifier } = await signedIn('openid');
    const tokens = await exchangeCode(url, app, callback, verifier);
    const info = await userinfo(url, tokens.body.access_token);
    expect(Object.keys(info.body).sort()).toEqual(['roles', 'school', 'sub']);
  });

  it('the code of a sign-in without `data` cannot be exchanged for a data API token', async () => {
    const { url, ctx, app, callback, verifier } = await signedIn('openid profile');
    const tokens = await tokenRequest(url, app.clientId, app.secret, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: 'https://homework.example/callback',
      code_verifier: verifier,
      resource: `${ctx.config.PUBLIC_URL}/ss12000`,
    });
    expect(tokens.status).toBe(400);
    expect(tokens.body.error).toBe('invalid_target');
  });

  it('a sign-in with `data` gets the data API JWT (with or without resource at the token endpoint), which userinfo refuses', async () => {
    const { url, ctx, app, callback, verifier } = await signedIn('openid profile data');
    const resource = `${ctx.config.PUBLIC_URL}/ss12000`;
    const tokens = await tokenRequest(url, app.clientId, app.secret, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: 'https://homework.example/callback',
      code_verifier: verifier,
      resource,
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(claimsOf(tokens.body.access_token)).toMatchObject({ aud: resource, scope: 'data' });
    expect((await readPersons(url, tokens.body.access_token)).status).toBe(200);
    expect((await userinfo(url, tokens.body.access_token)).status).toBe(401);
    const refreshed = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(claimsOf(refreshed.body.access_token).aud).toBe(resource);
  });

  it('stops at once when the person withdraws the consent (the opaque token is deleted with its grant)', async () => {
    const { url, ctx, app, student, browser, callback, verifier } = await signedIn('openid profile');
    const tokens = await exchangeCode(url, app, callback, verifier);
    expect((await userinfo(url, tokens.body.access_token)).status).toBe(200);
    const session = await browser.get('/api/v1/my/session');
    browser.csrfToken = session.body.csrfToken;
    const consent = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).executeTakeFirstOrThrow();
    expect((await browser.post(`/api/v1/my/apps/${consent.id}/withdraw`)).status).toBe(204);
    expect(await ctx.db.selectFrom('oidc_payloads').select('id').where('grant_id', '=', consent.oidc_grant_id).execute()).toEqual([]);
    const after = await userinfo(url, tokens.body.access_token);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_token');
  });
});
