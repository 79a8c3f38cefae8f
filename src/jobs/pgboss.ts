import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { PgBoss, fromKysely, fromPglite, type JobResult, type JobWithMetadata, type QueueOptions, type QueueResult, type WorkOptions } from 'pg-boss';
import type { AppContext, Queryable } from '../context.ts';
import type { Database } from '../db/index.ts';
import { jobDefinitions, type JobDefinition } from './definitions.ts';
import type { JobQueue, JobQueueStartOptions } from './queue.ts';
import { workScope } from '../lib/work-scope.ts';

/** The state of one job, for operators and tests. */
export interface JobStatus {
  id: string;
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  retryCount: number;
  retryLimit: number;
  output: unknown;
}

/**
 * Where pg-boss keeps its tables: next to ours, in a schema of its own. Derived from the current
 * schema so that several databases-in-schemas on one server (test files, see
 * `openTestDatabase`) never share queues.
 */
export function bossSchemaFor(currentSchema: string): string {
  return currentSchema === 'public' ? 'pgboss' : `${currentSchema}_boss`;
}

/**
 * The pg-boss backed `JobQueue`. On PGlite it runs through pg-boss's PGlite adapter on the one
 * embedded connection; on a server it opens its own small pool from the connection string.
 */
export class PgBossQueue implements JobQueue {
  #boss: PgBoss | undefined;
  #starting: Promise<void> | undefined;
  #schema: string | undefined;
  readonly #database: Database;
  readonly #log: FastifyBaseLogger;
  readonly #definitions: readonly JobDefinition[];

  constructor(database: Database, log: FastifyBaseLogger, definitions: readonly JobDefinition[] = jobDefinitions) {
    this.#database = database;
    this.#log = log;
    this.#definitions = definitions;
  }

  /** pg-boss's schema once started (e.g. `pgboss`). */
  get schema(): string | undefined {
    return this.#schema;
  }

  async start(ctx: AppContext, options: JobQueueStartOptions = {}): Promise<void> {
    if (this.#boss) return;
    this.#starting ??= this.#start(ctx, options.workers !== false).finally(() => {
      this.#starting = undefined;
    });
    await this.#starting;
  }

  async #start(ctx: AppContext, workers: boolean): Promise<void> {
    const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(this.#database.db);
    const schema = bossSchemaFor(rows[0]!.schema);
    // Producer-only instances (CLI commands) run no timers at all: no maintenance, no cron, no registry.
    const background = { supervise: workers, schedule: workers, registerInstance: workers };
    const boss =
      this.#database.kind === 'pglite'
        ? new PgBoss({ db: fromPglite(this.#database.pglite!), backend: 'pglite', schema, useListenNotify: workers, ...background })
        : new PgBoss({
            connectionString: this.#database.connectionString!,
            schema,
            max: 3,
            application_name: 'schoolgate-jobs',
            useListenNotify: workers,
            ...background,
          });
    // An EventEmitter without an 'error' listener throws; pg-boss reports background failures here.
    boss.on('error', (error) => this.#log.error({ err: error }, 'pg-boss error'));
    boss.on('warning', (warning) => this.#log.warn({ warning }, 'pg-boss warning'));
    const t0 = performance.now();
    await boss.start();
    const t1 = performance.now();
    try {
      const existing = new Map((await boss.getQueues(this.#definitions.map((d) => d.name))).map((q) => [q.name, q]));
      for (const def of this.#definitions) {
        const queue = existing.get(def.name);
        if (!queue) await boss.createQueue(def.name, def.queue);
        else {
          // A deployment that changed a policy applies it on the next start (policy itself is fixed).
          const { policy: _p, partition: _t, deadLetter: _d, retryDelayMax: _m, heartbeatSeconds: _h, ...updatable } = def.queue;
          const changed = Object.entries(updatable).some(([key, value]) => queue[key as keyof typeof queue] !== value);
          if (changed) await boss.updateQueue(def.name, updatable);
        }
      }
      if (workers) {
        for (const def of this.#definitions) {
          if (def.enabled && !def.enabled(ctx)) continue;
          const polling = def.pollingIntervalSeconds ?? 2;
          await boss.work<object, unknown, WorkOptions & { includeMetadata: true; perJobResults: true }>(
            def.name,
            {
              includeMetadata: true,
              // A batch is worked through one job at a time, each settled on its own (a failed one is
              // retried alone); a full batch fetches the next one at once instead of after a poll.
              perJobResults: true,
              batchSize: 5,
              burstWhenBatchFull: true,
              pollingIntervalSeconds: polling,
              // NOTIFY wakes an idle worker at once, but a job queued while the worker is busy gets no
              // wake-up of its own: keep the backstop poll as short as the plain one (default is 30 s).
              notifyPollingIntervalSeconds: polling,
            },
            async (jobs) => {
              const results: JobResult[] = [];
              for (const job of jobs) {
                // Every line logged while the job runs names it (`jobId`, see src/lib/work-scope.ts).
                await workScope.run({ jobId: job.id }, async () => {
                  try {
                    const output = await def.handle(ctx, job as JobWithMetadata<never>);
                    results.push({ id: job.id, status: 'completed', output: output === undefined ? undefined : { result: output } });
                  } catch (error) {
                    const message = error instanceof Error ? error.message : String(error);
                    this.#log.warn({ err: error, job: job.id, queue: def.name, attempt: job.retryCount }, 'job failed');
                    results.push({ id: job.id, status: 'failed', output: { error: message } });
                  }
                });
              }
              return results;
            },
          );
          if (def.cron) await boss.schedule(def.name, def.cron, null, { tz: 'UTC' });
        }
      }
    } catch (error) {
      await boss.stop({ graceful: false, close: true }).catch(() => {});
      throw error;
    }
    this.#schema = schema;
    this.#boss = boss;
    this.#log.debug({ schema, bossStartMs: Math.round(t1 - t0), queuesMs: Math.round(performance.now() - t1) }, 'pg-boss started');
  }

  async stop(): Promise<void> {
    await this.#starting?.catch(() => {});
    const boss = this.#boss;
    this.#boss = undefined;
    if (!boss) return;
    // Graceful: a delivery in flight finishes (and records its outcome) before the database closes.
    await boss.stop({ graceful: true, timeout: 10_000, close: true });
  }

  async sendInTransaction(trx: Queryable, name: string, data: object): Promise<string | null> {
    return this.#started().send(name, data, { db: fromKysely(trx) });
  }

  /** Looks up one job (tests and diagnostics). */
  async job(name: string, id: string): Promise<JobStatus | undefined> {
    const [job] = await this.#started().findJobs(name, { id });
    if (!job) return undefined;
    return { id: job.id, state: job.state, retryCount: job.retryCount, retryLimit: job.retryLimit, output: job.output };
  }

  /** Jobs of queue `name` whose data contains `data`, oldest first (tests and diagnostics). */
  async jobsWithData(name: string, data: object): Promise<JobStatus[]> {
    const jobs = await this.#started().findJobs(name, { data });
    return jobs.map((job) => ({ id: job.id, state: job.state, retryCount: job.retryCount, retryLimit: job.retryLimit, output: job.output }));
  }

  /** Every queue with pg-boss's job counts (refreshed by its monitor), for the queue-depth metric. */
  async queueStats(): Promise<QueueResult[]> {
    return this.#started().getQueues();
  }

  /** The recurring schedules pg-boss runs (tests and diagnostics). */
  async schedules(): Promise<{ name: string; cron: string }[]> {
    return (await this.#started().getSchedules()).map((s) => ({ name: s.name, cron: s.cron }));
  }

  /**
   * Changes a queue's retry policy for jobs queued from now on (tests use a fast one; jobs copy the
   * queue's policy when they are created).
   */
  async setQueuePolicy(name: string, options: Pick<QueueOptions, 'retryLimit' | 'retryDelay' | 'retryBackoff' | 'retryDelayMax'>): Promise<void> {
    await this.#started().updateQueue(name, options);
  }

  #started(): PgBoss {
    if (!this.#boss) throw new Error('The job queue is not started (call jobs.start first).');
    return this.#boss;
  }
}

/** Creates the process's job queue. Nothing touches the database until `start()`. */
export function createJobQueue(database: Database, log: FastifyBaseLogger): PgBossQueue {
  return new PgBossQueue(database, log);
}
