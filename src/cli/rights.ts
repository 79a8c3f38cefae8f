import { importRights, RIGHTS_IMPORT_MODES, type RightsImportMode } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate rights import FILE [--mode replace|merge]` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> =>
  runImport<{ mode: RightsImportMode }>(
    {
      name: 'rights',
      help: `Imports admin rights. Columns: sisUserId, moduleRight, institutionNumber, accessGroupId,
schoolYear. moduleRight is a right the API catalog names (CATALOG_FILE: its APIs' requiredRights,
e.g. Informat's iBasis, iLeerlingen, iPersoneel, iInternen, invoicing_admin); give institutionNumber
for a right of an API granted per institution, accessGroupId for one granted per access group. A
right the catalog does not name is refused with the row and the catalog's rights.

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
