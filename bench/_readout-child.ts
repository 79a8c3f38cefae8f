/**
 * One readout run in its own process for `bench/readout.ts`, so that its RSS is the readout's alone.
 * Args: customers file, customer key. Prints one JSON line: the report's numbers and peak RSS.
 */
import { readFileSync } from 'node:fs';
import { openDatabase } from '../src/db/index.ts';
import { systemClock } from '../src/lib/clock.ts';
import { findCustomer, loadReadoutConfig } from '../src/readout/config.ts';
import { runReadout } from '../src/readout/run.ts';

const [file, key] = process.argv.slice(2);
// BENCH_READOUT_TRACE=1: RSS / heap / external every 250 ms and at each phase, on stderr.
const trace = process.env.BENCH_READOUT_TRACE === '1';
const t0 = performance.now();
const sample = (what: string) => {
  // With BENCH_NODE_FLAGS=--expose-gc, phase samples show the live heap rather than heap plus garbage.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc && what !== 'tick') gc();
  const m = process.memoryUsage();
  // Of the RSS: anonymous memory (heaps, malloc's arenas) and mapped files (Node's own code among them).
  const status = trace ? readFileSync('/proc/self/status', 'utf8') : '';
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  const mb = (v: number) => Math.round(v / 1048576);
  // CPU seconds too: on a busy machine wall time says little about the readout's own work.
  const cpu = process.cpuUsage();
  const cpuS = ((cpu.user + cpu.system) / 1e6).toFixed(1);
  process.stderr.write(
    `[trace] ${((performance.now() - t0) / 1000).toFixed(1)}s cpu=${cpuS}s ${what} rss=${mb(m.rss)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)} anon=${mb(kb('RssAnon'))} file=${mb(kb('RssFile'))}\n`,
  );
};
const timer = trace ? setInterval(() => sample('tick'), 250) : undefined;
timer?.unref();
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, poolSize: 2 });
try {
  const r = await runReadout(findCustomer(loadReadoutConfig(file!), key!), { db: database.db, clock: systemClock, onPhase: trace ? sample : undefined });
  const rep = r.report;
  console.log(
    JSON.stringify({
      status: r.status,
      error: r.error,
      mode: rep?.mode,
      keptStore: rep?.keptStore,
      peopleCarried: rep?.peopleCarried,
      evaluated: rep?.evaluated,
      durationMs: rep?.durationMs,
      fetchMs: rep?.fetchMs,
      processMs: rep?.processMs,
      requests: rep?.source.requests,
      pages: rep?.source.pages,
      records: rep?.source.records,
      output: rep?.output && { schools: rep.output.schools, people: rep.output.people, teams: rep.output.teams, memberships: rep.output.memberships },
      students: rep?.counts.students,
      delta: rep?.delta,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    }),
  );
} finally {
  await database.close();
}
