/**
 * Node options the server process runs with (`npm start`, and the test and benchmark harnesses that
 * spawn it). Keep `scripts.start` in package.json in step; a test checks that it is.
 *
 * `--max-semi-space-size=16` (MB): under sustained API load V8 grows the young generation to its
 * default maximum, and the server's RSS with it (~470 MiB at 64 connections on the bench world, with
 * ~100 MB of live heap). Capped at 8 MB (until issue 17) the RSS stayed ~360 MiB, but a page of a
 * hundred lessons keeps ~100 kB of row text alive across its statement and the access log's commit,
 * and at 64 connections a young generation that small promoted much of it: scavenges and the
 * concurrent marking of what they promoted took 12 % of the server's wall time in a CPU profile of a
 * school's week of /calendarEvents (4.6 % at 16 MB). Measured with scratch rigs beside the bench's
 * baseline, same runs: throughput against the baseline 0.51–0.58 at 8 MB, 0.65–0.70 at 16 and 32 MB;
 * the server's RSS peak 260–285 MiB on that load at 16 MB. 16 rather than 32: the same gain in those
 * runs for half the young generation's worst case.
 *
 * `--heap-growing-percent=100`: after each full collection V8 lets the old generation grow to twice
 * what survived it before collecting again (its own factor varies up to four, and under load the
 * heap reached 200–260 MB between full collections over ~100 MB live). Measured with
 * `npm run bench -- api` at 1×, run for run beside the default (same day, machine shared with other
 * work): server RSS peak 283 and 319 MiB against 377, 414 and 422 MiB; Node CPU per `/persons`
 * request 1.41–1.70 ms against 1.35–1.58, per `/groups` 1.79–1.80 against 1.82–1.97 (within the
 * machine's noise). At 50 % the RSS was ~230 MiB but Node's CPU per request rose by a third.
 * A cap on growth, not on size: a large ingestion batch still gets the heap it needs.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--heap-growing-percent=100'];
