import { importUsers } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate users import FILE` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> => runImport('users', args, importUsers);
