import type { AppContext, Queryable } from '../context.ts';

/** Options of `JobQueue.start`. */
export interface JobQueueStartOptions {
  /**
   * Run workers and schedules (mail delivery, expiry). Off for one-shot CLI commands: they can still
   * queue jobs, which a running server then picks up.
   */
  workers?: boolean;
}

/**
 * Background work on pg-boss in the same database. Jobs that belong to a change are queued inside
 * the change's transaction, so they exist exactly when the change does.
 */
export interface JobQueue {
  /** Installs/updates pg-boss's schema and queues; with `workers` also starts workers and schedules. */
  start(ctx: AppContext, options?: JobQueueStartOptions): Promise<void>;
  /** Stops workers and timers; leaves the database open. Safe to call when never started. */
  stop(): Promise<void>;
  /** Queues job `name` with `data` as part of transaction `trx`; returns the job id. */
  sendInTransaction(trx: Queryable, name: string, data: object): Promise<string | null>;
}
