/**
 * The `schoolgate` command line. `schoolgate <command> [args]` runs `src/cli/<command>.ts`'s
 * `run(args)`; a command is added by adding a file there.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

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
const command = (await import(`./cli/${name}.ts`)) as { run(args: string[]): Promise<number | void> };
try {
  const code = await command.run(args);
  if (typeof code === 'number') process.exitCode = code;
} catch (error) {
  // One line an operator can act on, not a stack trace (SCHOOLGATE_DEBUG=1 prints it).
  const message = error instanceof Error ? error.message : String(error);
  console.error(`schoolgate ${name}: ${message}`);
  if (process.env.SCHOOLGATE_DEBUG) console.error(error);
  process.exitCode = 1;
}
