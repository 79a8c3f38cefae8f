import { sql } from 'kysely';
import { PgBoss, fromPglite } from 'pg-boss';
import type { Database } from '../db/index.ts';
import type { ReadoutConfig } from './config.ts';
import { runReadout, type ReadoutDeps, type RunResult } from './run.ts';

/**
 * `readout serve`: one pg-boss cron schedule per customer (in the customer's time zone), one
 * worker that runs the readout when a schedule fires. pg-boss keeps its own schema next to ours,
 * so several `serve` processes on one database share the schedules and each run happens once.
 */
export interface ReadoutScheduler {
  boss: PgBoss;
  /** Queue name of a customer's schedule. */
  queueFor(customerKey: string): string;
  /** Runs a customer now through the queue (same path as the schedule). */
  trigger(customerKey: string): Promise<string | null>;
  stop(): Promise<void>;
}

const QUEUE_PREFIX = 'readout.';

export interface SchedulerOptions {
  /** Whether this process also works the jobs (false: only keeps the schedules). */
  workers?: boolean;
  onRun?: (customer: string, result: RunResult | Error) => void;
}

export async function startReadoutScheduler(
  config: ReadoutConfig,
  database: Database,
  deps: ReadoutDeps,
  opts: SchedulerOptions = {},
): Promise<ReadoutScheduler> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
  const schema = rows[0]!.schema === 'public' ? 'readout_boss' : `${rows[0]!.schema}_readout_boss`;
  const boss =
    database.kind === 'pglite'
      ? new PgBoss({ db: fromPglite(database.pglite!), backend: 'pglite', schema })
      : new PgBoss({ connectionString: database.connectionString!, schema, max: 3, application_name: 'schoolgate-readout' });
  boss.on('error', (e) => opts.onRun?.('(scheduler)', e as Error));
  await boss.start();
  const queueFor = (key: string) => `${QUEUE_PREFIX}${key}`;
  try {
    const existing = new Set((await boss.getQueues()).map((q) => q.name));
    const wanted = new Set(config.customers.map((c) => queueFor(c.key)));
    // A customer removed from the file loses its schedule.
    for (const s of await boss.getSchedules()) if (s.name.startsWith(QUEUE_PREFIX) && !wanted.has(s.name)) await boss.unschedule(s.name, s.key);
    for (const c of config.customers) {
      const q = queueFor(c.key);
      // A run already queued for a customer absorbs further triggers; a failed run is not retried (the next night is).
      if (!existing.has(q)) await boss.createQueue(q, { policy: 'singleton', retryLimit: 0 });
      await boss.schedule(q, c.schedule, { customer: c.key }, { tz: c.timeZone });
      if (opts.workers !== false) {
        await boss.work<{ customer: string }>(q, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
          if (!job) return;
          try {
            const r = await runReadout(c, deps, { trigger: 'schedule' });
            opts.onRun?.(c.key, r);
            if (r.status === 'failed') throw new Error(r.error);
            return { runId: r.runId };
          } catch (e) {
            opts.onRun?.(c.key, e as Error);
            throw e;
          }
        });
      }
    }
  } catch (e) {
    await boss.stop({ graceful: false, close: true }).catch(() => {});
    throw e;
  }
  return {
    boss,
    queueFor,
    trigger: (key) => boss.send(queueFor(key), { customer: key }),
    stop: () => boss.stop({ graceful: true, close: true, timeout: 30_000 }),
  };
}
