import { importUsers } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate users import FILE` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> =>
  runImport(
    {
      name: 'users',
      help: `Creates or updates SIS users by sisUserId. Columns: sisUserId, email, displayName, language (en|nl|fr|sv),
userManagementAccess (true|false), password (optional: an initial password, at least 10 characters;
stored as an argon2id hash and never printed). A sisUserId or e-mail address twice in the file, or an
address of another account, refuses the whole file; nothing is written.`,
      importer: importUsers,
    },
    args,
  );
