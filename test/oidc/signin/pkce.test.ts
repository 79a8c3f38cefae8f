import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { authorizePath, exchangeCode, pkcePair, signIn, world } from './support.ts';

const harness = useHarness();

/** The authorization request's error, redirected to the app (the redirect URI is valid here). */
async function authorizeError(path: string) {
  const res = await harness().client().get(path, { accept: 'text/html' });
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}

describe('PKCE (S256) is required for every client', () => {
  it('refuses an authorization request without code_challenge, for a confidential client too', async () => {
    const { app } = await world(harness().ctx);
    const back = await authorizeError(authorizePath({ clientId: app.clientId, pkce: null }));
    expect(back.origin + back.pathname).toBe('https://homework.example/callback');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the plain method', async () => {
    const { app } = await world(harness().ctx);
    const { verifier } = pkcePair();
    const back = await authorizeError(
      authorizePath({ clientId: app.clientId, pkce: null, extra: { code_challenge: verifier, code_challenge_method: 'plain' } }),
    );
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a code presented with the wrong verifier or none, and the code is then spent', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    const wrong = await exchangeCode(url, app, callback, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const none = await exchangeCode(url, app, callback, '');
    expect(none.status).toBe(400);
  });

  it('lets a public client (no secret) sign in with PKCE alone, and refuses it client credentials', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx, { clientType: 'public' });
    expect(app.secret).toBeUndefined();
    const pkce = pkcePair();
    const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce }, { login: student.login, institution: school.number });
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.access_token).toBeTruthy();
    const cc = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId }),
    });
    expect(cc.status).toBe(400);
    const ccBody = await cc.json();
    expect(ccBody).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });
});
