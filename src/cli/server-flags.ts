/**
 * Node options the server process runs with (`npm start`, and the test and benchmark harnesses that
 * spawn it). Keep `scripts.start` in package.json in step; a test checks that it is.
 *
 * `--max-semi-space-size=8` (MB): under sustained API load V8 grows the young generation to its
 * default maximum, and the server's RSS with it (~470 MiB at 64 connections on the bench world, with
 * ~100 MB of live heap). Capped at 8 MB the RSS stays ~360 MiB for a few percent of throughput. The
 * old generation is left uncapped on purpose: an ingestion batch may be large.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
