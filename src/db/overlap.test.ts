import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/harness.ts';
import type { Database } from './index.ts';
import { Overlap } from './overlap.ts';

describe('Overlap: statements queued on a transaction while the caller prepares the next', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase({ empty: true });
    await database.exec('CREATE TABLE overlap_probe (n integer PRIMARY KEY)');
  });
  afterAll(() => database.close());

  it('runs every statement, in the order pushed, and returns what each returned in that order', async () => {
    const results = await database.db.transaction().execute(async (trx) => {
      const overlap = new Overlap<{ rows: { n: number; before: number }[] }>();
      for (let n = 1; n <= 25; n++) {
        // `before`: how many rows earlier statements wrote, as this one saw them.
        await overlap.push(
          sql<{ n: number; before: number }>`INSERT INTO overlap_probe (n)
          VALUES (${n}) RETURNING n, (SELECT count(*)::int FROM overlap_probe) AS before`.execute(trx),
        );
      }
      return overlap.drain();
    });
    expect(results.map((r) => r.rows[0])).toEqual(Array.from({ length: 25 }, (_, i) => ({ n: i + 1, before: i })));
  });

  it('a failing statement fails the transaction: nothing it queued is kept', async () => {
    await sql`DELETE FROM overlap_probe`.execute(database.db);
    const load = database.db.transaction().execute(async (trx) => {
      const overlap = new Overlap<unknown>();
      await overlap.push(sql`INSERT INTO overlap_probe (n) VALUES (1)`.execute(trx));
      await overlap.push(sql`INSERT INTO overlap_probe (n) VALUES (1)`.execute(trx)); // duplicate key
      await overlap.push(sql`INSERT INTO overlap_probe (n) VALUES (2)`.execute(trx));
      await overlap.drain();
    });
    await expect(load).rejects.toThrow(/duplicate key/);
    let left = await sql<{ count: number }>`SELECT count(*)::int AS count FROM overlap_probe`.execute(database.db);
    expect(left.rows[0]!.count).toBe(0);

    // A statement that fails only after a while, with another queued behind it: the failure reaches
    // the caller (and Kysely's ROLLBACK goes out) only after the queued one ran inside the transaction.
    const slow = database.db.transaction().execute(async (trx) => {
      const overlap = new Overlap<unknown>();
      await overlap.push(sql`INSERT INTO overlap_probe (n) VALUES (10)`.execute(trx));
      await overlap.push(sql`SELECT pg_sleep(0.05), 1 / 0`.execute(trx));
      await overlap.push(sql`INSERT INTO overlap_probe (n) VALUES (11)`.execute(trx));
      await overlap.drain();
    });
    await expect(slow).rejects.toThrow(/division by zero/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await sql<{ count: number }>`SELECT count(*)::int AS count FROM overlap_probe`.execute(database.db);
    expect(left.rows[0]!.count).toBe(0);
  });
});
