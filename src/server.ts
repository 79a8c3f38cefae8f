import { buildServer } from './app.ts';
import type { Config } from './config.ts';
import { closeContext, createContext, type RuntimeOptions } from './runtime.ts';

/** Starts Schoolgate: database, migrations, workers and the HTTP server. Returns a stop function. */
export async function startServer(config: Config, options: RuntimeOptions & { deferReady?: boolean } = {}) {
  const ctx = await createContext(config, options);
  const app = await buildServer(ctx);
  // Migrations and keys are done here; `schoolgate start` seeds the demo world first and then says so.
  if (!options.deferReady) app.markReady();
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  const port = (app.server.address() as import('node:net').AddressInfo).port;
  return {
    ctx,
    app,
    address,
    port,
    /** /readyz answers 200 from now on. */
    markReady: () => app.markReady(),
    async stop() {
      await app.close();
      await closeContext(ctx, { keepDatabase: Boolean(options.database) });
    },
  };
}
