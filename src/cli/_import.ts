import { loadConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ImportError, readImportFile, type ImportOptions } from '../modules/sis/import.ts';

/** One `schoolgate <name> import FILE` command: its help and its importer. */
export interface ImportCommand<F extends Record<string, string>> {
  name: string;
  /** What the file holds and how it is applied, for `--help`. */
  help: string;
  /** `--flag value` options the command takes, with their allowed values; the first is the default. */
  flags?: { [K in keyof F]: readonly F[K][] };
  importer: (ctx: AppContext, records: Record<string, unknown>[], options: ImportOptions & Partial<F>) => Promise<object>;
}

/**
 * The shape shared by `schoolgate <name> import FILE` commands: read a CSV or JSON file, run the
 * import, print its result, or one line per refused row (the file is refused whole). The file is read
 * and checked before the database is opened, so a bad file never waits for a migration.
 */
export async function runImport<F extends Record<string, string>>(command: ImportCommand<F>, args: string[]): Promise<number> {
  const flagNames = Object.keys(command.flags ?? {});
  const usage = `Usage: schoolgate ${command.name} import FILE.csv|FILE.json${flagNames.map((f) => ` [--${f} ${command.flags![f]!.join('|')}]`).join('')}\n\n${command.help}`;
  if (args.includes('--help')) {
    console.log(usage);
    return 0;
  }
  const [sub, ...rest] = args;
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? rest[++i];
    const allowed = command.flags?.[flag] as readonly string[] | undefined;
    if (!allowed) {
      console.error(`schoolgate ${command.name} import: unknown option --${flag}\n\n${usage}`);
      return 2;
    }
    if (value === undefined || !allowed.includes(value)) {
      console.error(`schoolgate ${command.name} import: --${flag} takes ${allowed.join(' or ')}`);
      return 2;
    }
    options[flag] = value;
  }
  if (sub !== 'import' || positional.length !== 1) {
    console.error(usage);
    return 2;
  }
  const file = positional[0]!;
  let source;
  try {
    source = readImportFile(file);
  } catch (error) {
    if (error instanceof ImportError) {
      console.error(`schoolgate ${command.name} import: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    console.log(JSON.stringify(await command.importer(ctx, source.records, { ...(options as Partial<F>), locate: source.locate })));
    return 0;
  } catch (error) {
    if (error instanceof ImportError) {
      // The file is refused whole: nothing was written.
      console.error(`schoolgate ${command.name} import: ${file}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await closeContext(ctx);
  }
}
