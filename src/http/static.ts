import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { refusal } from './problem.ts';

/** Where `npm run build:web` writes the web application. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Fastify's default maxParamLength: a longer path parameter matches no route. */
const MAX_PARAM_LENGTH = 100;

/** Paths that belong to the server; the SPA fallback must never answer them with the web app. */
const SERVER_PREFIXES = ['/api', '/oidc', '/ss12000', '/healthz', '/readyz', '/metrics'];

const isServerPath = (path: string) => SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));

/**
 * Serves the built web application (web/dist) at `/`: hashed assets with a long cache life, and
 * index.html for every other GET that is not an API, OIDC or SS 12000 path so that client-side
 * routes (/school/apps/…, /confirm-email?token=…) survive a reload or a link from an e-mail.
 * Without a build it registers nothing and says so, so the API works on its own.
 */
export async function registerWebApp(app: FastifyInstance, ctx: AppContext, root = WEB_DIST): Promise<void> {
  const indexFile = `${root}index.html`;
  if (!existsSync(indexFile)) {
    ctx.log.info({ root }, 'web application not built (npm run build:web); serving the API only');
    return;
  }
  const indexHtml = readFileSync(indexFile);

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Files are registered one by one at start; unknown paths fall through to the SPA route below.
    wildcard: false,
    index: false,
    // Vite puts a content hash in every asset name: those may be cached for good.
    cacheControl: false,
    setHeaders(reply, path) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const sendIndex = (reply: import('fastify').FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .send(indexHtml);

  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (isServerPath(path) || path.startsWith('/assets/')) {
      // This catch-all also receives what the router could not match for the server's own surfaces
      // (a path parameter over its maximum length included): refuse as they would, in their shape.
      const tooLong = path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH);
      const [status, code, message] = tooLong
        ? [414, 'path_parameter_too_long', 'A path parameter is longer than any valid value.']
        : [404, isServerPath(path) && path.startsWith('/ss12000/') ? 'not_found' : 'route_not_found', `GET ${path} does not exist.`];
      const [type, body] = refusal(path, status, code, message, request.id);
      return reply.status(status).type(type).send(body);
    }
    return sendIndex(reply);
  });
}
