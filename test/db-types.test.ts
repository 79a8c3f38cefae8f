/**
 * src/db/generated.ts is what `npm run db:types` makes of the migrated schema: a migration added
 * without regenerating it fails here (and a hand-tuned column the schema lost fails the type check,
 * see src/db/schema.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { migrate } from '../src/db/migrate.ts';
import { GENERATED_FILE, generateDbTypes } from '../scripts/db-types.ts';
import { openTestDatabase } from './support/harness.ts';

describe('generated database types', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
    await migrate(database);
  }, 180_000);
  afterAll(async () => database?.close());

  it('src/db/generated.ts matches the migrated schema (run `npm run db:types` after adding a migration)', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8'), 'src/db/generated.ts is stale: run `npm run db:types`').toBe(await generateDbTypes(database));
  });
});
