import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.ts';
import { liveSqlFiles, migrateWithReport, migrationFiles } from '../../src/db/migrate.ts';
import { createFreshDatabase } from './server-process.ts';

/**
 * Several processes behind a load balancer start at once on an empty database and all migrate: exactly
 * one applies each migration and each live SQL file, none fails (a crash here kept a server from
 * starting in CI).
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

describe('migrations run by several processes at once', () => {
  it('applies every migration and live SQL file exactly once and none of the racers fails', async () => {
    for (let round = 0; round < 3; round++) {
      const fresh = await createFreshDatabase(adminUrl, `sg_migrate_race_${process.pid}_${round}`);
      const racers = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ databaseUrl: fresh.url, poolSize: 2 })));
      try {
        const results = await Promise.allSettled(racers.map((d) => migrateWithReport(d)));
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.migrations : []));
        expect(applied.sort()).toEqual(migrationFiles());
        const live = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.live : []));
        expect(live.sort()).toEqual(liveSqlFiles());
        const rows = await racers[0]!.db
          .selectFrom('schema_migrations' as never)
          .select('name' as never)
          .execute();
        expect(rows).toHaveLength(migrationFiles().length);
      } finally {
        await Promise.all(racers.map((d) => d.close()));
        await fresh.drop();
      }
    }
  });
});
