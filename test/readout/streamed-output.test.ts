import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadout, type RunResult } from '../../src/readout/run.ts';
import { MessySource, type Quirk } from './messy-source.ts';
import { openWorld, type ReadoutWorld } from './support/setup.ts';

/**
 * The readout streams the source through a store on disk instead of holding it in the heap. Its
 * files must not change by a byte for that: this test compares every published file (SDS, OneRoster
 * bulk and delta) and the report's counts, delta summary and warnings of a full, a delta and a
 * no-change run against the messy source with digests recorded from the in-memory readout as it was
 * before the store (commit 0aa995b; `READOUT_WRITE_GOLDEN=1` records them again, from the code under
 * test, which is only right when the change is meant to alter the output).
 */
const GOLDEN = join(import.meta.dirname, 'golden', 'streamed-output.json');
const SCENARIOS: Record<string, Quirk[]> = {
  'well-behaved': [],
  'messy: duplicates across pages, duties on Skola, shared guardian e-mail, unknown title, zoneless': [
    'duplicatesAcrossPages',
    'dutiesOnSkola',
    'sharedGuardianEmail',
    'unknownStaffTitle',
    'zonelessTimestamps',
  ],
  'messy: subject instead of syllabus, missing endpoints, {"data": []} deletions, offset page tokens': [
    'subjectNotSyllabus',
    'missingEndpoints',
    'deletedEntitiesArray',
    'offsetPageTokens',
  ],
};

type Digest = Record<string, string>;
/** sha256 of every file of a published run directory but report.json / report.html (run ids, timings). */
function digest(dir: string): Digest {
  const out: Digest = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
      else if (!n.startsWith('report.')) out[`${rel}${n}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}
/** What of a report does not depend on timings or run ids. */
function reportGist(r: RunResult) {
  const x = r.report!;
  return { mode: x.mode, counts: x.counts, output: x.output, delta: x.delta, namedWarnings: x.namedWarnings, warnings: x.warnings, today: x.today };
}

const golden = (process.env.READOUT_WRITE_GOLDEN === '1' ? {} : JSON.parse(readFileSync(GOLDEN, 'utf8'))) as Record<string, unknown[]>;
const recorded: Record<string, unknown[]> = {};
afterAll(() => {
  if (process.env.READOUT_WRITE_GOLDEN === '1') writeFileSync(GOLDEN, JSON.stringify({ ...golden, ...recorded }, null, 1) + '\n');
});

describe.each(Object.entries(SCENARIOS))('streamed output equals the in-memory output: %s', (name, quirks) => {
  let w: ReadoutWorld;
  beforeAll(async () => {
    w = await openWorld({
      makeSource: (clock) => new MessySource(clock, quirks),
      customer: quirks.includes('subjectNotSyllabus') ? { mapping: { courseField: 'subject' } } : {},
    });
    w.clock.advance(3600_000);
  }, 180_000);
  afterAll(async () => {
    await w?.close();
  });

  it('full, delta and no-change runs publish the same bytes and report the same counts', async () => {
    const got: unknown[] = [];
    const run = async () => {
      const r = await runReadout(w.customer, w.deps);
      expect(r.error).toBeUndefined();
      got.push({ files: digest(r.outputPath!), report: reportGist(r) });
    };
    await run();
    w.clock.advance(20 * 60_000);
    w.source.remove('persons', 'ST6');
    w.source.update('groups', 'GR-7B', (g) => (g.displayName = '7B (Ny)'));
    for (const id of ['ST1', 'ST2', 'ST3']) w.source.update('persons', id, (p) => (p.givenName = `${String(p.givenName)} Ny`));
    w.clock.advance(24 * 3600_000);
    await run();
    w.clock.advance(24 * 3600_000);
    await run();
    recorded[name] = got;
    if (process.env.READOUT_WRITE_GOLDEN !== '1') expect(got).toEqual(golden[name]);
  }, 180_000);
});
