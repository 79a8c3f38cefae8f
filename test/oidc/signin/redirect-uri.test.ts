import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { authorizePath, createSigninApp, pkcePair, REDIRECT } from './support.ts';

const harness = useHarness();

describe('redirect URI', () => {
  it('refuses a wrong, partial or extended redirect URI with an error page and no redirect', async () => {
    const { ctx } = harness();
    const app = await createSigninApp(ctx, { redirectUris: [REDIRECT, 'https://homework.example/other'] });
    const browser = harness().client();
    for (const uri of [
      'https://evil.example/callback',
      'https://homework.example/',
      'https://homework.example/callback/',
      `${REDIRECT}?x=1`,
      'https://homework.example/callbac',
      'http://homework.example/callback',
    ]) {
      const res = await browser.get(authorizePath({ clientId: app.clientId, redirectUri: uri, pkce: pkcePair() }), { accept: 'text/html' });
      expect(res.status, uri).toBe(400);
      expect(res.headers.get('location'), uri).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.body).toContain('invalid_redirect_uri');
    }
    const dutch = await browser.get(authorizePath({ clientId: app.clientId, redirectUri: 'https://evil.example/cb', pkce: pkcePair() }), {
      accept: 'text/html',
      'accept-language': 'nl-BE,nl;q=0.9,en;q=0.5',
    });
    expect(dutch.body).toContain('<html lang="nl">');
    expect(dutch.body).toContain('Deze aanmelding kan niet verder');
    // Programs asking for JSON get the same refusal as JSON.
    const json = await browser.get(authorizePath({ clientId: app.clientId, redirectUri: 'https://evil.example/cb', pkce: pkcePair() }), {
      accept: 'application/json',
    });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_redirect_uri');
    // Each registered URI works exactly.
    for (const uri of [REDIRECT, 'https://homework.example/other']) {
      const ok = await browser.get(authorizePath({ clientId: app.clientId, redirectUri: uri, pkce: pkcePair() }), { accept: 'text/html' });
      expect(ok.status, uri).toBe(303);
      expect(ok.headers.get('location')).toMatch(/^\/signin\//);
    }
  });

  it('refuses an app without redirect URIs, a suspended app and an unknown client without redirecting', async () => {
    const { ctx } = harness();
    const none = await createSigninApp(ctx, { redirectUris: [] });
    const suspended = await createSigninApp(ctx, { status: 'suspended' });
    const browser = harness().client();
    for (const clientId of [none.clientId, suspended.clientId, '2b1f6c1e-7f57-4c1c-9a53-1d3b1f0c9e11']) {
      const res = await browser.get(authorizePath({ clientId, pkce: pkcePair() }), { accept: 'text/html' });
      expect(res.status, clientId).toBeGreaterThanOrEqual(400);
      expect(res.status, clientId).toBeLessThan(500);
      expect(res.headers.get('location')).toBeNull();
    }
  });
});
