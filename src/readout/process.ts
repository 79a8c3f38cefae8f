import type { ProcessOptions } from '../cli/_process.ts';

/**
 * The readout's process: `schoolgate readout run` and `readout serve` start themselves again with
 * these (src/cli.ts), and `npm run bench -- readout` runs its readouts with them, so the memory it
 * reports is the memory the command uses. Issue 13 asks for a peak RSS under 400 MB at every size;
 * the readout keeps the world on disk (store.ts) and its live heap stays at ~20–90 MB, but with
 * Node's and glibc's defaults the process's RSS was several times that.
 *
 * - `--max-semi-space-size=4` (MB): the readout allocates fast (a page of records, a person's rows)
 *   and keeps little of it; V8 then grows the young generation to its default maximum, and the heap's
 *   committed size reached 170–210 MB over 50–150 MB used.
 * - `MALLOC_ARENA_MAX=2`: gzip on libuv's pool, SQLite and the HTTP client allocate outside the heap
 *   from several threads; glibc gives each thread an arena of its own and returns little of them.
 * - `MALLOC_MMAP_THRESHOLD_=262144`: buffers of 256 kB and more (a page of the source's answer, the
 *   row digests' megabyte blocks, the files' write buffers) get pages of their own, returned when
 *   freed. Left to itself glibc raises the threshold after such a buffer is freed, and later ones
 *   come from the arenas, where the holes they leave are rarely given back.
 *
 * Measured with a rig of `npm run bench -- readout`'s world and readout (full runs, peak RSS; the
 * machine shared with other work, which changes CPU and wall, not RSS): 60,000 students 442 MB with
 * Node's defaults, 374 with `MALLOC_ARENA_MAX=2`, 314 with the semi-space of 4 MB; 300,000 students
 * 534 MB with the defaults, 430 with both, 409 with the three (after the row digests stopped being
 * copied when sorted). The price is CPU: the same full run at 300,000 students 94 s both ways, but a
 * delta at 60,000 students 8.4–8.5 s against 7.3–8.1 with Node's defaults (an A/B of two runs each;
 * 7.0 s with a semi-space of 8 MB and 2 arenas, one run, at a full run's peak of 234 MB against 222).
 * The figures of the whole bench are in the README.
 */
export const READOUT_PROCESS: ProcessOptions = {
  nodeFlags: ['--max-semi-space-size=4'],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '262144' },
};
