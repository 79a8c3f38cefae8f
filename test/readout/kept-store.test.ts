import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReadout, type RunResult } from '../../src/readout/run.ts';
import { openWorld, readCsv, storedBlob, type ReadoutWorld } from './support/setup.ts';

/** sha256 of every published file but report.json / report.html (run ids, timings). */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
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

/** The kept store's file, found on disk (not through the code's own path function). */
function keptFile(w: ReadoutWorld): string {
  const dir = join(w.outputDir, '.readout-store');
  const files = readdirSync(dir).filter((n) => n.endsWith('.sqlite'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

/** Overnight: a student leaves (with the guardian only they had), a student is renamed, a class renamed. */
function overnight(w: ReadoutWorld): void {
  w.clock.advance(20 * 60_000);
  w.source.remove('persons', 'ST6');
  w.source.update('persons', 'ST1', (p) => (p.givenName = 'Nyname'));
  w.source.update('groups', 'GR-7B', (g) => (g.displayName = '7B (Ny)'));
  w.clock.advance(24 * 3600_000);
}

async function run(w: ReadoutWorld, deps = w.deps): Promise<RunResult> {
  const r = await runReadout(w.customer, deps);
  return r;
}

const users = (w: ReadoutWorld) => readCsv(join(w.outputDir, 'current', 'oneroster', 'users.csv')).rows;

/**
 * A delta run starts from the source records and row digests kept from the last run instead of
 * decoding the whole stored state; it must publish exactly what decoding would, and it must not be
 * used when it does not match the stored state (removed, of another run, of a run that did not
 * finish, made with another configuration): those runs decode the state and say why.
 */
describe('the store kept between runs', () => {
  const worlds: ReadoutWorld[] = [];
  const world = async () => {
    const w = await openWorld();
    worlds.push(w);
    w.clock.advance(3600_000);
    return w;
  };
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close();
  });

  it('a delta run uses it and publishes the same bytes as a run that decodes the stored state', async () => {
    const kept = await world();
    const decoded = await world();
    for (const w of [kept, decoded]) {
      const r = await run(w);
      expect(r.error).toBeUndefined();
      expect(r.report!.keptStore).toBeUndefined(); // first run: nothing to keep from
      overnight(w);
    }
    rmSync(join(decoded.outputDir, '.readout-store'), { recursive: true });

    const a = await run(kept);
    const b = await run(decoded);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(a.report!.mode).toBe('incremental');
    expect(a.report!.keptStore).toEqual({ used: true });
    expect(b.report!.mode).toBe('incremental');
    expect(b.report!.keptStore).toEqual({ used: false, reason: expect.stringMatching(/^no kept store.*decoded from the stored state$/) });
    // ST6 and their only guardian left, ST1 renamed; 7B renamed.
    expect(a.report!.delta.people).toEqual({ added: 0, updated: 1, removed: 2 });
    expect(a.report!.delta.teams.renamed).toBe(1);
    expect(a.report!.delta).toEqual(b.report!.delta);
    expect(a.report!.counts).toEqual(b.report!.counts);
    expect(digest(a.outputPath!)).toEqual(digest(b.outputPath!));
    expect(users(kept).find((u) => u.sourcedId === 'ST1')!.givenName).toBe('Nyname');

    // The run that decoded the state left a kept store of its own: the next runs of both use theirs.
    kept.clock.advance(24 * 3600_000);
    decoded.clock.advance(24 * 3600_000);
    const c = await run(kept);
    const d = await run(decoded);
    expect(c.report!.keptStore).toEqual({ used: true });
    expect(d.report!.keptStore).toEqual({ used: true });
    expect(c.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(digest(c.outputPath!)).toEqual(digest(d.outputPath!));
  }, 120_000);

  it('a delta run appends its change log to the stored snapshot; decoding base and logs gives what the kept store holds', async () => {
    const w = await world();
    const stored = async () => (await storedBlob(w, 'source_snapshot')).length;
    const first = await run(w);
    expect(first.report!.snapshotStored).toMatchObject({ as: 'base' });
    const base = await stored();
    expect(base).toBe(first.report!.snapshotStored!.bytes);
    // A leaver (a deletion in the log), a renamed student and class.
    overnight(w);
    const second = await run(w);
    expect(second.report!.keptStore).toEqual({ used: true });
    expect(second.report!.snapshotStored).toMatchObject({ as: 'change log' });
    expect(await stored()).toBe(base + second.report!.snapshotStored!.bytes);
    // A newcomer, the renamed student renamed again, another leaver, the first leaver back (deleted, then set again: at the end, as in the kept store).
    w.clock.advance(20 * 60_000);
    w.source.put('persons', {
      id: 'ST-NEW',
      givenName: 'Ny',
      familyName: 'Elev',
      emails: [{ value: 'st-new@elev.exempel.se', type: 'Skola elev' }],
      enrolments: [{ enroledAt: { id: 'S-NORTH' }, schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }],
    });
    w.source.update('persons', 'ST1', (p) => (p.givenName = 'Andra'));
    w.source.remove('persons', 'ST5');
    w.source.put('persons', {
      id: 'ST6',
      givenName: 'Tillbaka',
      familyName: 'Elev',
      emails: [{ value: 'st6@elev.exempel.se', type: 'Skola elev' }],
      enrolments: [{ enroledAt: { id: 'S-NORTH' }, schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }],
    });
    w.clock.advance(24 * 3600_000);
    const third = await run(w);
    expect(third.report!.snapshotStored).toMatchObject({ as: 'change log' });

    // Without the kept store the next run decodes base and logs: it must publish what a full run of the source does.
    rmSync(join(w.outputDir, '.readout-store'), { recursive: true });
    w.clock.advance(24 * 3600_000);
    const decoded = await run(w);
    expect(decoded.error).toBeUndefined();
    expect(decoded.report!.mode).toBe('incremental');
    expect(decoded.report!.keptStore).toMatchObject({ used: false });
    expect(decoded.report!.snapshotStored).toMatchObject({ as: 'base' });
    const fresh = await runReadout({ ...w.customer, key: 'fresh', outputDir: mkdtempSync(join(tmpdir(), 'readout-fresh-')) }, w.deps);
    expect(fresh.report!.mode).toBe('full');
    const bulk = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).filter(([k]) => !k.startsWith('oneroster-delta/')));
    expect(bulk(digest(decoded.outputPath!))).toEqual(bulk(digest(fresh.outputPath!)));
    expect(users(w).map((u) => u.sourcedId)).toEqual(expect.arrayContaining(['ST-NEW', 'ST6']));
    expect(users(w).map((u) => u.sourcedId)).not.toContain('ST5');
    expect(users(w).find((u) => u.sourcedId === 'ST1')!.givenName).toBe('Andra');
  }, 120_000);

  it('a new base is stored once the change logs would outweigh the base', async () => {
    const w = await world();
    const stored = async () => (await storedBlob(w, 'source_snapshot')).length;
    const base = (await run(w)).report!.snapshotStored!.bytes;
    let logs = 0;
    for (let night = 1; night <= 60; night++) {
      w.clock.advance(24 * 3600_000);
      w.source.update('persons', 'ST1', (p) => (p.givenName = `Namn ${night}`));
      const r = await run(w);
      expect(r.error).toBeUndefined();
      if (r.report!.snapshotStored!.as === 'base') {
        // Not before the logs reached the base's size again, and the base replaced them.
        expect(base + logs + 200).toBeGreaterThan(2 * base);
        expect(await stored()).toBe(r.report!.snapshotStored!.bytes);
        return;
      }
      logs += r.report!.snapshotStored!.bytes;
      expect(await stored()).toBe(base + logs);
    }
    throw new Error('no new base after 60 change logs');
  }, 120_000);

  it('is not used when it belongs to an older run than the stored state', async () => {
    const w = await world();
    expect((await run(w)).error).toBeUndefined();
    const old = join(mkdtempSync(join(tmpdir(), 'kept-')), 'old.sqlite');
    copyFileSync(keptFile(w), old);
    overnight(w);
    const second = await run(w);
    expect(second.report!.keptStore).toEqual({ used: true });
    expect(second.report!.delta.people.removed).toBe(2);

    // The kept store of the first run comes back (a restored backup, a copied directory).
    copyFileSync(old, keptFile(w));
    w.clock.advance(24 * 3600_000);
    const third = await run(w);
    expect(third.error).toBeUndefined();
    expect(third.report!.keptStore).toEqual({ used: false, reason: expect.stringMatching(/^the kept store belongs to run .*, the stored state to run /) });
    // Nothing changed since the second run: ST6 stays gone (the old store still had them).
    expect(third.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(users(w).map((u) => u.sourcedId)).not.toContain('ST6');
  }, 120_000);

  it('is not used after a run that changed it and then failed; the next run still publishes the change', async () => {
    const w = await world();
    expect((await run(w)).error).toBeUndefined();
    overnight(w);
    // Fails after every file is written (the kept store's source records and row digests already replaced).
    const failed = await run(w, {
      ...w.deps,
      onPhase: (p) => {
        if (p === 'oneroster written') throw new Error('disk full');
      },
    });
    expect(failed).toMatchObject({ status: 'failed', error: 'disk full' });

    w.clock.advance(3600_000);
    const next = await run(w);
    expect(next.error).toBeUndefined();
    expect(next.report!.keptStore).toEqual({
      used: false,
      reason: expect.stringMatching(/^the run that last changed the kept store did not finish/),
    });
    expect(next.report!.delta.people).toEqual({ added: 0, updated: 1, removed: 2 });
    const delta = readCsv(join(w.outputDir, 'current', 'oneroster-delta', 'users.csv')).rows;
    expect(delta.map((u) => [u.sourcedId, u.status]).sort()).toEqual([
      ['G-ST6', 'tobedeleted'],
      ['ST1', 'active'],
      ['ST6', 'tobedeleted'],
    ]);
  }, 120_000);

  it('is not used with another configuration, nor when a full read is asked for', async () => {
    const w = await world();
    expect((await run(w)).error).toBeUndefined();
    w.clock.advance(3600_000);
    const full = await runReadout(w.customer, w.deps, { full: true });
    expect(full.report!.keptStore).toEqual({ used: false, reason: 'full read requested' });
    w.clock.advance(3600_000);
    const optedIn = await runReadout({ ...w.customer, exportAddress: true }, w.deps);
    expect(optedIn.error).toBeUndefined();
    expect(optedIn.report!.keptStore).toEqual({ used: false, reason: expect.stringMatching(/^the kept store was made .*with another configuration/) });
    expect(optedIn.report!.mode).toBe('full');
    expect(existsSync(keptFile(w))).toBe(true);
    w.clock.advance(3600_000);
    const again = await runReadout({ ...w.customer, exportAddress: true }, w.deps);
    expect(again.report!.keptStore).toEqual({ used: true });
    expect(again.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 0 });
  }, 120_000);
});
