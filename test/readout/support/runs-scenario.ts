import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../../src/db/schema.ts';
import type { TestClock } from '../../../src/lib/clock.ts';
import { parseReadoutConfig } from '../../../src/readout/config.ts';
import { runReadout, type ReadoutDeps } from '../../../src/readout/run.ts';
import { MessySource } from '../messy-source.ts';

/** A report.json as the readout wrote it, read back from the published directory (not from the run's result). */
export interface ReportFile {
  runId: string;
  mode: string;
  fallbackReason?: string;
  startedAt: string;
  finishedAt: string;
  today: string;
  durationMs: number;
  fetchMs: number;
  processMs: number;
  counts: Record<string, { kept: number; excluded: Record<string, number> }>;
  output: { schools: number; people: number; teams: number; memberships: number; files: Record<string, number> };
  delta: {
    firstRun: boolean;
    people: Record<string, number>;
    schools: Record<string, number>;
    teams: Record<string, number>;
    memberships: Record<string, number>;
  };
  namedWarnings: { code: string; count: number; message: string; affects: string[]; examples: string[] }[];
  warnings: string[];
}

export interface RunsScenario {
  /** The report files of the succeeded runs, oldest first: a full first run, a delta run with changes, a run with no change. */
  reports: ReportFile[];
  /** The id of the run that failed last (the source had stopped). */
  failedRunId: string;
  /** The failed run of a second customer whose source never answered. */
  otherFailedRunId: string;
}

/**
 * Real readout runs into the server's own database, as `readout run` beside the server makes them:
 * customer `exempel` against the messy source with two habits that the report names (missing
 * endpoints, guardians sharing an e-mail address) — a first full run, a delta run a day later after
 * changes (5 pupils renamed, 1 pupil removed, a class renamed), a run with no change, then a run
 * that fails because the source is gone; and customer `annan`, whose one run fails.
 */
export async function runScenario(db: Kysely<DB>, clock: TestClock): Promise<RunsScenario> {
  const source = new MessySource(clock, ['missingEndpoints', 'sharedGuardianEmail']);
  await source.start();
  source.seed();
  clock.advance(3600_000);
  const config = parseReadoutConfig({
    customers: [
      {
        key: 'exempel',
        source: {
          baseUrl: source.baseUrl,
          tokenUrl: source.tokenUrl,
          clientId: 'eventful',
          clientSecret: 's3cret',
          tokenAuth: 'basic',
          arrayParams: 'brackets',
          pageSize: 4,
          retryBaseMs: 1,
          maxRetries: 1,
          timeoutMs: 5000,
        },
        outputDir: mkdtempSync(join(tmpdir(), 'readout-runs-')),
      },
      {
        key: 'annan',
        source: { baseUrl: 'http://127.0.0.1:9/source/v2.0', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'x', clientSecret: 'y', maxRetries: 0 },
        outputDir: mkdtempSync(join(tmpdir(), 'readout-runs-')),
      },
    ],
  });
  const [exempel, annan] = config.customers as [(typeof config.customers)[0], (typeof config.customers)[0]];
  const deps: ReadoutDeps = { db, clock, sleep: async () => {} };
  const reports: ReportFile[] = [];
  const run = async () => {
    const r = await runReadout(exempel, deps);
    if (r.status !== 'succeeded') throw new Error(`the scenario's run failed: ${r.error}`);
    // Read now: the readout keeps only the last few run directories.
    reports.push(JSON.parse(readFileSync(join(r.outputPath!, 'report.json'), 'utf8')) as ReportFile);
  };
  try {
    await run();
    clock.advance(20 * 60_000);
    source.remove('persons', 'ST6');
    source.update('groups', 'GR-7B', (g) => (g.displayName = '7B (Ny)'));
    for (const id of ['ST1', 'ST2', 'ST3', 'ST4', 'ST5']) source.update('persons', id, (p) => (p.givenName = `${String(p.givenName)} Ny`));
    clock.advance(24 * 3600_000);
    await run();
    clock.advance(24 * 3600_000);
    await run();
  } finally {
    await source.stop();
  }
  clock.advance(24 * 3600_000);
  const failed = await runReadout(exempel, deps);
  if (failed.status !== 'failed') throw new Error('the run without a source should fail');
  clock.advance(60_000);
  const other = await runReadout(annan, deps);
  if (other.status !== 'failed') throw new Error('the run without a source should fail');
  return { reports, failedRunId: failed.runId, otherFailedRunId: other.runId };
}
