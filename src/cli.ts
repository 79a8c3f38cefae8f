/**
 * The `schoolgate` command line. `schoolgate <command> [args]` runs `src/cli/<command>.ts`'s
 * `run(args)`; a command is added by adding a file there. A command whose process needs options from
 * its start (`processOptions(args)`, e.g. the readout's heap sizes) is run again in a child process
 * started with them (src/cli/_process.ts), unless this process already has them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasProcessOptions, rerunWith, type ProcessOptions } from './cli/_process.ts';

const dir = join(import.meta.dirname, 'cli');
const commands = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name = 'help', ...args] = process.argv.slice(2);
if (name === 'help' || name === '--help' || !commands.includes(name)) {
  if (name !== 'help' && name !== '--help') console.error(`Unknown command: ${name}\n`);
  console.log(`Usage: schoolgate <command> [options]\n\nCommands:\n${commands.map((c) => `  ${c}`).join('\n')}`);
  process.exit(name === 'help' || name === '--help' ? 0 : 2);
}
const command = (await import(`./cli/${name}.ts`)) as {
  run(args: string[]): Promise<number | void>;
  processOptions?(args: string[]): ProcessOptions | undefined;
};
const options = hasProcessOptions() ? undefined : command.processOptions?.(args);
try {
  const code = options ? await rerunWith(options) : await command.run(args);
  if (typeof code === 'number') process.exitCode = code;
} catch (error) {
  // One line an operator can act on, not a stack trace (SCHOOLGATE_DEBUG=1 prints it).
  const message = error instanceof Error ? error.message : String(error);
  console.error(`schoolgate ${name}: ${message}`);
  if (process.env.SCHOOLGATE_DEBUG) console.error(error);
  process.exitCode = 1;
}
