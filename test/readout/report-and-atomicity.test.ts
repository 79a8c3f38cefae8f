import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadout, type ReadoutReport } from '../../src/readout/run.ts';
import { openWorld, type ReadoutWorld } from './support/setup.ts';

/** sha256 of every file under `dir`, by relative path. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
      else out[`${rel}${n}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/**
 * A run that fails at any point after it started writing leaves what readers see exactly as it was:
 * `current` still names the last complete set, whose files are unchanged byte for byte, and no
 * half-written directory (the staging set, the run's store of source records) is left behind. The
 * next run still diffs against the last published run.
 */
describe('readout output on failure', () => {
  let w: ReadoutWorld;
  let published: Record<string, string>;
  let link: string;

  beforeAll(async () => {
    w = await openWorld();
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    link = readlinkSync(join(w.outputDir, 'current'));
    published = digest(join(w.outputDir, 'current'));
  }, 180_000);
  afterAll(async () => {
    await w?.close();
  });

  // Every phase the run reports, from the read to the last file written.
  it.each(['state loaded', 'fetched', 'snapshot encoded', 'rules applied', 'sds written', 'previous rows decoded', 'oneroster written'])(
    'a failure after "%s" publishes nothing and leaves no partial files',
    async (phase) => {
      w.clock.advance(3600_000);
      const seen: string[] = [];
      const r = await runReadout(
        w.customer,
        {
          ...w.deps,
          onPhase: (p) => {
            seen.push(p);
            if (p === phase) throw new Error(`disk full after ${p}`);
          },
        },
        { full: true },
      );
      expect(seen.at(-1)).toBe(phase);
      expect(r).toMatchObject({ status: 'failed', error: `disk full after ${phase}` });
      expect(readlinkSync(join(w.outputDir, 'current'))).toBe(link);
      expect(digest(join(w.outputDir, 'current'))).toEqual(published);
      expect(readdirSync(join(w.outputDir, 'runs')).filter((n) => n.startsWith('.'))).toEqual([]);
      const row = await w.database.db.selectFrom('readout_runs').select(['status', 'error']).where('id', '=', r.runId).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'failed', error: `disk full after ${phase}` });
    },
  );

  it('the next run after the failures still compares with the last published set', async () => {
    w.clock.advance(3600_000);
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    expect(r.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(readlinkSync(join(w.outputDir, 'current'))).not.toBe(link);
  });
});

/**
 * report.html: one page a person reads, self-contained (nothing loaded from elsewhere, no script), with
 * the run's counts per rule, the change since the last run, the kept counts over the runs, the files
 * and the named warnings — and everything from the source escaped.
 */
describe('readout HTML report', () => {
  let w: ReadoutWorld;
  const reports: ReadoutReport[] = [];
  const html = () => readFileSync(join(w.outputDir, 'current', 'report.html'), 'utf8');
  const HOSTILE_TITLE = '<script>alert(1)</script>';
  const HOSTILE_STATUS = '"><img src=x onerror=alert(2)>';

  beforeAll(async () => {
    w = await openWorld();
    // Source text that reaches the report: a staff title no table knows (named warning message) and a
    // person status outside the spec's list (unknown values, changed before the second, incremental run).
    w.source.update('duties', 'D-T2', (d) => (d.dutyRole = HOSTILE_TITLE));
    for (let i = 0; i < 2; i++) {
      w.clock.advance(24 * 3600_000);
      if (i) {
        w.source.remove('persons', 'ST6');
        w.source.update('persons', 'ST1', (p) => (p.personStatus = HOSTILE_STATUS));
      }
      const r = await runReadout(w.customer, w.deps);
      expect(r.error).toBeUndefined();
      reports.push(r.report!);
    }
  }, 180_000);
  afterAll(async () => {
    await w?.close();
  });

  it('is written beside report.json and loads nothing from elsewhere', () => {
    const page = html();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // No element that could fetch or run anything; no reference to another resource.
    expect(page).not.toMatch(/<(script|img|link|iframe|object|embed|image|use|a)\b/i);
    const tags = page.match(/<[^>]*>/g)!;
    expect(tags.filter((t) => /\s(src|href|xlink:href|on[a-z]+)\s*=/i.test(t))).toEqual([]);
    expect(page.slice(page.indexOf('<style>'), page.indexOf('</style>'))).not.toMatch(/url\(|@import/i);
  });

  it('escapes what came from the source', () => {
    const page = html();
    expect(page).toContain('staff title &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not in the staff-role table');
    expect(page).toContain('Person.personStatus=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).not.toContain(HOSTILE_TITLE);
    expect(page).not.toContain(HOSTILE_STATUS);
  });

  it("has the run's counts per rule, the change since the last run, the files and the warnings by name", () => {
    const page = html();
    const r = reports[1]!;
    const text = page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain(`students ${r.counts.students.kept.toLocaleString('en-US')}`);
    for (const [rule, n] of Object.entries(r.counts.students.excluded)) expect(text).toContain(`${rule} ${n}`);
    expect(r.delta.people.removed).toBeGreaterThan(0);
    expect(text).toContain(`people ${r.delta.people.added} ${r.delta.people.updated} ${r.delta.people.removed}`);
    for (const [file, rows] of Object.entries(r.output.files)) expect(text).toContain(`${file} ${rows.toLocaleString('en-US')}`);
    for (const warning of r.namedWarnings) expect(text).toContain(`${warning.code} ${warning.count}`);
    expect(text).toContain('mapping.unknown_staff_title');
  });

  it('charts the kept counts of both runs, oldest first', () => {
    const page = html();
    const [a, b] = reports;
    expect(page).toMatch(/<svg role="img" aria-label="kept counts over the last 2 runs"/);
    expect(page).toContain(`<title>students: ${a!.counts.students.kept} → ${b!.counts.students.kept}</title>`);
    expect(page).toContain(`<title>guardians: ${a!.counts.guardians.kept} → ${b!.counts.guardians.kept}</title>`);
  });
});
