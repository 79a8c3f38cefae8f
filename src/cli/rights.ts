import { loadConfig } from '../config.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ImportError, importRights, readRecords } from '../modules/sis/import.ts';

/** `schoolgate rights import FILE` (CSV with a header row, or a JSON array). */
export async function run(args: string[]): Promise<number> {
  const [sub, file] = args;
  if (sub !== 'import' || !file) {
    console.error('Usage: schoolgate rights import FILE.csv|FILE.json');
    return 2;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    const result = await importRights(ctx, readRecords(file));
    console.log(JSON.stringify(result));
    return 0;
  } catch (error) {
    if (error instanceof ImportError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await closeContext(ctx);
  }
}
