import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { PREPARED } from '../../src/db/prepared.ts';
import { createFreshDatabase } from './server-process.ts';

/**
 * Statements marked PREPARED (the SS 12000 pages) are prepared once per pooled connection on a
 * PostgreSQL server, and no more than a bounded number of texts per connection; the rest run
 * unnamed. Checked in `pg_prepared_statements`, which lists the statements of the session asking.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

let database: Database;
let drop: () => Promise<void>;
let url: string;

beforeAll(async () => {
  const fresh = await createFreshDatabase(adminUrl, `sg_prepared_${process.pid}`);
  drop = fresh.drop;
  url = fresh.url;
  // One connection: every statement below runs in the same session.
  database = await openDatabase({ databaseUrl: fresh.url, poolSize: 1 });
});

afterAll(async () => {
  await database?.close();
  await drop?.();
});

const prepared = async () =>
  (
    await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY prepare_time`.execute(
      database.db,
    )
  ).rows;

describe('prepared statements', () => {
  it('prepares a marked statement once and reuses it with other parameters', async () => {
    for (const n of [1, 2, 3]) {
      const r = await sql<{ v: number }>`${PREPARED}SELECT ${n}::int + 1 AS v`.execute(database.db);
      expect(r.rows).toEqual([{ v: n + 1 }]);
    }
    await sql`SELECT ${1}::int AS unmarked`.execute(database.db);
    const named = await prepared();
    expect(named).toHaveLength(1);
    expect(named[0]!.name).toMatch(/^sg_/);
    expect(named[0]!.statement).toContain('SELECT $1::int + 1 AS v');
  });

  it('keeps the 200 texts used last per connection, deallocates the others, and prepares one again when it comes back', async () => {
    const shape = (i: number) => sql<{ v: number }>`${PREPARED}SELECT ${i}::int AS v, ${sql.raw(String(i))} AS shape`.execute(database.db);
    for (let i = 0; i < 260; i++) expect((await shape(i)).rows[0]!.v).toBe(i);
    // Shape 0 again: used last now, so it outlives the ones after it.
    expect((await shape(0)).rows[0]!.v).toBe(0);
    await shape(260);
    const named = await prepared();
    expect(named).toHaveLength(200);
    const shapes = named.map((s) => Number(/AS shape$/.test(s.statement) ? s.statement.match(/(\d+) AS shape$/)![1] : NaN)).sort((a, b) => a - b);
    expect(shapes).toEqual([0, ...Array.from({ length: 199 }, (_, i) => 62 + i)]);
  });

  it('keeps no more statement text than its budget: long texts push out old ones, and every answer stays right', async () => {
    // Texts of 100,000 characters (a comment as padding): twenty fit the 2,000,000-character budget.
    const padded = (i: number) => sql<{ v: number }>`${PREPARED}SELECT ${i}::int AS v /* ${sql.raw(String(i).padEnd(100_000, 'x'))} */`.execute(database.db);
    for (let i = 0; i < 30; i++) expect((await padded(i)).rows[0]!.v).toBe(i);
    const named = (await prepared()).filter((s) => s.statement.includes('xxxx'));
    expect(named.length).toBeGreaterThan(10);
    expect(named.reduce((n, s) => n + s.statement.length, 0)).toBeLessThanOrEqual(2_000_000);
  });
});

describe('connections after a quiet spell', () => {
  it('a long-running process keeps its connection and what it prepared there; a one-shot command lets pg close its own', async () => {
    const server = await openDatabase({ databaseUrl: url, poolSize: 1, keepConnections: true });
    const command = await openDatabase({ databaseUrl: url, poolSize: 1 });
    try {
      const backend = async (d: Database) => (await sql<{ pid: number }>`${PREPARED}SELECT pg_backend_pid() AS pid`.execute(d.db)).rows[0]!.pid;
      const before = await backend(server);
      await backend(command);
      // pg closes a connection idle for 10 s (its default idleTimeoutMillis) unless the pool keeps it.
      await new Promise((r) => setTimeout(r, 10_500));
      expect(server.pool!.totalCount).toBe(1);
      expect(command.pool!.totalCount).toBe(0);
      // The same backend answers, with the statement it prepared before the pause.
      expect(await backend(server)).toBe(before);
      const named = (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`.execute(server.db)).rows;
      expect(named.map((s) => s.statement)).toContain('/* prepared */ SELECT pg_backend_pid() AS pid');
    } finally {
      await server.close();
      await command.close();
    }
  }, 30_000);
});
