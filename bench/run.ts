/**
 * Benchmarks: `npm run bench -- <name>`. Each is a file `bench/<name>.ts` exporting `run(args)`.
 *   tokens   client-credentials tokens per second on PostgreSQL, next to GET /healthz
 *   startup  time from spawn to the first /healthz answer and RSS after start (PGlite and PostgreSQL)
 */
const benches = ['tokens', 'startup'];
const [name, ...args] = process.argv.slice(2);
if (!name || !benches.includes(name)) {
  console.error(`Usage: npm run bench -- <${benches.join('|')}>`);
  process.exit(name ? 2 : 0);
}
const bench = (await import(`./${name}.ts`)) as { run(args: string[]): Promise<void> };
await bench.run(args);
