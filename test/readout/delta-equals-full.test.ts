import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReadout } from '../../src/readout/run.ts';
import { openWorld, readCsv, type ReadoutWorld } from './support/setup.ts';
import { validateOneRoster, validateSds } from './support/validate.ts';

/**
 * Issue 13 point 5: a delta run may only ever re-evaluate what the change touches, but what it
 * publishes must be exactly what a full run on the same source on the same day publishes. This is the
 * oracle for that: full run → source changes and days pass (records whose verdict turns with the
 * date, not with the source) → delta run, compared file by file with a fresh full run of another
 * customer on the final source at the same clock. The bulk files must be the same bytes; the delta
 * files must take the previous bulk set to the new one (the validator's own check).
 */

/** sha256 of every file of a published set but the reports (run ids, timings) and the delta sets (they differ by design). */
function bulkDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) {
        if (n !== 'oneroster-delta') walk(p, `${rel}${n}/`);
      } else if (!n.startsWith('report.')) out[`${rel}${n}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

const ref = (id: string) => ({ id });

/**
 * The OneRoster delta set of a run is exactly the change from the previous bulk set to this one: its
 * active rows the rows added or changed, its tobedeleted rows those gone — no more (a row wrongly
 * counted as changed, as a wrong digest of an unchanged row would make it, is as much a defect as one
 * missed). Compared per file by sourcedId, the rows' content without status and dateLastModified.
 */
function expectExactDelta(previousRun: string, run: string): void {
  const content = (r: Record<string, string>) => JSON.stringify({ ...r, status: '', dateLastModified: '' });
  for (const f of ['users.csv', 'roles.csv', 'enrollments.csv', 'classes.csv', 'orgs.csv', 'courses.csv']) {
    const rows = (dir: string) => new Map(readCsv(join(dir, f)).rows.map((r) => [r.sourcedId!, content(r)]));
    const before = rows(join(previousRun, 'oneroster'));
    const after = rows(join(run, 'oneroster'));
    const want: string[] = [];
    for (const [id, c] of after) if (before.get(id) !== c) want.push(`active ${id}`);
    for (const id of before.keys()) if (!after.has(id)) want.push(`tobedeleted ${id}`);
    const deltaFile = join(run, 'oneroster-delta', f);
    const got = readdirSync(join(run, 'oneroster-delta')).includes(f) ? readCsv(deltaFile).rows.map((r) => `${r.status} ${r.sourcedId}`) : [];
    expect(got.sort(), f).toEqual(want.sort());
  }
}

/**
 * Records whose verdict turns between 2026-11-22 and 2026-12-15 with the default 14 days of
 * tolerance, their source untouched: an enrolment that ends, a duty that starts, a membership that
 * ends, an activity (and so a teacher's team) that ends.
 */
function seedDated(w: ReadoutWorld): void {
  const src = w.source;
  src.put('persons', {
    id: 'ST-ENDING',
    givenName: 'Slutar',
    familyName: 'Snart',
    emails: [{ value: 'st-ending@elev.exempel.se', type: 'Skola elev' }],
    enrolments: [{ enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15', endDate: '2026-11-30' }],
    responsibles: [{ person: ref('G-ST-ENDING'), relationType: 'Vårdnadshavare' }],
  });
  src.put('persons', { id: 'G-ST-ENDING', givenName: 'Förälder', familyName: 'Snart', emails: [{ value: 'g-st-ending@example.se', type: 'Privat' }] });
  src.put('persons', { id: 'T-NEW', givenName: 'Ny', familyName: 'Lärare', emails: [{ value: 't-new@personal.exempel.se', type: 'Skola personal' }] });
  src.put('duties', { id: 'D-T-NEW', person: ref('T-NEW'), dutyAt: ref('S-NORTH'), dutyRole: 'Lärare', startDate: '2026-12-10' });
  src.put('groups', {
    id: 'GR-DATED',
    displayName: 'Tidsbegränsad',
    groupType: 'Undervisning',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: [{ person: ref('ST2'), startDate: '2026-08-15', endDate: '2026-11-28' }, { person: ref('ST3') }, { person: ref('ST-ENDING') }],
  });
  src.put('activities', {
    id: 'A-DATED',
    displayName: 'A-DATED',
    calendarEventsRequired: false,
    startDate: '2026-08-15',
    endDate: '2026-11-29',
    organisation: ref('S-NORTH'),
    groups: [ref('GR-DATED')],
    syllabus: ref('SYL-MA'),
    teachers: [{ duty: ref('D-T1') }],
  });
  src.put('activities', {
    id: 'A-DATED-2',
    displayName: 'A-DATED-2',
    calendarEventsRequired: false,
    startDate: '2026-12-01',
    organisation: ref('S-NORTH'),
    groups: [ref('GR-DATED')],
    syllabus: ref('SYL-SV'),
    teachers: [{ duty: ref('D-T-NEW') }],
  });
}

/** A full run of another customer on the same source and clock (and `customer`'s settings): what a delta run must equal. */
let freshRuns = 0;
async function freshRun(w: ReadoutWorld, customer = w.customer) {
  const fresh = await runReadout({ ...customer, key: `fresh-${++freshRuns}`, outputDir: mkdtempSync(join(tmpdir(), 'readout-fresh-')) }, w.deps);
  expect(fresh.error).toBeUndefined();
  expect(fresh.report!.mode).toBe('full');
  return fresh;
}

describe('a delta run publishes what a full run would', () => {
  const worlds: ReadoutWorld[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close();
  });

  it('after source changes and days passing: the same bulk files, and a delta that takes the old set to the new', async () => {
    const w = await openWorld();
    worlds.push(w);
    seedDated(w);
    w.clock.advance(3600_000);
    const first = await runReadout(w.customer, w.deps);
    expect(first.error).toBeUndefined();
    expect(first.report!.today).toBe('2026-11-22');
    const before = readCsv(join(first.outputPath!, 'oneroster', 'users.csv')).rows.map((u) => u.sourcedId);
    expect(before).toContain('ST-ENDING');
    expect(before).not.toContain('T-NEW');

    // Changes in the source: a rename, a leaver, a newcomer, a renamed class, a membership added.
    w.clock.advance(20 * 60_000);
    w.source.update('persons', 'ST1', (p) => (p.givenName = 'Nyname'));
    w.source.remove('persons', 'ST6');
    w.source.put('persons', {
      id: 'ST-NEW',
      givenName: 'Ny',
      familyName: 'Elev',
      emails: [{ value: 'st-new@elev.exempel.se', type: 'Skola elev' }],
      enrolments: [{ enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }],
      responsibles: [{ person: ref('G-ST1'), relationType: 'Vårdnadshavare' }],
    });
    w.source.update('groups', 'GR-7B', (g) => {
      g.displayName = '7B (Ny)';
      (g.groupMemberships as unknown[]).push({ person: ref('ST-NEW') });
    });
    // 23 days on: the dated records' verdicts turn without a change in the source.
    w.clock.advance(23 * 24 * 3600_000);

    const delta = await runReadout(w.customer, w.deps);
    expect(delta.error).toBeUndefined();
    expect(delta.report!.mode).toBe('incremental');
    expect(delta.report!.today).toBe('2026-12-15');
    // The rules looked again only at what the change and the passing days touched.
    expect(delta.report!.evaluated).toMatchObject({ full: false });
    // And the unchanged persons' lines were carried over from the last run's files.
    expect(delta.report!.peopleCarried).toEqual({ used: true });

    // A fresh customer on the same source, same clock: a full run of the final source.
    const fresh = await runReadout({ ...w.customer, key: 'fresh', outputDir: mkdtempSync(join(tmpdir(), 'readout-fresh-')) }, w.deps);
    expect(fresh.error).toBeUndefined();
    expect(fresh.report!.mode).toBe('full');
    expect(fresh.report!.today).toBe('2026-12-15');
    expect(fresh.report!.evaluated).toMatchObject({ full: true });

    expect(bulkDigest(delta.outputPath!)).toEqual(bulkDigest(fresh.outputPath!));
    expect(delta.report!.counts).toEqual(fresh.report!.counts);
    expect(delta.report!.output).toMatchObject({ ...fresh.report!.output, files: expect.any(Object) });

    // The dates did turn (so the comparison above covers date-driven changes), and the source changes show.
    const users = readCsv(join(delta.outputPath!, 'oneroster', 'users.csv')).rows.map((u) => u.sourcedId);
    expect(users).not.toContain('ST-ENDING');
    expect(users).not.toContain('ST6');
    expect(users).toContain('T-NEW');
    expect(users).toContain('ST-NEW');
    const enrolments = readCsv(join(delta.outputPath!, 'oneroster', 'enrollments.csv')).rows.map((e) => `${e.classSourcedId}/${e.userSourcedId}`);
    expect(enrolments.filter((e) => e.includes('GR-DATED')).sort()).toEqual([
      expect.stringMatching(/GR-DATED.*\/ST3$/),
      expect.stringMatching(/GR-DATED.*\/T-NEW$/),
    ]);

    expect(validateSds(join(delta.outputPath!, 'sds'))).toEqual([]);
    expect(validateOneRoster(join(delta.outputPath!, 'oneroster'), join(delta.outputPath!, 'oneroster-delta'), join(first.outputPath!, 'oneroster'))).toEqual(
      [],
    );
    const removed = readCsv(join(delta.outputPath!, 'oneroster-delta', 'users.csv'))
      .rows.filter((u) => u.status === 'tobedeleted')
      .map((u) => u.sourcedId)
      .sort();
    expect(removed).toEqual(['G-ST-ENDING', 'G-ST6', 'ST-ENDING', 'ST6']);
  }, 120_000);

  it('re-evaluates what the change does not name: a group whose dates turn, a teacher whose duty ends, a changed syllabus, a new guardian, a student whose first school ends', async () => {
    const w = await openWorld();
    worlds.push(w);
    const src = w.source;
    // A class whose only change is a membership's end date passing (its members stay kept).
    src.put('groups', {
      id: 'GR-TIMED',
      displayName: 'Tidsbestämd klass',
      groupType: 'Klass',
      organisation: ref('S-NORTH'),
      startDate: '2026-08-15',
      groupMemberships: [{ person: ref('ST3'), startDate: '2026-08-15', endDate: '2026-12-01' }, { person: ref('ST4') }],
    });
    // A teacher who stays staff by a second duty while the duty they teach by ends.
    src.put('persons', { id: 'T-TWO', givenName: 'Två', familyName: 'Tjänster', emails: [{ value: 't-two@personal.exempel.se', type: 'Skola personal' }] });
    src.put('duties', { id: 'D-T-TWO-A', person: ref('T-TWO'), dutyAt: ref('S-NORTH'), dutyRole: 'Lärare', startDate: '2020-08-01', endDate: '2026-12-01' });
    src.put('duties', { id: 'D-T-TWO-B', person: ref('T-TWO'), dutyAt: ref('S-NORTH'), dutyRole: 'Lärare', startDate: '2020-08-01' });
    src.put('groups', {
      id: 'GR-TWO',
      displayName: 'Sv extra',
      groupType: 'Undervisning',
      organisation: ref('S-NORTH'),
      startDate: '2026-08-15',
      groupMemberships: [{ person: ref('ST5') }],
    });
    src.put('activities', {
      id: 'A-TWO',
      displayName: 'A-TWO',
      calendarEventsRequired: false,
      startDate: '2026-08-15',
      organisation: ref('S-NORTH'),
      groups: [ref('GR-TWO')],
      syllabus: ref('SYL-SV'),
      teachers: [{ duty: ref('D-T-TWO-A') }],
    });
    // A student whose first school's enrolment ends while one at another school goes on: their guardian,
    // unchanged, has their guardian role at the other school once the date has passed.
    src.update(
      'persons',
      'ST4',
      (p) =>
        (p.enrolments = [
          { enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15', endDate: '2026-12-01' },
          { enroledAt: ref('S-SOUTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' },
        ]),
    );
    // Guardians whose relation starts and ends with the days (the students unchanged): the students'
    // agents follow.
    src.put('persons', { id: 'G-LATER', givenName: 'Senare', familyName: 'Förälder', emails: [{ value: 'g-later@example.se', type: 'Privat' }] });
    src.put('persons', { id: 'G-EARLIER', givenName: 'Tidigare', familyName: 'Förälder', emails: [{ value: 'g-earlier@example.se', type: 'Privat' }] });
    src.update('persons', 'ST6', (p) =>
      (p.responsibles as unknown[]).push({ person: ref('G-LATER'), relationType: 'Vårdnadshavare', startDate: '2026-12-20' }),
    );
    src.update('persons', 'ST2', (p) =>
      (p.responsibles as unknown[]).push({ person: ref('G-EARLIER'), relationType: 'Vårdnadshavare', startDate: '2026-01-01', endDate: '2026-12-01' }),
    );
    w.clock.advance(3600_000);
    const first = await runReadout(w.customer, w.deps);
    expect(first.error).toBeUndefined();
    const agents = (dir: string, id: string) => readCsv(join(dir, 'oneroster', 'users.csv')).rows.find((u) => u.sourcedId === id)?.agentSourcedIds;
    expect([agents(first.outputPath!, 'ST6'), agents(first.outputPath!, 'ST2')]).toEqual(['G-ST6', 'G-EARLIER,G-ST2']);
    const guardianRoles = (dir: string) =>
      readCsv(join(dir, 'oneroster', 'roles.csv'))
        .rows.filter((r) => r.userSourcedId === 'G-ST4')
        .map((r) => `${r.orgSourcedId}/${r.role}`);
    expect(guardianRoles(first.outputPath!)).toEqual(['S-NORTH/guardian']);
    const enrolments = (dir: string) => readCsv(join(dir, 'oneroster', 'enrollments.csv')).rows.map((e) => `${e.classSourcedId}/${e.userSourcedId}`);
    expect(enrolments(first.outputPath!)).toEqual(expect.arrayContaining(['GR-TIMED/ST3', 'GR-TWO.SYL-SV/T-TWO']));

    // In the source: a syllabus renamed (its groups' teams change title), a student's guardian replaced.
    w.clock.advance(20 * 60_000);
    src.update('syllabuses', 'SYL-MA', (s) => (s.subjectName = 'Matematik (ny)'));
    src.put('persons', { id: 'G-NEW', givenName: 'Ny', familyName: 'Förälder', emails: [{ value: 'g-new@example.se', type: 'Privat' }] });
    src.update('persons', 'ST5', (p) => (p.responsibles = [{ person: ref('G-NEW'), relationType: 'Vårdnadshavare' }]));
    // A guardian's own record changes (their students' do not): their roles at the students' schools stay.
    src.update('persons', 'G-ST3', (p) => (p.givenName = 'Omdöpt'));
    // 24 days on: past both end dates and the 14 days of tolerance.
    w.clock.advance(24 * 24 * 3600_000);

    const delta = await runReadout(w.customer, w.deps);
    expect(delta.error).toBeUndefined();
    expect(delta.report!.mode).toBe('incremental');
    expect(delta.report!.evaluated).toMatchObject({ full: false });
    expect(delta.report!.peopleCarried).toEqual({ used: true });
    const fresh = await runReadout({ ...w.customer, key: 'fresh', outputDir: mkdtempSync(join(tmpdir(), 'readout-fresh-')) }, w.deps);
    expect(fresh.error).toBeUndefined();
    expect(bulkDigest(delta.outputPath!)).toEqual(bulkDigest(fresh.outputPath!));
    expect(delta.report!.counts).toEqual(fresh.report!.counts);

    // The comparison above covers each of them: they did change.
    const now = enrolments(delta.outputPath!);
    expect(now).not.toContain('GR-TIMED/ST3');
    expect(now).toContain('GR-TIMED/ST4');
    expect(now).not.toContain('GR-TWO.SYL-SV/T-TWO');
    const titles = readCsv(join(delta.outputPath!, 'oneroster', 'classes.csv')).rows.map((c) => c.title);
    expect(titles).toContain('Ma 7 Matematik (ny)');
    const users = readCsv(join(delta.outputPath!, 'oneroster', 'users.csv')).rows.map((u) => u.sourcedId);
    expect(users).toContain('G-NEW');
    expect(users).not.toContain('G-ST5');
    expect(guardianRoles(delta.outputPath!)).toEqual(['S-SOUTH/guardian']);
    expect([agents(delta.outputPath!, 'ST6'), agents(delta.outputPath!, 'ST2')]).toEqual(['G-LATER,G-ST6', 'G-ST2']);
    expect(validateOneRoster(join(delta.outputPath!, 'oneroster'), join(delta.outputPath!, 'oneroster-delta'), join(first.outputPath!, 'oneroster'))).toEqual(
      [],
    );
  }, 120_000);

  it('people files carried over from the last run, run after run, are the bytes a full run writes; without the last files, read from the kept rows', async () => {
    const w = await openWorld();
    worlds.push(w);
    const src = w.source;
    w.clock.advance(3600_000);
    const first = await runReadout(w.customer, w.deps);
    expect(first.error).toBeUndefined();
    expect(first.report!.peopleCarried).toBeUndefined();
    const users = (r: Awaited<ReturnType<typeof runReadout>>) => readCsv(join(r.outputPath!, 'oneroster', 'users.csv')).rows;
    const roles = (r: Awaited<ReturnType<typeof runReadout>>, id: string) =>
      readCsv(join(r.outputPath!, 'oneroster', 'roles.csv'))
        .rows.filter((x) => x.userSourcedId === id)
        .map((x) => `${x.orgSourcedId}/${x.role}`);
    let last = first;
    const same = async (customer = w.customer, carried: unknown = { used: true }) => {
      const delta = await runReadout(customer, w.deps);
      expect(delta.error).toBeUndefined();
      expect(delta.report!.evaluated).toMatchObject({ full: false });
      expect(delta.report!.peopleCarried).toEqual(carried);
      const fresh = await freshRun(w, customer);
      expect(bulkDigest(delta.outputPath!)).toEqual(bulkDigest(fresh.outputPath!));
      // The rows carried over were digested for the next run as the last run built them: its delta holds only what changed.
      expectExactDelta(last.outputPath!, delta.outputPath!);
      last = delta;
      return delta;
    };

    // A student moves school (their guardian's role moves with them), another gets a second guardian
    // (their agents), a teacher's title maps to another role, a student and their guardian leave, and
    // people come whose ids sort before and after everyone's (the first and last lines of the files).
    w.clock.advance(20 * 60_000);
    src.update('persons', 'ST3', (p) => (p.enrolments = [{ enroledAt: ref('S-SOUTH'), schoolType: 'GR', schoolYear: 8, startDate: '2026-08-15' }]));
    src.put('persons', { id: 'G-NEW', givenName: 'Ny', familyName: 'Förälder', emails: [{ value: 'g-new@example.se', type: 'Privat' }] });
    src.update('persons', 'ST4', (p) => (p.responsibles as unknown[]).push({ person: ref('G-NEW'), relationType: 'Vårdnadshavare' }));
    src.update('duties', 'D-T1', (d) => (d.dutyRole = 'Rektor'));
    src.remove('persons', 'ST5');
    src.put('persons', {
      id: 'A-FIRST',
      givenName: 'Först',
      familyName: 'Elev',
      emails: [{ value: 'a-first@elev.exempel.se', type: 'Skola elev' }],
      enrolments: [{ enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }],
      responsibles: [{ person: ref('ZZ-LAST'), relationType: 'Vårdnadshavare' }],
    });
    src.put('persons', { id: 'ZZ-LAST', givenName: 'Sist', familyName: 'Förälder', emails: [{ value: 'zz-last@example.se', type: 'Privat' }] });
    const moved = await same();
    const ids = users(moved).map((u) => u.sourcedId);
    expect([ids[0], ids.at(-1)]).toEqual(['A-FIRST', 'ZZ-LAST']);
    expect(ids).not.toContain('ST5');
    expect(roles(moved, 'G-ST3')).toEqual(['S-SOUTH/guardian']);
    expect(users(moved).find((u) => u.sourcedId === 'ST4')?.agentSourcedIds).toBe('G-NEW,G-ST4');
    expect(roles(moved, 'T1')).toEqual(['S-NORTH/principal']);

    // The next run carries over lines the last one carried: the first and the last person go, a move back.
    w.clock.advance(20 * 60_000);
    src.remove('persons', 'A-FIRST');
    src.remove('persons', 'ZZ-LAST');
    src.update('persons', 'ST3', (p) => (p.enrolments = [{ enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }]));
    src.update('persons', 'ST6', (p) => (p.givenName = 'Sexan'));
    const back = await same();
    expect(roles(back, 'G-ST3')).toEqual(['S-NORTH/guardian']);
    expect(users(back).map((u) => u.sourcedId)).not.toContain('A-FIRST');

    // The last run's files are not as published: every person's kept rows are read instead, to the same bytes.
    appendFileSync(join(back.outputPath!, 'sds', 'users.csv'), 'x\r\n');
    w.clock.advance(20 * 60_000);
    src.update('persons', 'ST2', (p) => (p.givenName = 'Tvåan'));
    await same(w.customer, { used: false, reason: 'sds/users.csv of the last run is not the size it was published at' });
    // And the run after that carries over again.
    w.clock.advance(20 * 60_000);
    src.update('persons', 'ST2', (p) => (p.givenName = 'Tvåan igen'));
    await same();
  }, 120_000);

  it('people files carried over with OneRoster alone; SDS alone reads the kept rows', async () => {
    for (const formats of [['oneroster'], ['sds']] as const) {
      const w = await openWorld({ customer: { formats: [...formats] } });
      worlds.push(w);
      w.clock.advance(3600_000);
      expect((await runReadout(w.customer, w.deps)).error).toBeUndefined();
      w.clock.advance(20 * 60_000);
      w.source.update('persons', 'ST3', (p) => (p.enrolments = [{ enroledAt: ref('S-SOUTH'), schoolType: 'GR', schoolYear: 8, startDate: '2026-08-15' }]));
      w.source.update('persons', 'G-ST4', (p) => (p.givenName = 'Omdöpt'));
      const delta = await runReadout(w.customer, w.deps);
      expect(delta.error).toBeUndefined();
      expect(delta.report!.peopleCarried).toEqual(
        formats[0] === 'oneroster' ? { used: true } : { used: false, reason: 'OneRoster is not written (its lines are what the rows state is made of)' },
      );
      const fresh = await freshRun(w);
      expect(bulkDigest(delta.outputPath!)).toEqual(bulkDigest(fresh.outputPath!));
    }
  }, 120_000);

  it('usernames made unique and unique again as names collide and part; another rules configuration evaluates everything', async () => {
    const w = await openWorld();
    worlds.push(w);
    w.clock.advance(3600_000);
    expect((await runReadout(w.customer, w.deps)).error).toBeUndefined();
    const username = (r: Awaited<ReturnType<typeof runReadout>>, id: string) =>
      readCsv(join(r.outputPath!, 'oneroster', 'users.csv')).rows.find((u) => u.sourcedId === id)?.username;
    const same = async (customer = w.customer) => {
      const delta = await runReadout(customer, w.deps);
      expect(delta.error).toBeUndefined();
      expect(delta.report!.mode).toBe('incremental');
      const fresh = await freshRun(w, customer);
      expect(bulkDigest(delta.outputPath!)).toEqual(bulkDigest(fresh.outputPath!));
      expect(delta.report!.counts).toEqual(fresh.report!.counts);
      return delta;
    };

    // ST3 takes ST4's e-mail: ST4, unchanged in the source, is the one ranked second (same source and kind, later id) and gets a suffix.
    w.clock.advance(20 * 60_000);
    w.source.update('persons', 'ST3', (p) => (p.emails = [{ value: 'st4@elev.exempel.se', type: 'Skola elev' }]));
    const collided = await same();
    expect(collided.report!.evaluated).toMatchObject({ full: false });
    expect(username(collided, 'ST3')).toBe('st4@elev.exempel.se');
    expect(username(collided, 'ST4')).toMatch(/^st4\+[0-9a-f]{8}@elev\.exempel\.se$/);

    // And gives it back: ST4 has its own name again.
    w.clock.advance(20 * 60_000);
    w.source.update('persons', 'ST3', (p) => (p.emails = [{ value: 'st3@elev.exempel.se', type: 'Skola elev' }]));
    const parted = await same();
    expect(username(parted, 'ST4')).toBe('st4@elev.exempel.se');

    // Another tolerance: every verdict may turn (ST-LEFT, who left in June, is kept again with 200 days).
    w.clock.advance(20 * 60_000);
    const wider = await same({ ...w.customer, toleranceDays: 200 });
    expect(wider.report!.evaluated).toMatchObject({ full: true });
    expect(username(wider, 'ST-LEFT')).toBeDefined();
  }, 120_000);
});
