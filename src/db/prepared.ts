import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';

/**
 * Server-side prepared statements for the hot read path, on a PostgreSQL server.
 *
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it on every execution. For an
 * SS 12000 page (a statement of some 3 KB with a dozen array parameters) that was ~0.45 ms of the
 * ~2.3 ms PostgreSQL spent on it, on every request. A statement that starts with `PREPARED` is sent
 * as a named statement instead (the name is a hash of its text), so each pooled connection parses
 * it once and PostgreSQL may keep its plan (plan_cache_mode decides between a generic and a custom
 * plan, as for any prepared statement).
 *
 * Bounded: a connection prepares at most `MAX_PER_CONNECTION` distinct texts (the texts vary with
 * the filters, sort key and expands a client combines); beyond that, statements run unnamed as
 * before. Mark only statements whose text is fixed by a bounded set of shapes, with every value a
 * parameter. PGlite runs in the process and is left as it is.
 */
export const PREPARED = sql.raw('/* prepared */ ');
const MARK = '/* prepared */ ';
const MAX_PER_CONNECTION = 200;

type Query = pg.PoolClient['query'];

/** Makes the pool's connections send statements marked `PREPARED` as named statements. */
export function prepareMarkedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const names = new Map<string, string>();
    const wrapped = (...args: unknown[]) => {
      const [text, values] = args;
      if (typeof text === 'string' && text.startsWith(MARK) && (Array.isArray(values) || values === undefined) && args.length <= 2) {
        let name = names.get(text);
        if (!name && names.size < MAX_PER_CONNECTION) names.set(text, (name = `sg_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`));
        if (name) return query({ name, text, values });
      }
      return query(...args);
    };
    client.query = wrapped as Query;
  });
}
