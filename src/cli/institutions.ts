import { importInstitutions } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate institutions import FILE` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> => runImport('institutions', args, importInstitutions);
