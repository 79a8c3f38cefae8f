import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadout, type ReadoutReport } from '../../src/readout/run.ts';
import { explain } from '../../src/readout/explain.ts';
import { teamId } from '../../src/readout/rules.ts';
import { listDir, openWorld, readCsv, type ReadoutWorld } from './support/setup.ts';

/** The column sets of the SDS v2.1 sample files (OfficeDev/O365-EDU-Tools, CSV Samples/SDS v2.1). */
const SDS_COLUMNS: Record<string, string[]> = {
  'academicSessions.csv': ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
  'classes.csv': ['sourcedId', 'orgSourcedId', 'title', 'sessionSourcedIds', 'courseSourcedId'],
  'courses.csv': ['sourcedId', 'orgSourcedId', 'title', 'code', 'schoolYearSourcedId', 'subject', 'grade'],
  'enrollments.csv': ['classSourcedId', 'userSourcedId', 'role'],
  'orgs.csv': ['sourcedId', 'name', 'type', 'parentSourcedId'],
  'relationships.csv': ['userSourcedId', 'relationshipUserSourcedId', 'relationshipRole'],
  'roles.csv': ['userSourcedId', 'orgSourcedId', 'role', 'sessionSourcedId', 'grade', 'isPrimary', 'roleStartDate', 'roleEndDate'],
  'users.csv': ['sourcedId', 'username', 'givenName', 'familyName', 'password', 'activeDirectoryMatchId', 'email', 'phone', 'sms'],
};

/** OneRoster 1.2 CSV binding column sets (extension columns, prefixed `metadata.`, may follow). */
const ONEROSTER_COLUMNS: Record<string, string[]> = {
  'academicSessions.csv': ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  'orgs.csv': ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  'courses.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'schoolYearSourcedId',
    'title',
    'courseCode',
    'grades',
    'orgSourcedId',
    'subjects',
    'subjectCodes',
  ],
  'classes.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'title',
    'grades',
    'courseSourcedId',
    'classCode',
    'classType',
    'location',
    'schoolSourcedId',
    'termSourcedIds',
    'subjects',
    'subjectCodes',
    'periods',
  ],
  'users.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'enabledUser',
    'username',
    'userIds',
    'givenName',
    'familyName',
    'middleName',
    'identifier',
    'email',
    'sms',
    'phone',
    'agentSourcedIds',
    'grades',
    'password',
    'userMasterIdentifier',
    'resourceSourcedIds',
    'preferredGivenName',
    'preferredMiddleName',
    'preferredFamilyName',
    'primaryOrgSourcedId',
    'pronouns',
  ],
  'roles.csv': ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  'enrollments.csv': [
    'sourcedId',
    'status',
    'dateLastModified',
    'classSourcedId',
    'schoolSourcedId',
    'userSourcedId',
    'role',
    'primary',
    'beginDate',
    'endDate',
  ],
};

describe('readout against a recorded EduCloud-shaped source', () => {
  let w: ReadoutWorld;
  let first: ReadoutReport;
  const current = () => join(w.outputDir, 'current');

  beforeAll(async () => {
    w = await openWorld();
    // An hour passes during the run: every request moves the clock 10 minutes.
    w.source.afterRequest = () => w.clock.advance(10 * 60_000);
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    first = r.report!;
    w.source.afterRequest = undefined;
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('publishes the same SDS v2.1 file set with the sample column sets, parseable as CSV', () => {
    expect(listDir(join(current(), 'sds'))).toEqual(Object.keys(SDS_COLUMNS).sort());
    for (const [file, columns] of Object.entries(SDS_COLUMNS)) {
      const { header, rows } = readCsv(join(current(), 'sds', file));
      expect(header, file).toEqual(columns);
      for (const r of rows) expect(Object.keys(r)).toEqual(columns);
    }
  });

  it('publishes a OneRoster 1.2 bulk set with a manifest and the 1.2 column sets', () => {
    const dir = join(current(), 'oneroster');
    expect(listDir(dir)).toEqual(['manifest.csv', ...Object.keys(ONEROSTER_COLUMNS)].sort());
    for (const [file, columns] of Object.entries(ONEROSTER_COLUMNS)) {
      const { header } = readCsv(join(dir, file));
      expect(header.slice(0, columns.length), file).toEqual(columns);
      expect(
        header.slice(columns.length).every((h) => h.startsWith('metadata.')),
        file,
      ).toBe(true);
    }
    const manifest = Object.fromEntries(readCsv(join(dir, 'manifest.csv')).rows.map((r) => [r.propertyName, r.value]));
    expect(manifest).toMatchObject({
      'manifest.version': '1.0',
      'oneroster.version': '1.2',
      'file.users': 'bulk',
      'file.classes': 'bulk',
      'file.enrollments': 'bulk',
      'file.demographics': 'absent',
    });
  });

  it('keeps only what the rules allow and writes one class per team', () => {
    const users = readCsv(join(current(), 'sds', 'users.csv'))
      .rows.map((r) => r.sourcedId)
      .sort();
    expect(users).toEqual(['G-ST2', 'G-ST3', 'G-ST4', 'G-ST5', 'G-ST6', 'ST-BARE', 'ST1', 'ST2', 'ST3', 'ST4', 'ST5', 'ST6', 'T1', 'T2', 'T3']);
    const orgs = readCsv(join(current(), 'sds', 'orgs.csv'))
      .rows.map((r) => r.sourcedId)
      .sort();
    expect(orgs).toEqual(['S-NORTH', 'S-OTHERTOWN', 'S-SOUTH']);
    const classes = readCsv(join(current(), 'sds', 'classes.csv'))
      .rows.map((r) => r.sourcedId)
      .sort();
    expect(classes).toEqual(['GR-7A', 'GR-7B', 'GR-STAFF', teamId('GR-MA2', 'SYL-MA2'), teamId('GR-MA7', 'SYL-MA'), teamId('GR-SV7', 'SYL-SV')].sort());
    const enrol = readCsv(join(current(), 'sds', 'enrollments.csv')).rows;
    expect(enrol.filter((e) => e.classSourcedId === teamId('GR-SV7', 'SYL-SV'))).toEqual([
      { classSourcedId: teamId('GR-SV7', 'SYL-SV'), userSourcedId: 'ST5', role: 'student' },
      { classSourcedId: teamId('GR-SV7', 'SYL-SV'), userSourcedId: 'ST6', role: 'student' },
      { classSourcedId: teamId('GR-SV7', 'SYL-SV'), userSourcedId: 'T1', role: 'teacher' },
    ]);
    // Opt-ins are off by default: no civic number or address anywhere.
    const all = ['sds', 'oneroster'].flatMap((d) => listDir(join(current(), d)).map((f) => readFileSync(join(current(), d, f), 'utf8'))).join('\n');
    expect(all).not.toContain('Skolvägen');
    expect(all).not.toMatch(/2012\d{4}1234/);
  });

  it('reports kept and excluded per rule, unknown enums, and the split of time', () => {
    expect(first.counts.students).toEqual({
      kept: 7,
      excluded: { 'student.protected_identity': 1, 'student.registered_abroad': 1, 'student.enrolment.ended': 1, 'student.enrolment.school_not_kept': 1 },
    });
    expect(first.counts.staff).toEqual({ kept: 3, excluded: { 'staff.protected_identity': 1, 'staff.duty.ended': 1 } });
    expect(first.counts.guardians.excluded).toEqual({ 'guardian.protected_identity': 1, 'guardian.student_not_kept': 4 });
    expect(first.counts.schools).toEqual({ kept: 3, excluded: { 'school.ended': 1, 'school.to_lms': 1 } });
    expect(first.counts.groups.excluded).toEqual({ 'group.no_syllabus': 1, 'group.type': 1, 'group.school_not_kept': 1 });
    expect(first.unknownEnums).toEqual({ 'Person.personStatus=Okänd': 1 });
    expect(first.delta.firstRun).toBe(true);
    expect(first.fetchMs + first.processMs).toBeLessThanOrEqual(first.durationMs + 1);
    const onDisk = JSON.parse(readFileSync(join(current(), 'report.json'), 'utf8')) as ReadoutReport;
    expect(onDisk.counts).toEqual(first.counts);
  });

  it('used EduCloud-style paging, expand[]= and refreshed the token before it expired', () => {
    expect(w.source.log.some((l) => l.url.includes('pageToken='))).toBe(true);
    expect(w.source.log.some((l) => l.url.includes('expand%5B%5D=syllabus'))).toBe(true);
    expect(w.source.log.filter((l) => l.status === 401)).toEqual([]);
    expect(first.source.tokenFetches).toBeGreaterThan(1);
  });

  it('records the run', async () => {
    const runs = await w.database.db.selectFrom('readout_runs').selectAll().execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ customer_key: 'exempel', status: 'succeeded', mode: 'full', error: null });
    expect(runs[0]!.finished_at).not.toBeNull();
  });

  it('explains rule by rule why a person or group was kept or excluded', async () => {
    const prot = await explain(w.customer, w.deps, 'ST-PROT');
    expect(prot.found).toBe(true);
    expect(prot.text).toContain('EXCLUDED');
    expect(prot.text).toMatch(/✗ student\.protected_identity: security marking "Skyddad folkbokföring"/);
    const kept = await explain(w.customer, w.deps, 'ST5');
    expect(kept.text).toContain('KEPT');
    expect(kept.text).toContain(teamId('GR-SV7', 'SYL-SV'));
    const group = await explain(w.customer, w.deps, 'GR-NOSYL');
    expect(group.text).toMatch(/✗ group\.no_syllabus/);
    expect((await explain(w.customer, w.deps, 'NOPE')).found).toBe(false);
  });

  describe('the second run', () => {
    let second: ReadoutReport;
    beforeAll(async () => {
      w.clock.advance(24 * 3600_000);
      w.source.log.length = 0;
      // Changes overnight: a renamed class, a new syllabus on a group, a student gone, a student new,
      // a student moved between classes, a guardian's e-mail changed.
      w.source.update('groups', 'GR-7B', (g) => {
        g.displayName = '7B (Ny)';
      });
      w.source.update('activities', 'A-SV7', (a) => {
        a.syllabus = { id: 'SYL-MA' };
      });
      w.source.remove('persons', 'ST6');
      w.source.put('persons', {
        id: 'ST7',
        givenName: 'Ny',
        familyName: 'Elev',
        enrolments: [{ enroledAt: { id: 'S-NORTH' }, schoolType: 'GR', schoolYear: 7, startDate: '2026-11-23' }],
      });
      w.source.update('groups', 'GR-7A', (g) => {
        (g.groupMemberships as unknown[]).push({ person: { id: 'ST7' } });
      });
      w.source.update('persons', 'G-ST2', (p) => {
        p.emails = [{ value: 'ny@example.se', type: 'Privat' }];
      });
      const r = await runReadout(w.customer, w.deps);
      expect(r.error).toBeUndefined();
      second = r.report!;
    }, 60_000);

    it('reads only what changed (meta.modified.after and /deletedEntities)', () => {
      expect(second.mode).toBe('incremental');
      expect(
        w.source.log.every(
          (l) => l.url.startsWith('/oauth2') || l.url.includes('meta.modified.after') || l.url.includes('pageToken') || l.url.includes('deletedEntities'),
        ),
      ).toBe(true);
      expect(second.source.deleted).toMatchObject({ persons: 1 });
    });

    it('reports teams created / renamed / removed, memberships and people added / removed', () => {
      expect(second.delta).toEqual({
        firstRun: false,
        teams: { created: 1, renamed: 1, updated: 0, removed: 1 },
        memberships: { added: 1 + 2, removed: 1 + 2 + 1 },
        people: { added: 1, updated: 1, removed: 2 },
        schools: { added: 0, updated: 0, removed: 0 },
      });
    });

    it('writes a delta OneRoster set: changed rows active, removed rows tobedeleted', () => {
      const dir = join(w.outputDir, 'current', 'oneroster-delta');
      const manifest = Object.fromEntries(readCsv(join(dir, 'manifest.csv')).rows.map((r) => [r.propertyName, r.value]));
      expect(manifest['file.users']).toBe('delta');
      const users = readCsv(join(dir, 'users.csv')).rows;
      expect(
        users
          .filter((u) => u.status === 'tobedeleted')
          .map((u) => u.sourcedId)
          .sort(),
      ).toEqual(['G-ST6', 'ST6']);
      expect(
        users
          .filter((u) => u.status === 'active')
          .map((u) => u.sourcedId)
          .sort(),
      ).toEqual(['G-ST2', 'ST7']);
      const classes = readCsv(join(dir, 'classes.csv')).rows;
      expect(classes.map((c) => [c.sourcedId, c.status]).sort()).toEqual(
        [
          ['GR-7B', 'active'],
          [teamId('GR-SV7', 'SYL-MA'), 'active'],
          [teamId('GR-SV7', 'SYL-SV'), 'tobedeleted'],
        ].sort(),
      );
      for (const r of [...users, ...classes]) expect(r.dateLastModified).toBe(second.finishedAt);
    });

    it('keeps the previous published set next to the new one and swaps current atomically', () => {
      const link = readlinkSync(join(w.outputDir, 'current'));
      expect(link).toContain(second.runId);
      expect(listDir(join(w.outputDir, 'runs')).length).toBe(2);
      expect(existsSync(join(w.outputDir, 'runs', listDir(join(w.outputDir, 'runs'))[0]!, 'sds', 'users.csv'))).toBe(true);
    });
  });
});

describe('a source without meta.modified.after or /deletedEntities', () => {
  let w: ReadoutWorld;
  beforeAll(async () => {
    w = await openWorld({ fake: { supportsModifiedAfter: false, supportsDeletedEntities: false, tokenAuth: 'post' } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('falls back to a full read and diff with the same delta', async () => {
    expect((await runReadout(w.customer, w.deps)).status).toBe('succeeded');
    w.clock.advance(24 * 3600_000);
    w.source.remove('persons', 'ST6');
    w.source.update('groups', 'GR-7B', (g) => {
      g.displayName = '7B (Ny)';
    });
    const r = await runReadout(w.customer, w.deps);
    expect(r.report!.mode).toBe('full');
    expect(r.report!.fallbackReason).toMatch(/refused the incremental read.*meta\.modified\.after is not supported|HTTP 400/);
    expect(r.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 2 });
    expect(r.report!.delta.teams).toEqual({ created: 0, renamed: 1, updated: 0, removed: 0 });
    expect(r.report!.delta.memberships).toEqual({ added: 0, removed: 2 });
  });

  it('exports civic number and address when the customer opts in', async () => {
    const c = { ...w.customer, exportAddress: true, exportCivicNo: true };
    const r = await runReadout(c, w.deps);
    expect(r.status).toBe('succeeded');
    // The stored source was trimmed to the old opt-ins: the run reads everything again.
    expect(r.report!.fallbackReason).toBe('address or civic number opt-in (or mapping.courseField) changed since the last run');
    const users = readCsv(join(w.outputDir, 'current', 'oneroster', 'users.csv')).rows;
    const st1 = users.find((u) => u.sourcedId === 'ST1')!;
    expect(st1['metadata.civicNo']).toMatch(/^2012\d{4}1234$/);
    expect(st1['metadata.streetAddress']).toBe('Skolvägen ST1');
    // The bare student has neither: empty, not "undefined".
    const bare = users.find((u) => u.sourcedId === 'ST-BARE')!;
    expect(bare['metadata.civicNo']).toBe('');
  });
});
