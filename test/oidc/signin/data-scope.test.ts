import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, world } from './support.ts';

const harness = useHarness();

describe('asking for the data API (scope `data` or resource=<data API>)', () => {
  it('scope data: Allow sends the browser back to the app with a code, not to the sign-in page again', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const { callback, consentAsked } = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce, scope: 'openid profile data' },
      { login: student.login, institution: school.number },
    );
    expect(consentAsked).toBe(true);
    expect(callback.origin + callback.pathname).toBe('https://homework.example/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(claimsOf(tokens.body.access_token)).toMatchObject({ aud: `${ctx.config.PUBLIC_URL}/ss12000`, client_id: app.clientId });
  });

  it('resource=<data API>: Allow sends the browser back to the app with a code', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const pkce = pkcePair();
    const resource = `${ctx.config.PUBLIC_URL}/ss12000`;
    const { callback } = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce, scope: 'openid profile', extra: { resource } },
      { login: student.login, institution: school.number },
    );
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await exchangeCode(url, app, callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(claimsOf(tokens.body.access_token)).toMatchObject({ aud: resource });
  });

  it('a second sign-in with scope data skips the consent and reaches the app', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    await signIn(harness().client(), { clientId: app.clientId, pkce: pkcePair(), scope: 'openid data' }, { login: student.login, institution: school.number });
    const again = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid data' },
      { login: student.login, institution: school.number },
    );
    expect(again.consentAsked).toBe(false);
    expect(again.callback.searchParams.get('code')).toBeTruthy();
  });
});
