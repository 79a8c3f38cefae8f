import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig } from '../config.ts';
import { startServer } from '../server.ts';
import { CatalogError } from '../modules/catalog/file.ts';
import { ensureSandboxAtStart } from '../modules/sandbox/service.ts';
import { DEMO_CLIENT, demoBanner, isEmpty, seedDemo } from '../seed/demo.ts';

/**
 * `schoolgate start`: migrate, seed the demo world on a fresh non-production install (DEMO=auto),
 * start workers and serve. Stops cleanly on SIGINT/SIGTERM.
 */
export async function run(): Promise<number | void> {
  const started = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  let server;
  try {
    server = await startServer(config, { deferReady: true });
  } catch (error) {
    // A bad or orphaning catalog file: its message names every entry and what to do.
    if (error instanceof CatalogError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const { ctx } = server;
  const wantDemo = config.DEMO === 'on' || (config.DEMO === 'auto' && config.NODE_ENV !== 'production');
  if (wantDemo && (await isEmpty(ctx))) {
    await seedDemo(ctx);
    ctx.log.info('demo world seeded');
  }
  server.markReady();
  // The developer sandbox (issue 14), unless the operator removed it or SANDBOX=off. After ready:
  // its generated data takes a few seconds to load, and a failure (a real school holding its
  // number) is the operator's to resolve, not a reason to stop serving.
  if (config.SANDBOX === 'on') {
    await ensureSandboxAtStart(ctx).catch((err: unknown) => ctx.log.error({ err }, 'developer sandbox not created'));
  }
  const demoPresent = await ctx.db.selectFrom('clients').select('id').where('id', '=', DEMO_CLIENT.clientId).executeTakeFirst();
  const ms = Math.round(performance.now() - started);
  console.log(`\nSchoolgate is serving ${config.PUBLIC_URL} (database: ${ctx.database.kind}, ready in ${ms} ms)`);
  console.log(`  API docs: ${config.PUBLIC_URL}/api/v1/docs   OpenID configuration: ${config.PUBLIC_URL}/oidc/.well-known/openid-configuration`);
  if (demoPresent && config.NODE_ENV !== 'production') console.log(demoBanner(config.PUBLIC_URL));

  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Keep running: the HTTP server holds the event loop open.
  return new Promise<void>(() => {});
}
