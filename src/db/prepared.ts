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

/** Makes the pool's connections send statements marked `PREPARED` as named statements. */
export function prepareMarkedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
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
