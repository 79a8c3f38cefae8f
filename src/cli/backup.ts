import { loadConfig } from '../config.ts';
import { backupDatabase } from '../modules/backup/backup.ts';

const USAGE = `Usage: schoolgate backup FILE [--force]

Writes the whole database to FILE: the embedded database in DATA_DIR (a copy of its data
directory; refused while a server runs on it — stop it first), or the PostgreSQL database of
DATABASE_URL (pg_dump, custom format; needs PostgreSQL's client tools). Refuses to overwrite an
existing FILE unless --force. Restore with \`schoolgate restore FILE\`.`;

/** \`schoolgate backup FILE\`: see USAGE. */
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
  const header = await backupDatabase(loadConfig(), rest[0]!, { force });
  const mib = (header.bytes / 1024 / 1024).toFixed(1);
  console.log(
    `Backed up the ${header.kind === 'pglite' ? 'embedded database' : 'PostgreSQL database'} (schema ${header.lastMigration}) to ${rest[0]} (${mib} MiB).`,
  );
  return 0;
}
