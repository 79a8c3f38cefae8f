import { loadConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ImportError, readRecords } from '../modules/sis/import.ts';

/**
 * The shape shared by `schoolgate <name> import FILE` commands: read a CSV or JSON file, run the
 * import, print its result or the rows it refused.
 */
export async function runImport(
  name: string,
  args: string[],
  importer: (ctx: AppContext, records: Record<string, unknown>[]) => Promise<object>,
): Promise<number> {
  const [sub, file] = args;
  if (sub !== 'import' || !file) {
    console.error(`Usage: schoolgate ${name} import FILE.csv|FILE.json`);
    return 2;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    console.log(JSON.stringify(await importer(ctx, readRecords(file))));
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
