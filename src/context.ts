import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import type { Database } from './db/index.ts';
import type { DB } from './db/schema.ts';
import type { Clock } from './lib/clock.ts';
import type { MailService } from './mail/service.ts';
import type { JobQueue } from './jobs/queue.ts';

/**
 * Everything a request handler or job needs, built once per process. Holds no per-user state:
 * several processes on one database must behave as one.
 */
export interface AppContext {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  /**
   * A streaming replica (DATABASE_REPLICA_URL) where SS 12000 page reads go, or absent (they then use
   * `db`). It may lag behind `db` and is read-only: never for an authorization decision (grants, app
   * status, consent, rate limit), the access log or any other write. While the replica is unreachable
   * its statements go to the primary (src/db/replica.ts), so a read through it needs no fallback of its own.
   */
  readDb?: Kysely<DB>;
  clock: Clock;
  mail: MailService;
  jobs: JobQueue;
  log: FastifyBaseLogger;
}

/** A transaction or the plain connection: query functions accept either. */
export type Queryable = Kysely<DB>;
