import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

/**
 * A tiny partner "homework app" for the browser tests: a real OpenID Connect relying party built on
 * openid-client (authorization code + PKCE S256 + state + nonce, refresh tokens), on its own port.
 * After sign-in it reads the student's own record and groups from the SS 12000 API with the access
 * token, as a partner's server would, and shows them; /refresh uses the refresh token.
 * `/login?scope=…` signs in with other scopes once: without `data` the access token is the opaque
 * one for userinfo (RFC 8707 at Schoolgate), so the app asks userinfo for the name and reads no data.
 */
export interface HomeworkApp {
  url: string;
  redirectUri: string;
  /** Called once the app is registered at Schoolgate (the redirect URI needs the port first). */
  configure(options: { issuer: string; clientId: string; clientSecret: string; apiBase: string; scope: string }): Promise<void>;
  stop(): Promise<void>;
}

interface HomeworkSession {
  pending?: { verifier: string; state: string; nonce: string; scope: string };
  /** The sign-in asked for the data API: read it; otherwise ask userinfo. */
  data?: boolean;
  userinfo?: Record<string, unknown>;
  tokens?: { access: string; refresh?: string };
  claims?: Record<string, unknown>;
  name?: string;
  groups?: { displayName: string; groupType: string }[];
  message?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, body: string, cookie?: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...(cookie ? { 'set-cookie': cookie } : {}) });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Homework App</title></head><body><h1>Homework App</h1>${body}</body></html>`);
}

/** Starts the homework app on a free port of 127.0.0.1; {@link HomeworkApp.configure} it once registered. */
export async function startHomeworkApp(): Promise<HomeworkApp> {
  const sessions = new Map<string, HomeworkSession>();
  let config: oidc.Configuration | undefined;
  let apiBase = '';
  let scope = 'openid';
  let redirectUri = '';

  function sessionOf(req: IncomingMessage): { id: string; s: HomeworkSession; cookie?: string } {
    const id = /(?:^|;\s*)hw_sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (id && sessions.has(id)) return { id, s: sessions.get(id)! };
    const fresh = randomUUID();
    sessions.set(fresh, {});
    return { id: fresh, s: sessions.get(fresh)!, cookie: `hw_sid=${fresh}; Path=/; HttpOnly; SameSite=Lax` };
  }

  /** Reads the signed-in person and their groups with the access token (the user token sees only its own person). */
  async function loadData(s: HomeworkSession): Promise<void> {
    if (!s.data) {
      s.userinfo = (await oidc.fetchUserInfo(config!, s.tokens!.access, String(s.claims?.sub ?? oidc.skipSubjectCheck))) as Record<string, unknown>;
      s.name = typeof s.userinfo.name === 'string' ? s.userinfo.name : undefined;
      s.groups = [];
      return;
    }
    s.userinfo = undefined;
    const get = async (path: string) => {
      const r = await fetch(`${apiBase}${path}`, { headers: { authorization: `Bearer ${s.tokens!.access}` } });
      const body = (await r.json()) as { data?: Record<string, unknown>[] };
      if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(body)}`);
      return body.data ?? [];
    };
    const [person] = await get('/persons');
    s.name = person ? `${String(person.givenName ?? '')} ${String(person.familyName ?? '')}`.trim() : undefined;
    s.groups = (await get('/groups')).map((g) => ({ displayName: String(g.displayName), groupType: String(g.groupType) }));
  }

  function home(res: ServerResponse, s: HomeworkSession, cookie?: string): void {
    const msg = s.message ? `<p role="status" data-testid="hw-message">${escapeHtml(s.message)}</p>` : '';
    if (!s.tokens) {
      page(res, 200, `${msg}<p><a href="/login" data-testid="hw-login">Log in with Schoolgate</a></p>`, cookie);
      return;
    }
    const classes = (s.groups ?? [])
      .filter((g) => g.groupType === 'Klass')
      .map((g) => `<li>${escapeHtml(g.displayName)}</li>`)
      .join('');
    const groups = (s.groups ?? []).map((g) => `<li>${escapeHtml(g.displayName)} (${escapeHtml(g.groupType)})</li>`).join('');
    page(
      res,
      200,
      `${msg}<p data-testid="hw-student">Welcome, ${escapeHtml(s.name ?? '?')}</p>
       <p data-testid="hw-school">School: ${escapeHtml(JSON.stringify(s.claims?.school ?? null))}</p>
       <p data-testid="hw-sub">${escapeHtml(String(s.claims?.sub ?? ''))}</p>
       <p data-testid="hw-source">${s.data ? 'Read from the school data API' : `From userinfo: ${escapeHtml(JSON.stringify(s.userinfo ?? null))}`}</p>
       <h2>Your classes</h2><ul data-testid="hw-classes">${classes}</ul>
       <h2>All your groups</h2><ul data-testid="hw-groups">${groups}</ul>
       <p><a href="/refresh" data-testid="hw-refresh">Refresh the connection</a></p>
       <p><a href="/login" data-testid="hw-login">Log in with Schoolgate again</a></p>`,
      cookie,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const { s, cookie } = sessionOf(req);
    if (!config) return page(res, 503, '<p>Not configured yet.</p>', cookie);
    switch (url.pathname) {
      case '/':
        return home(res, s, cookie);
      case '/login': {
        const verifier = oidc.randomPKCECodeVerifier();
        const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), scope: url.searchParams.get('scope') ?? scope };
        s.pending = pending;
        s.message = undefined;
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: pending.scope,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: pending.state,
          nonce: pending.nonce,
        });
        res.writeHead(303, { location: target.href, ...(cookie ? { 'set-cookie': cookie } : {}) });
        res.end();
        return;
      }
      case '/callback': {
        const pending = s.pending;
        s.pending = undefined;
        if (!pending) return page(res, 400, '<p data-testid="hw-error">No sign-in in progress.</p>', cookie);
        try {
          const tokens = await oidc.authorizationCodeGrant(config, url, {
            pkceCodeVerifier: pending.verifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
          });
          s.tokens = { access: tokens.access_token, refresh: tokens.refresh_token };
          s.claims = tokens.claims() as Record<string, unknown> | undefined;
          s.data = pending.scope.split(' ').includes('data');
          await loadData(s);
          s.message = 'Signed in with Schoolgate.';
          return home(res, s, cookie);
        } catch (e) {
          const code =
            e instanceof oidc.AuthorizationResponseError || e instanceof oidc.ResponseBodyError ? e.error : e instanceof Error ? e.message : String(e);
          return page(res, 200, `<p data-testid="hw-error">Sign-in did not complete: ${escapeHtml(code)}</p><p><a href="/login">Try again</a></p>`, cookie);
        }
      }
      case '/refresh': {
        if (!s.tokens?.refresh) return page(res, 400, '<p data-testid="hw-error">No refresh token.</p>', cookie);
        try {
          const tokens = await oidc.refreshTokenGrant(config, s.tokens.refresh);
          s.tokens = { access: tokens.access_token, refresh: tokens.refresh_token ?? s.tokens.refresh };
          await loadData(s);
          s.message = 'Connection refreshed.';
          return home(res, s, cookie);
        } catch (e) {
          const code = e instanceof oidc.ResponseBodyError ? e.error : e instanceof Error ? e.message : String(e);
          s.tokens = undefined;
          s.message = `Your Schoolgate connection has ended (${code}). Log in again.`;
          return page(res, 200, `<p data-testid="hw-refresh-failed">${escapeHtml(s.message)}</p><p><a href="/login">Log in with Schoolgate</a></p>`, cookie);
        }
      }
      default:
        return page(res, 404, '<p>Not found.</p>', cookie);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => page(res, 500, `<pre data-testid="hw-crash">${escapeHtml(String(e instanceof Error ? e.stack : e))}</pre>`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  redirectUri = `${url}/callback`;
  return {
    url,
    redirectUri,
    async configure(o) {
      apiBase = o.apiBase;
      scope = o.scope;
      // Schoolgate runs on plain http in the tests; a real deployment is https.
      config = await oidc.discovery(new URL(o.issuer), o.clientId, o.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
