import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './http/problem.ts';
import { installSessionHooks } from './auth/session.ts';
import { apiModules } from './modules/index.ts';
import { registerOidc } from './oidc/index.ts';
import { registerSs12000 } from './modules/ss12000/routes.ts';
import { registerPreEnrolments } from './modules/pre-enrolments/routes.ts';
import { registerBoarders } from './modules/boarders/routes.ts';
import { registerInvoices } from './modules/invoices/routes.ts';
import type { ZodApp } from './http/types.ts';
import { registerWebApp } from './http/static.ts';
import { installRequestIdHeader, installRequestScope, requestChildLogger, requestIdGenerator } from './observability/request-id.ts';
import { installMetrics, registerMetricsRoute } from './observability/metrics.ts';
import { startTracing } from './observability/tracing.ts';

export const API_PREFIX = '/api/v1';

/**
 * Builds the HTTP server: the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at
 * /api/v1/docs) and the OAuth 2.0 / OpenID Connect provider under /oidc.
 */
export async function buildServer(ctx: AppContext) {
  const app = Fastify({
    loggerInstance: ctx.log,
    // Only the configured proxies' X-Forwarded-For counts (TRUST_PROXY); otherwise the socket's address.
    trustProxy: ctx.config.TRUST_PROXY.length ? ctx.config.TRUST_PROXY : false,
    // One id per request, in every log line of it (`reqId`), its X-Request-Id and its error bodies;
    // a trusted proxy's own X-Request-Id is kept (see request-id.ts).
    genReqId: requestIdGenerator(ctx.config.TRUST_PROXY),
    // Lines logged through ctx.log inside a request get its id from the work scope (installRequestScope).
    childLoggerFactory: requestChildLogger,
    bodyLimit: 1_048_576,
    // Route registrations are checked below; every API route must say who may call it.
    routerOptions: { ignoreTrailingSlash: true },
    // Refusals before any route runs, in the surface's error shape (see problem.ts).
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // First: every later hook, handler and service of a request runs in its scope (its reqId in ctx.log lines).
  installRequestScope(app);
  installProblemHandlers(app);
  installRequestIdHeader(app);
  // Before any route: the tracing plugin wraps each route as it is added.
  const tracing = await startTracing(ctx.config);
  if (tracing) {
    await app.register(tracing.plugin);
    app.addHook('onClose', async () => tracing.shutdown());
  }
  const metrics = installMetrics(app, ctx);

  /** Every API route with its declared access, for the authorization matrix test. */
  const apiRoutes: { method: string; url: string; access: string }[] = [];
  app.decorate('apiRoutes', apiRoutes);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX) || route.url.startsWith(`${API_PREFIX}/docs`)) return;
    if (!route.config?.access) throw new Error(`Route ${route.method} ${route.url} declares no config.access`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') apiRoutes.push({ method, url: route.url, access: route.config.access });
    }
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Schoolgate API',
        version: '1.0.0',
        description:
          'Partners, apps, school grants and audit. Humans use a cookie session (send the CSRF token from ' +
          '`GET /api/v1/auth/session` in `x-csrf-token` on state-changing requests); clients use an OAuth 2.0 bearer token.',
      },
      servers: [{ url: ctx.config.PUBLIC_URL }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'sg_session' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs` });

  installSessionHooks(app, ctx);

  await app.register(
    async (api) => {
      for (const register of apiModules) await register(api as unknown as ZodApp, ctx);
      api.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: API_PREFIX },
  );

  await registerOidc(app as unknown as ZodApp, ctx);
  await registerSs12000(app as unknown as ZodApp, ctx);
  await registerPreEnrolments(app as unknown as ZodApp, ctx);
  await registerBoarders(app as unknown as ZodApp, ctx);
  await registerInvoices(app as unknown as ZodApp, ctx);

  // Alive: the process answers. Ready: migrations, keys and (in a demo) the demo world are in place,
  // so a load balancer may send traffic (`markReady`, called by startServer or `schoolgate start`).
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  let ready = false;
  app.decorate('markReady', () => {
    ready = true;
  });
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => (ready ? { ready: true } : reply.status(503).send({ ready: false })));
  registerMetricsRoute(app, ctx, metrics);
  await registerWebApp(app, ctx);
  return app;
}

export type Server = Awaited<ReturnType<typeof buildServer>>;

declare module 'fastify' {
  interface FastifyInstance {
    apiRoutes: { method: string; url: string; access: string }[];
    /** Declares the server ready (/readyz). */
    markReady(): void;
  }
}
