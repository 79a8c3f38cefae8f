import { importInstitutions } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate institutions import FILE` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> =>
  runImport(
    {
      name: 'institutions',
      help: `Creates or updates institutions by number. Columns: number (six digits), name, town, activeFromYear,
activeUntilYear (empty while active). A number twice in the file refuses the whole file, naming both
lines; nothing is written.`,
      importer: importInstitutions,
    },
    args,
  );
