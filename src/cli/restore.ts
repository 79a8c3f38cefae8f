import { loadConfig } from '../config.ts';
import { restoreDatabase } from '../modules/backup/backup.ts';

const USAGE = `Usage: schoolgate restore FILE [--force]

Replaces the database with a backup made by \`schoolgate backup\`: the embedded database in DATA_DIR,
or the PostgreSQL database of DATABASE_URL (pg_restore in one transaction). The file is checked
first (a truncated, damaged or foreign file is refused before anything changes).

  --force   replace a database that holds data (without it, only an empty target is restored into)

Refused while a server runs on DATA_DIR, or while other sessions are connected to the database.
Data, grants, consents, the audit log and client secrets come back as they were at the backup.
Every signed-in session ends (staff, end users, OpenID Connect sessions and refresh tokens): a
session ended after the backup must not come back to life. The audit log records the restore.`;

/** \`schoolgate restore FILE\`: see USAGE. */
export async function run(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const rest = args.filter((a) => a !== '--force');
  if (rest.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    console.error(USAGE);
    return 2;
  }
  const { header, sessionsEnded } = await restoreDatabase(loadConfig(), rest[0]!, { force });
  console.log(`Restored the backup of ${header.createdAt} (schema ${header.lastMigration}); ${sessionsEnded} session(s) ended, everyone signs in again.`);
  return 0;
}
