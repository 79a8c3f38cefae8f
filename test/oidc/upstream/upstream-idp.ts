import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { TestClient } from '../../support/harness.ts';

/**
 * A second OpenID Connect provider, standing in for a school board's own identity provider: a real
 * oidc-provider on another port whose interaction signs in a fixed account at once (no form), or
 * refuses with access_denied. Tests choose the account and its claims per sign-in.
 */
export interface UpstreamIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next sign-in is; `deny` makes the upstream answer access_denied instead. */
  next: { accountId: string; claims: Record<string, unknown>; deny?: boolean };
  /** A browser (cookie jar) at the upstream. */
  browser(): TestClient;
  stop(): Promise<void>;
}

/** oidc-provider's storage for the test upstream: one process, so a Map will do (and says so, unlike the built-in one). */
class MemoryAdapter {
  private static store = new Map<string, { payload: Record<string, unknown>; exp: number }>();
  constructor(private readonly name: string) {}
  private key = (id: string) => `${this.name}:${id}`;
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    MemoryAdapter.store.set(this.key(id), { payload, exp: Date.now() + expiresIn * 1000 });
  }
  async find(id: string) {
    const hit = MemoryAdapter.store.get(this.key(id));
    return hit && hit.exp > Date.now() ? hit.payload : undefined;
  }
  async findByUid(uid: string) {
    for (const [k, v] of MemoryAdapter.store) if (k.startsWith(`${this.name}:`) && v.payload.uid === uid) return v.payload;
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string) {
    const hit = MemoryAdapter.store.get(this.key(id));
    if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    MemoryAdapter.store.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const [k, v] of MemoryAdapter.store) if (v.payload.grantId === grantId) MemoryAdapter.store.delete(k);
  }
}

export async function startUpstreamIdp(redirectUri: string): Promise<UpstreamIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  const idp: UpstreamIdp = {
    issuer,
    clientId: 'schoolgate-at-board',
    clientSecret: 'board-issued secret for schoolgate',
    next: { accountId: 'nobody', claims: {} },
    browser: () => new TestClient(issuer),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    adapter: MemoryAdapter,
    jwks: { keys: [jwk] },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
    cookies: { keys: ['upstream test cookie key'] },
    // eppn and the civic number are released with openid, as a board's provider would for its schools.
    claims: { openid: ['sub', 'eppn', 'civic_no'], email: ['email', 'email_verified'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...(id === idp.next.accountId ? idp.next.claims : {}) }),
    }),
    // Consent is implied: the board's provider trusts Schoolgate for its own schools.
    // oidc-provider ships no types for its Koa context.
    loadExistingGrant: async (ctx: any) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  const handler = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return void handler(req, res);
    void (async () => {
      const next = idp.next;
      const result = next.deny ? { error: 'access_denied', error_description: 'The person cancelled the sign-in.' } : { login: { accountId: next.accountId } };
      const returnTo = await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
      res.writeHead(303, { location: returnTo }).end();
    })().catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return idp;
}

/** Follows the upstream's redirects in its own browser until it sends the browser elsewhere; returns that URL. */
export async function throughUpstream(browser: TestClient, start: URL): Promise<URL> {
  let url = start;
  for (let i = 0; i < 10; i++) {
    if (url.origin !== browser.baseUrl) return url;
    const res = await browser.get(url.pathname + url.search, { accept: 'text/html' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) throw new Error(`upstream stopped at ${res.status}: ${JSON.stringify(res.body)}`);
    url = new URL(location, browser.baseUrl);
  }
  throw new Error('too many upstream redirects');
}
