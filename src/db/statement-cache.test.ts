import { describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import type { DB } from './schema.ts';
import { StatementCache } from './statement-cache.ts';

/** A query builder that compiles PostgreSQL and never connects. */
const db = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The object the statements are built from (a scope, in read.ts). */
const owner = {};

describe('StatementCache', () => {
  it('compiles a shape once and fills in each request its own values', () => {
    const cache = new StatementCache(10_000);
    let builds = 0;
    const build = (v: readonly unknown[]) => {
      builds++;
      return sql`SELECT * FROM t WHERE a = ${'fixed'} AND id > ${v[0]}::uuid AND f(${v[1]}, ${v[0]})`;
    };
    const first = cache.compile(db, owner, 'k', ['id-1', null], build);
    const second = cache.compile(db, owner, 'k', ['id-2', 7], build);
    expect(builds).toBe(1);
    expect(second.sql).toBe(first.sql);
    expect(first.sql).toBe('SELECT * FROM t WHERE a = $1 AND id > $2::uuid AND f($3, $4)');
    expect(first.parameters).toEqual(['fixed', 'id-1', null, 'id-1']);
    expect(second.parameters).toEqual(['fixed', 'id-2', 7, 'id-2']);
    // Each execution its own query id, as a compile gives.
    expect(second.queryId).not.toBe(first.queryId);
  });

  it('keeps apart what its keys and owners keep apart', () => {
    const cache = new StatementCache(10_000);
    const a = cache.compile(db, owner, 'a', [1], (v) => sql`SELECT ${v[0]}`);
    const b = cache.compile(db, owner, 'b', [2], (v) => sql`SELECT ${v[0]}, 'b'`);
    const other = cache.compile(db, {}, 'a', [3], (v) => sql`SELECT ${v[0]}, 'other'`);
    expect([a.sql, a.parameters]).toEqual(['SELECT $1', [1]]);
    expect([b.sql, b.parameters]).toEqual(["SELECT $1, 'b'", [2]]);
    expect([other.sql, other.parameters]).toEqual(["SELECT $1, 'other'", [3]]);
  });

  it('never keeps a statement whose value went into its text', () => {
    const cache = new StatementCache(10_000);
    const build = (v: readonly unknown[]) => sql`SELECT * FROM t WHERE name = ${sql.lit(v[0] as string)}`;
    expect(cache.compile(db, owner, 'k', ['one'], build).sql).toBe("SELECT * FROM t WHERE name = 'one'");
    expect(cache.compile(db, owner, 'k', ['two'], build).sql).toBe("SELECT * FROM t WHERE name = 'two'");
    expect(cache.size).toBe(0);
  });

  it('never keeps a statement whose value was changed or wrapped on its way in', () => {
    const cache = new StatementCache(10_000);
    const lower = (v: readonly unknown[]) => sql`SELECT ${(v[0] as string).toLowerCase()}`;
    expect(cache.compile(db, owner, 'lower', ['A'], lower).parameters).toEqual(['a']);
    expect(cache.compile(db, owner, 'lower', ['B'], lower).parameters).toEqual(['b']);
    const wrapped = (v: readonly unknown[]) => sql`SELECT ${[v[0]]}`;
    expect(cache.compile(db, owner, 'wrapped', ['x'], wrapped).parameters).toEqual([['x']]);
    expect(cache.compile(db, owner, 'wrapped', ['y'], wrapped).parameters).toEqual([['y']]);
    const upper = (v: readonly unknown[]) => sql`SELECT ${(v[0] as string).toUpperCase()}`;
    expect(cache.compile(db, owner, 'upper', ['a'], upper).parameters).toEqual(['A']);
    expect(cache.compile(db, owner, 'upper', ['b'], upper).parameters).toEqual(['B']);
    const inObject = (v: readonly unknown[]) => sql`SELECT ${{ at: v[0] }}::jsonb`;
    expect(cache.compile(db, owner, 'object', ['p'], inObject).parameters).toEqual([{ at: 'p' }]);
    expect(cache.compile(db, owner, 'object', ['q'], inObject).parameters).toEqual([{ at: 'q' }]);
    expect(cache.size).toBe(0);
  });

  it('keeps a statement that does not use every value', () => {
    const cache = new StatementCache(10_000);
    const build = (v: readonly unknown[]) => sql`SELECT * FROM t WHERE id > ${v[1]}`;
    expect(cache.compile(db, owner, 'k', ['unused', 'x'], build).parameters).toEqual(['x']);
    expect(cache.compile(db, owner, 'k', ['unused', 'y'], build).parameters).toEqual(['y']);
    expect(cache.size).toBe(1);
  });

  it('keeps at most its size of text, the least recently used going first', () => {
    const cache = new StatementCache(300);
    const build = (n: number) => (v: readonly unknown[]) => sql`SELECT ${v[0]} /* ${sql.raw('x'.repeat(100))} ${sql.raw(String(n))} */`;
    for (let n = 0; n < 5; n++) cache.compile(db, owner, `k${n}`, [n], build(n));
    expect(cache.size).toBeLessThanOrEqual(2);
    // The newest is still there: compiled again it would be built again.
    let built = false;
    cache.compile(db, owner, 'k4', [9], (v) => ((built = true), build(4)(v)));
    expect(built).toBe(false);
  });
});
