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
 * The texts of a scope's statements name its units (`uuids` in src/modules/ss12000/scope.ts writes a
 * long unit list into the text, so that a generic plan knows it): a connection keeps the statements
 * it used most recently, at most `MAX_PER_CONNECTION` of them and `MAX_TEXT_PER_CONNECTION`
 * characters of text (PostgreSQL holds about ten times the text per prepared statement: some 300 kB
 * for a page of an app granted 500 schools), and deallocates the least recently used beyond that.
 * Mark only statements whose text is fixed by a bounded set of shapes per scope. PGlite runs in the
 * process and is left as it is.
 */
export const PREPARED = sql.raw('/* prepared */ ');
const MARK = '/* prepared */ ';
/** Prepared statements a pooled connection keeps at most. */
export const MAX_PER_CONNECTION = 200;
/** Characters of statement text a pooled connection keeps prepared at most (a longer text runs unnamed). */
export const MAX_TEXT_PER_CONNECTION = 2_000_000;

type Query = pg.PoolClient['query'];
/** pg's record of the statements a connection has parsed (internal; checked before it is touched). */
type Parsed = { connection?: { parsedStatements?: Record<string, string> } };

/**
 * Makes the pool's connections send statements marked `PREPARED` as named statements, and answer
 * every statement the query builder sends through pg's callback (`answeredThroughCallback`).
 */
export function prepareMarkedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = answeredThroughCallback(client.query.bind(client) as (...args: unknown[]) => unknown);
    /** Text → name, least recently used first (a Map keeps insertion order). */
    const names = new Map<string, string>();
    let kept = 0;
    let serial = 0;
    const evictOldest = () => {
      const [text, name] = names.entries().next().value as [string, string];
      names.delete(text);
      kept -= text.length;
      // Queued behind whatever the connection runs now. A name is never used twice (the serial), so a
      // later Parse of the same text cannot meet this one; pg forgets it once the server has.
      query(`DEALLOCATE "${name}"`).then(
        () => delete (client as unknown as Parsed).connection?.parsedStatements?.[name],
        () => undefined,
      );
    };
    const wrapped = (...args: unknown[]) => {
      const [text, values] = args;
      if (typeof text === 'string' && text.startsWith(MARK) && (Array.isArray(values) || values === undefined) && args.length <= 2) {
        let name = names.get(text);
        if (name) {
          names.delete(text);
          names.set(text, name);
        } else if (text.length <= MAX_TEXT_PER_CONNECTION / 8) {
          while (names.size && (names.size >= MAX_PER_CONNECTION || kept + text.length > MAX_TEXT_PER_CONNECTION)) evictOldest();
          name = `sg_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}_${(serial++).toString(36)}`;
          names.set(text, name);
          kept += text.length;
        }
        if (name) return query({ name, text, values });
      }
      return query(...args);
    };
    client.query = wrapped as Query;
  });
}

/**
 * A connection's `query` that, for a statement given as text or as a config object without a
 * callback (how Kysely and this file call it), asks pg through its callback and makes the promise
 * here; any other call goes to pg as it is.
 *
 * Why: with the promise pg's own `query` makes, the rows of an answer outlived two young-generation
 * collections and were copied into the old generation, to be freed only by a full collection.
 * Measured on the bench world's database (a page of 100 calendar events, 16 statements in flight on
 * four connections, one process, `--trace-gc-nvp`): through the query builder 35 kB promoted per
 * statement, 79 scavenges in 6,000 statements and 123 µs of CPU each; answered through the callback
 * 0.1 kB, 45 scavenges and 82 µs. A page of `listPage` (the SS 12000 read path): 57 kB, 246 µs →
 * 0.2 kB, 161 µs. Why pg's promise keeps the rows alive longer was not found out; pg's own
 * `pool.query`, which uses the callback, never showed it. A failed statement rejects with pg's error
 * (Kysely adds the caller's stack to it, as before).
 */
function answeredThroughCallback(query: (...args: unknown[]) => unknown): (...args: unknown[]) => Promise<unknown> {
  return (...args) => {
    const [config, values] = args;
    // Text or a config object, without a callback; a submittable (a cursor) goes to pg as it is.
    const plain =
      args.length <= 2 &&
      (values === undefined || Array.isArray(values)) &&
      (typeof config === 'string' || (typeof config === 'object' && config !== null && typeof (config as { submit?: unknown }).submit !== 'function'));
    if (!plain) return query(...args) as Promise<unknown>;
    return new Promise((resolve, reject) => {
      query(...args, (error: Error | undefined, result: unknown) => (error ? reject(error) : resolve(result)));
    });
  };
}
