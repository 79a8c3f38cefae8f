/**
 * A preload that records a process's garbage collections and memory, for laying beside a bench's
 * paced trace (BENCH_PACED_TRACE): Node refuses `--trace-gc` in NODE_OPTIONS, and the bench passes
 * the server's options that way. Use:
 *
 *   GC_WATCH_FILE=/tmp/gc.txt BENCH_SERVER_NODE_OPTIONS="--import $PWD/bench/gc-watch.mjs" \
 *     BENCH_PACED_TRACE=/tmp/paced.txt BENCH_API_CASES=persons npm run bench -- api
 *
 * Lines (times in epoch ms, like the paced trace): `<at> <major|minor|incremental|weak> <pause ms>
 * heap=<MiB used>` per collection; every 2 s `<at> mem rss=… heapTotal=… heapUsed=… external=…
 * arrayBuffers=…` (MiB); every 5 s `<at> v8 physical=… total=… <space>=<physical>/<size> …` (MiB).
 * Written every half second, so a process stopped with SIGKILL loses at most that much.
 */
import { appendFileSync } from 'node:fs';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import process from 'node:process';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';

const file = process.env.GC_WATCH_FILE ?? '/tmp/gc-watch.txt';
const MiB = (n) => Math.round(n / 1048576);
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
let lines = [];

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const at = Math.round(performance.timeOrigin + e.startTime);
    lines.push(`${at} ${kinds[e.detail?.kind] ?? e.detail?.kind} ${e.duration.toFixed(2)} heap=${MiB(process.memoryUsage().heapUsed)}`);
  }
}).observe({ entryTypes: ['gc'] });

setInterval(() => {
  const m = process.memoryUsage();
  lines.push(
    `${Date.now()} mem rss=${MiB(m.rss)} heapTotal=${MiB(m.heapTotal)} heapUsed=${MiB(m.heapUsed)} external=${MiB(m.external)} arrayBuffers=${MiB(m.arrayBuffers)}`,
  );
}, 2000).unref();

setInterval(() => {
  const h = v8.getHeapStatistics();
  const spaces = v8
    .getHeapSpaceStatistics()
    .map((s) => `${s.space_name.replace(/_space$/, '')}=${MiB(s.physical_space_size)}/${MiB(s.space_size)}`)
    .join(' ');
  lines.push(`${Date.now()} v8 physical=${MiB(h.total_physical_size)} total=${MiB(h.total_heap_size)} ${spaces}`);
}, 5000).unref();

setInterval(() => {
  if (!lines.length) return;
  appendFileSync(file, lines.join('\n') + '\n');
  lines = [];
}, 500).unref();
