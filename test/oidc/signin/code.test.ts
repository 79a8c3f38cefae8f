import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, tokenRequest, world } from './support.ts';

const harness = useHarness();

describe('authorization code', () => {
  it('returns state, gives tokens once per code, an ID token with the nonce and a data-API JWT naming the consent', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const browser = harness().client();
    const pkce = pkcePair();
    const { callback } = await signIn(
      browser,
      { clientId: app.clientId, pkce, state: 'st-123', nonce: 'n-456' },
      { login: student.login, institution: school.number },
    );
    expect(callback.origin + callback.pathname).toBe('https://homework.example/callback');
    expect(callback.searchParams.get('state')).toBe('st-123');
    expect(callback.searchParams.get('iss')).toBe(`${url}/oidc`);
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const first = await exchangeCode(url, app, callback, pkce.verifier);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(first.body.refresh_token).toBeTruthy();

    const jwks = createLocalJWKSet(await (await fetch(`${url}/oidc/jwks`)).json());
    const id = await jwtVerify(first.body.id_token, jwks, { issuer: `${url}/oidc`, audience: app.clientId });
    expect(id.payload.nonce).toBe('n-456');
    const at = await jwtVerify(first.body.access_token, jwks, { issuer: `${url}/oidc`, audience: `${url}/ss12000` });
    expect(at.protectedHeader.typ).toBe('at+jwt');
    expect(at.payload.client_id).toBe(app.clientId);
    expect(at.payload.sub).toBe(id.payload.sub);
    const consent = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).executeTakeFirstOrThrow();
    expect(at.payload.consent).toBe(consent.id);
    expect(consent).toMatchObject({ client_id: app.clientId, institution_number: school.number, role: 'student', api_code: 'students' });

    const readWith = (token: string) => fetch(`${url}/ss12000/v2.0/organisations`, { headers: { authorization: `Bearer ${token}` } });
    expect((await readWith(first.body.access_token)).status).toBe(200);

    // The same code a second time: refused, and what the first use issued is revoked (RFC 6749
    // §4.1.2) — the refresh token, and the signed access token too, which nothing stores.
    const second = await exchangeCode(url, app, callback, pkce.verifier);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    const replayed = await readWith(first.body.access_token);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'invalid_token' });
    const refreshed = await tokenRequest(url, app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    expect(refreshed.status).toBe(400);
    const refresh = await exchangeCode(url, app, callback, pkce.verifier);
    expect(refresh.status).toBe(400);
    expect(claimsOf(first.body.id_token).sub).not.toContain(student.id);
  });
});
