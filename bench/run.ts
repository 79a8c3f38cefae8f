/**
 * Benchmarks: `npm run bench -- <name>`. Each is a file `bench/<name>.ts` exporting `run(args)`;
 * a benchmark is added by adding a file (as with CLI commands). Among them:
 *   tokens   client-credentials tokens per second on PostgreSQL, next to GET /healthz
 *   startup  time from spawn to the first /healthz answer and RSS after start (PGlite and PostgreSQL)
 */
import { readdirSync } from 'node:fs';

const benches = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !benches.includes(name)) {
  console.error(`Usage: npm run bench -- <${benches.join('|')}>`);
  process.exit(name ? 2 : 0);
}
const bench = (await import(`./${name}.ts`)) as { run(args: string[]): Promise<void> };
await bench.run(args);
