/**
 * Live SQL (src/db/live): a file whose text changed is applied again on the next start, an
 * unchanged one is not, and `{{NAME}}` placeholders become the literals of
 * src/modules/access/literals.ts. Each start runs `migrateWithReport` on a copy of the live folder
 * with one probe file added, as a deployment with an edited file would.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.ts';
import { LIVE_SQL_DIR, liveSqlFiles, liveSqlText, migrateWithReport } from '../../src/db/migrate.ts';
import { PROTECTED_IDENTITY, STUDENT_KINDS } from '../../src/modules/access/literals.ts';
import { openTestDatabase } from '../support/harness.ts';

let database: Database;
let dir: string;
const probe = (answer: number) =>
  writeFileSync(
    join(dir, '99_probe.sql'),
    `-- A probe for this test.\nCREATE OR REPLACE FUNCTION live_probe() RETURNS integer LANGUAGE sql AS $$ SELECT ${answer} $$;\n`,
  );
const ask = async () => (await sql<{ n: number }>`SELECT live_probe() AS n`.execute(database.db)).rows[0]!.n;

beforeAll(async () => {
  // Empty, not the run's migrated copy: the first start here must apply everything.
  database = await openTestDatabase({ empty: true });
  dir = mkdtempSync(join(tmpdir(), 'sg-live-'));
  cpSync(LIVE_SQL_DIR, dir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('live SQL files', () => {
  it('are all applied on the first start, after the migrations', async () => {
    probe(1);
    const first = await migrateWithReport(database, { liveDir: dir });
    expect(first.migrations.length).toBeGreaterThan(0);
    expect(first.live).toEqual([...liveSqlFiles(), '99_probe.sql']);
    expect(await ask()).toBe(1);
  });

  it('are not applied again when their text is unchanged', async () => {
    const again = await migrateWithReport(database, { liveDir: dir });
    expect(again).toEqual({ migrations: [], live: [] });
  });

  it('apply a changed file, and only that one, on the next start', async () => {
    probe(2);
    const next = await migrateWithReport(database, { liveDir: dir });
    expect(next).toEqual({ migrations: [], live: ['99_probe.sql'] });
    expect(await ask()).toBe(2);
    expect((await migrateWithReport(database, { liveDir: dir })).live).toEqual([]);
  });

  it('replace placeholders by the literals of src/modules/access/literals.ts', async () => {
    writeFileSync(
      join(dir, '98_literals.sql'),
      "-- Literals for this test.\nCREATE OR REPLACE FUNCTION live_literals() RETURNS json LANGUAGE sql AS $$ SELECT json_build_object('kinds', {{STUDENT_KINDS}}, 'marking', {{PROTECTED_IDENTITY}}) $$;\n",
    );
    expect((await migrateWithReport(database, { liveDir: dir })).live).toEqual(['98_literals.sql']);
    const row = (await sql<{ v: { kinds: string[]; marking: string } }>`SELECT live_literals() AS v`.execute(database.db)).rows[0]!.v;
    expect(row).toEqual({ kinds: STUDENT_KINDS, marking: PROTECTED_IDENTITY });
  });

  it('refuse an unknown placeholder at start, naming it', async () => {
    writeFileSync(join(dir, '97_typo.sql'), 'SELECT {{STUDENT_KIND}};\n');
    expect(() => liveSqlText('97_typo.sql', dir)).toThrow(/97_typo\.sql: unknown placeholder \{\{STUDENT_KIND\}\}/);
    await expect(migrateWithReport(database, { liveDir: dir })).rejects.toThrow(/unknown placeholder/);
    rmSync(join(dir, '97_typo.sql'));
  });
});

describe('the logic in the database', () => {
  /** Objects a live file defines, by kind, read from the files as they are applied (comments left out). */
  const defined = (pattern: RegExp) =>
    new Set(
      liveSqlFiles().flatMap((f) =>
        [
          ...liveSqlText(f)
            .replace(/--[^\n]*/g, '')
            .matchAll(pattern),
        ].map((m) => m[1]!.toLowerCase()),
      ),
    );

  it('is all defined in live SQL files, so removing an object from its file cannot leave the old one live', async () => {
    // What an old migration created and a live file no longer names would stay in every database
    // (and be created again on a fresh one): such an object needs a migration that drops it.
    const triggers = await sql<{ name: string }>`
      SELECT t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY 1`.execute(database.db);
    expect(triggers.rows.map((r) => r.name).sort()).toEqual([...defined(/CREATE TRIGGER\s+(\w+)/gi)].sort());
    const views = await sql<{ name: string }>`
      SELECT viewname AS name FROM pg_views WHERE schemaname = current_schema() ORDER BY 1`.execute(database.db);
    expect(views.rows.map((r) => r.name).sort()).toEqual([...defined(/CREATE (?:OR REPLACE )?VIEW\s+(\w+)/gi)].sort());
    // Functions, except those the schema itself depends on (an index expression: migration 0042)
    // and this test's probes.
    const schemaFunctions = new Set(['ss12000_person_emails', 'live_probe', 'live_literals']);
    const functions = await sql<{ name: string }>`
      SELECT p.proname AS name FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1`.execute(database.db);
    expect(
      functions.rows
        .map((r) => r.name)
        .filter((n) => !schemaFunctions.has(n))
        .sort(),
    ).toEqual([...defined(/CREATE (?:OR REPLACE )?FUNCTION\s+(\w+)/gi)].sort());
  });
});
