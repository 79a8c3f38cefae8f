import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import type { ZodApp } from '../http/types.ts';
import type Provider from 'oidc-provider';
import { ensureSigningKey, keyRing } from '../modules/access/tokens/keys.ts';
import { registerInteractions } from './interactions/routes.ts';
import { registerUpstreamSignin } from './upstream/routes.ts';
import { createProvider, setProviderOf } from './provider.ts';
import { issuerOf } from '../modules/access/tokens/urls.ts';
import { isTokenRequest, normaliseTokenBody, readTokenBody, type TokenBody } from './token-body.ts';

export const OIDC_PREFIX = '/oidc';

/**
 * Mounts the OAuth 2.0 / OpenID Connect provider under /oidc (discovery at
 * /oidc/.well-known/openid-configuration). Generates the first signing key if there is none.
 *
 * The provider is built lazily and rebuilt when the issuer (PUBLIC_URL) or the key set changes, so a
 * rotation done by `schoolgate keys rotate` in another process is picked up within KEY_REFRESH_MS.
 */
export async function registerOidc(app: ZodApp, ctx: AppContext): Promise<void> {
  await ensureSigningKey(ctx.db, ctx.clock);
  const ring = keyRing(ctx);
  await ring.current();

  let built: { issuer: string; version: number; provider: Provider; handler: ReturnType<ReturnType<typeof createProvider>['callback']> } | undefined;
  const current = async () => {
    const keys = await ring.current();
    const issuer = issuerOf(ctx.config);
    if (!built || built.issuer !== issuer || built.version !== ring.version) {
      const provider = createProvider(ctx, keys);
      // The request's id from the X-Request-Id already set on the raw response (observability/request-id.ts).
      provider.on('server_error', (koa: { res?: { getHeader(name: string): unknown } }, err: unknown) =>
        ctx.log.error({ err, reqId: koa.res?.getHeader('x-request-id') }, 'oidc-provider server error'),
      );
      app.metrics.observeProvider(provider);
      built = { issuer, version: ring.version, provider, handler: provider.callback() };
    }
    return built;
  };
  const handler = async () => (await current()).handler;
  setProviderOf(ctx, async () => (await current()).provider);

  // Encapsulated: inside this plugin no body is parsed (oidc-provider reads the raw stream itself).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Except the token endpoint's form bodies: read here to take multipart too (token-body.ts).
    scope.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], async (request: FastifyRequest, payload: NodeJS.ReadableStream) =>
      isTokenRequest(OIDC_PREFIX, request) ? readTokenBody(payload, request.headers['content-type'] ?? '') : undefined,
    );
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = request.raw as IncomingMessage & { originalUrl?: string; body?: unknown };
      if (request.body !== undefined && isTokenRequest(OIDC_PREFIX, request) && !(await normaliseTokenBody(request.body as TokenBody, raw, reply))) return;
      const handle = await handler();
      reply.hijack();
      const url = raw.url ?? OIDC_PREFIX;
      // oidc-provider routes relative to its mount point and learns the mount path from originalUrl.
      raw.originalUrl = url;
      raw.url = url.slice(OIDC_PREFIX.length) || '/';
      handle(raw, reply.raw);
    };
    scope.all(OIDC_PREFIX, { schema: { hide: true } }, forward);
    scope.all(`${OIDC_PREFIX}/*`, { schema: { hide: true } }, forward);
  });
  // The JSON endpoints the sign-in page (/signin/<uid>) drives the interaction with.
  await registerInteractions(app, ctx);
  await registerUpstreamSignin(app, ctx);
}
