import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { loadKeys } from '../../src/modules/access/tokens/keys.ts';
import { basic, createClient, myGrants, requestToken } from './fixtures.ts';

const harness = useHarness();

const form = (fields: Record<string, string>) => new URLSearchParams(fields);
async function rawToken(init: RequestInit) {
  const res = await fetch(`${harness().url}/oidc/token`, init);
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })(),
  };
}

describe('OpenID Connect discovery', () => {
  it('announces the issuer under /oidc, the token endpoint and both secret methods', async () => {
    const { url } = harness();
    const res = await fetch(`${url}/oidc/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.issuer).toBe(`${url}/oidc`);
    expect(doc.token_endpoint).toBe(`${url}/oidc/token`);
    expect(doc.jwks_uri).toBe(`${url}/oidc/jwks`);
    expect(doc.grant_types_supported).toContain('client_credentials');
    // 'none': public sign-in clients (issue 5), which never get client credentials.
    expect(doc.token_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    const jwks = await (await fetch(doc.jwks_uri)).json();
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });
});

describe('client credentials', () => {
  it('issues a JWT for the data API with client_secret_basic, verifiable through jwks_uri', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const res = await requestToken(url, c.clientId, c.secret, 'basic');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const doc = await (await fetch(`${url}/oidc/.well-known/openid-configuration`)).json();
    const jwks = createLocalJWKSet(await (await fetch(doc.jwks_uri)).json());
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, {
      issuer: `${url}/oidc`,
      audience: `${url}/ss12000`,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload.client_id).toBe(c.clientId);
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('issues a token with client_secret_post, with the data scope when asked', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const res = await requestToken(url, c.clientId, c.secret, 'post', { scope: 'data' });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('data');
    expect((await myGrants(url, res.body.access_token)).status).toBe(200);
  });

  it('refuses a wrong secret as invalid_client', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    for (const auth of ['basic', 'post'] as const) {
      const res = await requestToken(url, c.clientId, `${c.secret}x`, auth);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.body.error_description).toContain('wrong client secret');
    }
  });

  it('refuses an unknown client, whatever its id looks like', async () => {
    const { url } = harness();
    const unknown = await requestToken(url, '2b1f6c1e-7f57-4c1c-9a53-1d3b1f0c9e11', 'whatever');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('unknown client') });
    const notUuid = await requestToken(url, "x' OR 1=1 --", 'whatever', 'post');
    expect(notUuid.status).toBe(401);
    expect(notUuid.body.error).toBe('invalid_client');
  });

  it('refuses a submitted, suspended, rejected or archived app at the token endpoint', async () => {
    const { url, ctx } = harness();
    for (const status of ['submitted', 'suspended', 'rejected', 'archived'] as const) {
      const c = await createClient(ctx, { status });
      const res = await requestToken(url, c.clientId, c.secret);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.body.error_description).toContain(`is ${status}; only approved apps get tokens`);
    }
  });

  it('gives a legacy client tokens when no cut-over is configured', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx, { legacy: true });
    expect((await requestToken(url, c.clientId, c.secret)).status).toBe(200);
  });

  it('answers malformed token requests with OAuth errors, never a 500', async () => {
    const { ctx } = harness();
    const c = await createClient(ctx);
    const auth = basic(c.clientId, c.secret);
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: [RequestInit, string][] = [
      [{ method: 'POST', headers: { ...urlencoded, authorization: auth }, body: form({}) }, 'invalid_request'],
      [{ method: 'POST', headers: { ...urlencoded, authorization: auth }, body: form({ grant_type: 'password' }) }, 'unsupported_grant_type'],
      [{ method: 'POST', headers: urlencoded, body: form({ grant_type: 'client_credentials' }) }, 'invalid_request'],
      [{ method: 'POST', headers: { ...urlencoded, authorization: 'Basic !!!' }, body: form({ grant_type: 'client_credentials' }) }, 'invalid_request'],
      [
        {
          method: 'POST',
          headers: { ...urlencoded, authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
          body: form({ grant_type: 'client_credentials' }),
        },
        'invalid_request',
      ],
      [{ method: 'POST', headers: { ...urlencoded, authorization: 'Bearer abc' }, body: form({ grant_type: 'client_credentials' }) }, 'invalid_request'],
      [
        {
          method: 'POST',
          headers: { ...urlencoded, authorization: auth },
          body: form({ grant_type: 'client_credentials', client_secret: c.secret, client_id: c.clientId }),
        },
        'invalid_request',
      ],
      [
        {
          method: 'POST',
          headers: { ...urlencoded, authorization: auth },
          body: form({ grant_type: 'client_credentials', resource: 'https://evil.example/api' }),
        },
        'invalid_target',
      ],
      [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: '{"grant_type":' }, 'invalid_request'],
      [{ method: 'POST', headers: { ...urlencoded, authorization: auth }, body: 'grant_type=client_credentials&x=' + 'a'.repeat(70_000) }, 'invalid_request'],
    ];
    for (const [init, error] of cases) {
      const res = await rawToken(init);
      expect(res.status, `${error}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.json?.error, res.text).toBe(error);
    }
    const get = await fetch(`${harness().url}/oidc/token`);
    expect(get.status).toBeGreaterThanOrEqual(400);
    expect(get.status).toBeLessThan(500);
  });

  it('answers the other provider endpoints with client errors for nonsense, never a 500', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const paths = [
      '/oidc/auth',
      '/oidc/auth?client_id=not-a-uuid&response_type=code&scope=openid',
      `/oidc/auth?client_id=${c.clientId}&response_type=code&scope=openid&redirect_uri=https://evil.example/cb`,
      '/oidc/me',
      '/oidc/nope',
      '/oidc/.well-known/nope',
    ];
    for (const path of paths) {
      const res = await fetch(url + path, { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    // RP-initiated logout without a session shows its confirmation page.
    expect((await fetch(`${url}/oidc/session/end?post_logout_redirect_uri=nonsense`)).status).toBeLessThan(500);
  });
});

describe('bearer tokens at /api/v1/me/grants', () => {
  it('refuses a request without a token, with a WWW-Authenticate challenge', async () => {
    const res = await fetch(`${harness().url}/api/v1/me/grants`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="schoolgate"');
    expect((await res.json()).code).toBe('invalid_token');
  });

  it('refuses garbage, foreign-signed, wrong-audience and expired tokens as invalid_token', async () => {
    const { url, ctx } = harness();
    const c = await createClient(ctx);
    const [ours] = await loadKeys(ctx.db, ctx.clock);
    const ourKey = ours!.privateJwk;
    const foreign = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const sign = async (key: CryptoKey | JWK, claims: { aud?: string; exp?: number; client_id?: string }, kid: string | undefined) => {
      const k = 'kty' in key ? await importJWK(key as JWK, 'ES256') : key;
      return new SignJWT({ client_id: claims.client_id ?? c.clientId })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...(kid ? { kid } : {}) })
        .setIssuer(`${url}/oidc`)
        .setAudience(claims.aud ?? `${url}/ss12000`)
        .setIssuedAt(now - 7200)
        .setExpirationTime(claims.exp ?? now + 600)
        .sign(k as CryptoKey);
    };
    const valid = await sign(ourKey, {}, ours!.kid);
    expect((await myGrants(url, valid)).status).toBe(200);

    const tokens = {
      garbage: 'not-a-jwt',
      foreign: await sign(foreign.privateKey, {}, 'someone-else'),
      foreignWithOurKid: await sign(foreign.privateKey, {}, ours!.kid),
      wrongAudience: await sign(ourKey, { aud: `${url}/elsewhere` }, ours!.kid),
      expired: await sign(ourKey, { exp: now - 60 }, ours!.kid),
      noClient: await sign(ourKey, { client_id: 'nobody' }, ours!.kid),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await myGrants(url, token);
      expect(res.status, name).toBe(401);
      expect(res.body.code, name).toBe('invalid_token');
      expect(res.headers.get('www-authenticate'), name).toContain('error="invalid_token"');
    }
    expect((await myGrants(url, tokens.expired)).body.detail).toContain('expired');
    const notBearer = await fetch(`${url}/api/v1/me/grants`, { headers: { authorization: basic(c.clientId, c.secret) } });
    expect(notBearer.status).toBe(401);
    expect(decodeProtectedHeader(valid).kid).toBe(ours!.kid);
    expect(await exportJWK(foreign.publicKey)).toHaveProperty('x');
  });
});
