import { importRights, RIGHTS_IMPORT_MODES, type RightsImportMode } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate rights import FILE [--mode replace|merge]` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> =>
  runImport<{ mode: RightsImportMode }>(
    {
      name: 'rights',
      help: `Imports admin rights. Columns: sisUserId, moduleRight (iBasis|iLeerlingen|iPersoneel|iInternen|
invoicing_admin), institutionNumber (every right but invoicing_admin), accessGroupId (invoicing_admin
only), schoolYear.

  --mode replace  (default) for every user and school year in the file, that user's rights of that
                  school year become exactly the file's: a right not in the file is removed.
  --mode merge    the file's rights are added; none is removed.

Users and school years the file does not name are left as they are. The result says how many
rights were removed.`,
      flags: { mode: RIGHTS_IMPORT_MODES },
      importer: importRights,
    },
    args,
  );
