import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { Database } from '../../../src/db/index.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { TestClock } from '../../../src/lib/clock.ts';
import { parseReadoutConfig, type CustomerConfig, type CustomerConfigInput } from '../../../src/readout/config.ts';
import type { ReadoutDeps, StateBlob } from '../../../src/readout/run.ts';
import { openTestDatabase } from '../../support/harness.ts';
import { FakeEduCloud, seedWorld, type FakeOptions } from './fake-educloud.ts';

/** 18:00 in Stockholm: when the nightly readout runs. */
export const START = '2026-11-22T17:00:00Z';

export interface ReadoutWorld {
  clock: TestClock;
  database: Database;
  source: FakeEduCloud;
  customer: CustomerConfig;
  deps: ReadoutDeps;
  outputDir: string;
  /** What the readout asked to wait between retries (the test's sleep does not wait). */
  sleeps: number[];
  close(): Promise<void>;
}

export interface WorldOptions {
  fake?: FakeOptions;
  /** Another source than the plain fake (the messy one); its own `seed` seeds it. */
  makeSource?: (clock: TestClock) => FakeEduCloud & { seed?: () => void };
  customer?: Partial<CustomerConfigInput>;
  /** Settings of `customer.source` over the test's. */
  sourceConfig?: Partial<CustomerConfigInput['source']>;
  seed?: boolean;
}

export async function openWorld(opts: WorldOptions = {}): Promise<ReadoutWorld> {
  const clock = new TestClock(new Date(START));
  const database = await openTestDatabase();
  await migrate(database);
  const source: FakeEduCloud & { seed?: () => void } = opts.makeSource?.(clock) ?? new FakeEduCloud(clock, opts.fake);
  await source.start();
  if (opts.seed !== false) {
    if (source.seed) source.seed();
    else seedWorld(source);
  }
  clock.advance(60_000);
  const outputDir = mkdtempSync(join(tmpdir(), 'readout-'));
  const customer = parseReadoutConfig({
    customers: [
      {
        key: 'exempel',
        source: {
          baseUrl: source.baseUrl,
          tokenUrl: source.tokenUrl,
          clientId: 'eventful',
          clientSecret: { env: 'EXEMPEL_SECRET' },
          tokenAuth: opts.fake?.tokenAuth ?? 'basic',
          arrayParams: 'brackets',
          pageSize: 4,
          retryBaseMs: 1,
          maxRetries: 3,
          timeoutMs: 5000,
          ...opts.sourceConfig,
        },
        outputDir,
        ...opts.customer,
      },
    ],
  }).customers[0]!;
  const sleeps: number[] = [];
  const deps: ReadoutDeps = {
    db: database.db,
    clock,
    env: { EXEMPEL_SECRET: 's3cret' },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return {
    clock,
    database,
    source,
    customer,
    deps,
    outputDir,
    sleeps,
    async close() {
      await source.stop();
      await database.close();
    },
  };
}

/** A blob of the customer's stored state (`readout_state`) as the database holds it, read apart from the readout's own code. */
export async function storedBlob(w: ReadoutWorld, column: StateBlob): Promise<Buffer> {
  const r = await sql<{ b: Buffer }>`select ${sql.ref(column)} as b from readout_state where customer_key = ${w.customer.key}`.execute(w.database.db);
  return Buffer.from(r.rows[0]!.b);
}

/** Parses one output file back with a real CSV parser: header and records. */
export function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  const text = readFileSync(path, 'utf8');
  const records = parse(text, { bom: true }) as string[][];
  const [header, ...body] = records;
  return { header: header!, rows: body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? '']))) };
}

export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}
