import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, exchangeCode, pkcePair, signIn, world } from './support.ts';

const harness = useHarness();

async function idToken(scope: string) {
  const { url, ctx } = harness();
  const { school, app, student } = await world(ctx);
  const pkce = pkcePair();
  const { callback } = await signIn(harness().client(), { clientId: app.clientId, pkce, scope }, { login: student.login, institution: school.number });
  const tokens = await exchangeCode(url, app, callback, pkce.verifier);
  expect(tokens.status).toBe(200);
  return { claims: claimsOf(tokens.body.id_token), school, tokens };
}

describe('ID token claims follow the consented scopes', () => {
  it('openid only: sub, school and roles, no name or e-mail', async () => {
    const { claims, school } = await idToken('openid');
    expect(claims.school).toEqual({ number: school.number, name: school.name });
    expect(claims.roles).toEqual(['student']);
    for (const c of ['name', 'given_name', 'family_name', 'email']) expect(claims).not.toHaveProperty(c);
  });

  it('profile adds the names; email adds the e-mail address', async () => {
    const profile = await idToken('openid profile');
    expect(profile.claims).toMatchObject({ name: 'Elsa Lind', given_name: 'Elsa', family_name: 'Lind' });
    expect(profile.claims).not.toHaveProperty('email');
    const both = await idToken('openid profile email');
    expect(both.claims).toMatchObject({ name: 'Elsa Lind', email: 'elsa@home.example' });
  });
});
