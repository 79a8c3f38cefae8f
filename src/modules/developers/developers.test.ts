import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertApp, insertClient, insertPartner, insertUser } from '../../seed/builders.ts';

const harness = useHarness();
const PASSWORD = 'a long test password';

describe('the developer portal API', () => {
  it('describes the OAuth/OIDC endpoints from the discovery metadata, with their parameters and error codes', async () => {
    const res = await harness().client().get('/api/v1/developers/oidc-openapi.json');
    expect(res.status).toBe(200);
    const discovery = await (await fetch(`${harness().url}/oidc/.well-known/openid-configuration`)).json();
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    // Each endpoint the provider publishes, at its published path.
    for (const member of ['token_endpoint', 'authorization_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expect(paths).toContain(new URL(discovery[member]).pathname);
    }
    const token = doc.paths['/oidc/token'].post;
    const form = token.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(form.required).toEqual(['grant_type']);
    expect(form.properties.grant_type.enum).toEqual(discovery.grant_types_supported);
    expect(form.properties.grant_type.enum).toContain('client_credentials');
    expect(token.responses['401']['x-error-codes']).toContain('invalid_client');
    expect(token.responses['400']['x-error-codes']).toEqual(expect.arrayContaining(['invalid_request', 'invalid_grant', 'unsupported_grant_type']));
    const auth = doc.paths[new URL(discovery.authorization_endpoint).pathname].get;
    const method = auth.parameters.find((p: { name: string }) => p.name === 'code_challenge_method');
    expect(method.schema.enum).toEqual(discovery.code_challenge_methods_supported);
    expect(doc.servers).toEqual([{ url: harness().url }]);
  });

  it("gives a partner its apps' client ids, the URLs and the rate limit; nobody else", async () => {
    const db = harness().ctx.db;
    const member = await insertUser(db, { email: 'dev@portal.example', password: PASSWORD, displayName: 'Dev', kind: 'partner' });
    const partnerId = await insertPartner(db, { name: 'Portal AB', contactEmail: 'info@portal.example', memberUserIds: [member] });
    const appId = await insertApp(db, {
      partnerId,
      name: 'Portal App',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'x' }],
    });
    const { clientId } = await insertClient(db, { appId, name: 'Portal App' });
    const draft = await insertApp(db, { partnerId, name: 'Draft', status: 'draft', apis: [] });
    const c = harness().client();
    expect((await c.get('/api/v1/partner/developers')).status).toBe(401);
    expect((await c.login('dev@portal.example', PASSWORD)).status).toBe(200);
    const res = await c.get('/api/v1/partner/developers');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dataApiBaseUrl: `${harness().url}/ss12000/v2.0`,
      tokenUrl: `${harness().url}/oidc/token`,
      discoveryUrl: `${harness().url}/oidc/.well-known/openid-configuration`,
      rateLimitPerMinute: 1200,
      sandbox: null,
    });
    expect(res.body.apps).toEqual(
      expect.arrayContaining([
        { id: appId, name: 'Portal App', status: 'approved', clientId, sandboxApis: [] },
        { id: draft, name: 'Draft', status: 'draft', clientId: null, sandboxApis: [] },
      ]),
    );
    expect(res.body.apps).toHaveLength(2);
    // The served document is the one the page renders.
    expect((await fetch(res.body.dataApiOpenApiUrl)).status).toBe(200);
    expect((await fetch(res.body.oidcOpenApiUrl)).status).toBe(200);
  });
});
