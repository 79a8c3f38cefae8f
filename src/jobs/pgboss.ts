import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/index.ts';
import type { JobQueue } from './queue.ts';

/** pg-boss backed queue (being built: jobs are not run yet). */
export function createJobQueue(_database: Database, _log: FastifyBaseLogger): JobQueue {
  return {
    start: async () => {},
    stop: async () => {},
    sendInTransaction: async () => {},
  };
}
