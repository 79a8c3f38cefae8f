import pino from 'pino';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Database } from './db/index.ts';
import { migrate } from './db/migrate.ts';
import { applyReleasePolicy } from './modules/ss12000/release-store.ts';
import { loadCatalogFile } from './modules/catalog/file.ts';
import { syncCatalog } from './modules/catalog/sync.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createJobQueue } from './jobs/pgboss.ts';
import { createMailService } from './mail/outbox.ts';
import { logMixin } from './lib/work-scope.ts';
import { sealStoredSecrets } from './modules/webhooks/secrets.ts';

export interface RuntimeOptions {
  clock?: Clock;
  /** Use this database instead of opening one from the config (tests share one per file). */
  database?: Database;
  /** Start the background workers (mail delivery, expiry). Off for one-shot CLI commands. */
  workers?: boolean;
  /** Where log lines go instead of standard output (tests read them). */
  logDestination?: pino.DestinationStream;
}

/** Opens the database, applies migrations and wires the services every module uses. */
export async function createContext(config: Config, options: RuntimeOptions = {}): Promise<AppContext> {
  // The mixin puts the request's id (or the job's) in every line logged inside one, whichever logger it went through.
  const log = pino({ level: config.LOG_LEVEL, mixin: logMixin }, options.logDestination);
  // A bad catalog file stops the start before anything is opened (CatalogError: one line per bad entry).
  const catalog = loadCatalogFile(config.CATALOG_FILE);
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      replicaUrl: config.DATABASE_REPLICA_URL,
      log,
      // A process with workers is the long-running server: its connections stay warm.
      keepConnections: options.workers !== false,
    }));
  await migrate(database);
  // The catalog tables follow the file: one transaction, an audit row per change, orphaning refused.
  const changes = await syncCatalog(database.db, catalog, { source: config.CATALOG_FILE, at: clock.now() }).catch(async (error: unknown) => {
    if (!options.database) await database.close();
    throw error;
  });
  if (changes.length > 0) log.info({ changes }, 'API catalog synchronised from %s', config.CATALOG_FILE);
  // Stored release parts follow the release policy (recomputed only when the policy changed).
  await applyReleasePolicy(database);
  // Webhook signing secrets still in the clear, or under a retired SECRETS_KEY, are sealed under the current key.
  await sealStoredSecrets(database.db, config, log);
  const jobs = createJobQueue(database, log);
  const ctx: AppContext = { config, database, db: database.db, readDb: database.replica, clock, log, jobs, mail: undefined as never };
  ctx.mail = createMailService(ctx);
  // Always started so that one-shot commands can queue jobs too; workers and schedules only on request.
  await jobs.start(ctx, { workers: options.workers !== false });
  return ctx;
}

/** Stops workers and closes the database (unless it was handed in). */
export async function closeContext(ctx: AppContext, options: { keepDatabase?: boolean } = {}): Promise<void> {
  await ctx.jobs.stop();
  if (!options.keepDatabase) await ctx.database.close();
}
