import type { Queryable } from '../context.ts';

/**
 * Background work on pg-boss in the same database. Jobs that belong to a change are queued inside
 * the change's transaction, so they exist exactly when the change does.
 */
export interface JobQueue {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queues job `name` with `data` as part of transaction `trx`. */
  sendInTransaction(trx: Queryable, name: string, data: object): Promise<void>;
}
