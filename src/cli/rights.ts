import { importRights } from '../modules/sis/import.ts';
import { runImport } from './_import.ts';

/** `schoolgate rights import FILE` (CSV with a header row, or a JSON array). */
export const run = (args: string[]): Promise<number> => runImport('rights', args, importRights);
