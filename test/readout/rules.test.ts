import { describe, expect, it } from 'vitest';
import {
  PackedMap,
  ParseStats,
  parseGroup,
  parseOrganisation,
  parsePerson,
  personCodec,
  trimPerson,
  type Activity,
  type Duty,
  type Group,
  type Organisation,
  type Person,
  emptySnapshot,
} from '../../src/readout/model.ts';
import {
  addDays,
  dateWindow,
  groupRules,
  guardianRules,
  localDay,
  notProtected,
  registeredInSweden,
  schoolRules,
  staffRules,
  studentRules,
  teamId,
  outputId,
  compositeId,
  type RuleContext,
} from '../../src/readout/rules.ts';
import { select, uniqueUsernames, type OutPerson } from '../../src/readout/select.ts';
import { csvLine, ONEROSTER_HEADERS, oneRosterRows, parseCsvLine, sdsTables } from '../../src/readout/writers.ts';

const TODAY = '2026-11-22';
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({ today: TODAY, toleranceDays: 14, ...over });
const d = (n: number) => addDays(TODAY, n);

const school = (over: Partial<Organisation> = {}): Organisation => ({
  id: 'S1',
  displayName: 'Skola 1',
  organisationType: 'Skolenhet',
  schoolTypes: ['GR'],
  municipalityCode: '0180',
  startDate: '2020-07-01',
  flags: {},
  ...over,
});
const person = (over: Partial<Person> = {}): Person => ({
  id: 'P1',
  givenName: 'Alva',
  familyName: 'Berg',
  securityMarking: 'Ingen',
  emails: [{ value: 'alva@skola.se', type: 'Skola elev' }],
  phones: [],
  addresses: [],
  enrolments: [{ schoolUnitId: 'S1', startDate: '2025-08-15', cancelled: false, schoolYear: 5 }],
  responsibles: [],
  ...over,
});

describe('date window with tolerance', () => {
  // [case, start, end, tolerance, kept, counted rule]
  const cases: [string, string | undefined, string | undefined, number, boolean, string][] = [
    ['start today', d(0), undefined, 14, true, 'x.dates'],
    ['start today, no tolerance', d(0), undefined, 0, true, 'x.dates'],
    ['start tomorrow, no tolerance', d(1), undefined, 0, false, 'x.not_started'],
    ['start tomorrow, tolerance 14', d(1), undefined, 14, true, 'x.dates'],
    ['start in 13 days, tolerance 14', d(13), undefined, 14, true, 'x.dates'],
    ['start in 14 days, tolerance 14', d(14), undefined, 14, true, 'x.dates'],
    ['start in 15 days, tolerance 14', d(15), undefined, 14, false, 'x.not_started'],
    ['no start date', undefined, undefined, 14, false, 'x.start_missing'],
    ['empty end', d(-100), undefined, 0, true, 'x.dates'],
    ['end today, no tolerance', d(-100), d(0), 0, false, 'x.ended'],
    ['end tomorrow, no tolerance', d(-100), d(1), 0, true, 'x.dates'],
    ['end yesterday, no tolerance', d(-100), d(-1), 0, false, 'x.ended'],
    ['end yesterday, tolerance 14', d(-100), d(-1), 14, true, 'x.dates'],
    ['end 13 days ago, tolerance 14', d(-100), d(-13), 14, true, 'x.dates'],
    ['end 14 days ago, tolerance 14', d(-100), d(-14), 14, false, 'x.ended'],
    ['end 15 days ago, tolerance 14', d(-100), d(-15), 14, false, 'x.ended'],
  ];
  it.each(cases)('%s', (_name, start, end, tol, kept, rule) => {
    const c = dateWindow('x', start, end, ctx({ toleranceDays: tol }));
    expect(c.ok).toBe(kept);
    expect(c.rule).toBe(rule);
  });

  it('says when the tolerance kept a record', () => {
    expect(dateWindow('x', d(3), undefined, ctx()).detail).toContain('tolerance');
    expect(dateWindow('x', d(-3), undefined, ctx()).detail).not.toContain('tolerance');
  });

  it('computes the local date in the customer time zone', () => {
    // 23:30 UTC on 22 Nov is already 23 Nov in Stockholm.
    expect(localDay(new Date('2026-11-22T23:30:00Z'), 'Europe/Stockholm')).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-22T23:30:00Z'), 'UTC')).toBe('2026-11-22');
  });
});

describe('schools', () => {
  const cases: [string, Partial<Organisation>, Partial<RuleContext>, boolean, string | undefined][] = [
    ['current school unit', {}, {}, true, undefined],
    ['not a school unit (Huvudman)', { organisationType: 'Huvudman' }, {}, false, 'school.unit'],
    ['no start date', { startDate: undefined }, {}, false, 'school.start_missing'],
    ['starts in 15 days', { startDate: d(15) }, {}, false, 'school.not_started'],
    ['ended 15 days ago', { endDate: d(-15) }, {}, false, 'school.ended'],
    ['in the customer municipality', {}, { municipalityCode: '0180' }, true, undefined],
    ['outside the customer municipality', { municipalityCode: '1480' }, { municipalityCode: '0180' }, false, 'school.municipality'],
    ['school type in the filter', { schoolTypes: ['GR', 'FKLASS'] }, { schoolTypes: ['GY', 'GR'] }, true, undefined],
    ['school type outside the filter', { schoolTypes: ['GY'] }, { schoolTypes: ['GR'] }, false, 'school.school_type'],
    ['active unit = 1, to LMS = Y', { flags: { activeUnit: true, toLms: true } }, {}, true, undefined],
    ['active unit = 0', { flags: { activeUnit: false, toLms: true } }, {}, false, 'school.active_unit'],
    ['to LMS = N', { flags: { activeUnit: true, toLms: false } }, {}, false, 'school.to_lms'],
  ];
  it.each(cases)('%s', (_n, over, c, kept, rule) => {
    const v = schoolRules(school(over), ctx(c));
    expect(v.kept).toBe(kept);
    expect(v.excludedBy).toBe(rule);
  });

  it('reads the Extens flags from extension fields under any spelling', () => {
    const stats = new ParseStats();
    const a = parseOrganisation({ id: 'a', organisationType: 'Skolenhet', extension: { 'Aktiv enhet': '1', 'Till LMS': 'Y' } }, stats)!;
    const b = parseOrganisation({ id: 'b', organisationType: 'Skolenhet', _extensions: { activeUnit: 0, toLMS: 'N' } }, stats)!;
    const c = parseOrganisation({ id: 'c', organisationType: 'Skolenhet' }, stats)!;
    expect(a.flags).toEqual({ activeUnit: true, toLms: true });
    expect(b.flags).toEqual({ activeUnit: false, toLms: false });
    expect(c.flags).toEqual({});
  });
});

describe('students', () => {
  const kept = new Set(['S1']);
  const cases: [string, Partial<Person>, boolean, string | undefined][] = [
    ['current enrolment', {}, true, undefined],
    ['protected population registration', { securityMarking: 'Skyddad folkbokföring' }, false, 'student.protected_identity'],
    ['secrecy marking', { securityMarking: 'Sekretessmarkering' }, false, 'student.protected_identity'],
    ['emigrated', { personStatus: 'Utvandrad' }, false, 'student.registered_abroad'],
    [
      'registered address abroad',
      { addresses: [{ type: 'Folkbokföring', streetAddress: 'Storgata 1', postalCode: '0155', locality: 'Oslo', country: 'Norge' }] },
      false,
      'student.registered_abroad',
    ],
    ['registered in Sweden', { addresses: [{ type: 'Folkbokföring', country: 'Sverige' }] }, true, undefined],
    [
      'enrolment at an excluded school',
      { enrolments: [{ schoolUnitId: 'S2', startDate: '2025-08-15', cancelled: false }] },
      false,
      'student.enrolment.school_not_kept',
    ],
    [
      'enrolment ended 15 days ago',
      { enrolments: [{ schoolUnitId: 'S1', startDate: '2025-08-15', endDate: d(-15), cancelled: false }] },
      false,
      'student.enrolment.ended',
    ],
    ['enrolment ended 13 days ago', { enrolments: [{ schoolUnitId: 'S1', startDate: '2025-08-15', endDate: d(-13), cancelled: false }] }, true, undefined],
    ['enrolment starts in 15 days', { enrolments: [{ schoolUnitId: 'S1', startDate: d(15), cancelled: false }] }, false, 'student.enrolment.not_started'],
    ['enrolment without start', { enrolments: [{ schoolUnitId: 'S1', cancelled: false }] }, false, 'student.enrolment.start_missing'],
    ['cancelled enrolment', { enrolments: [{ schoolUnitId: 'S1', startDate: '2025-08-15', cancelled: true }] }, false, 'student.enrolment.cancelled'],
    [
      'one old and one current enrolment',
      {
        enrolments: [
          { schoolUnitId: 'S1', startDate: '2020-08-15', endDate: '2021-06-10', cancelled: false },
          { schoolUnitId: 'S1', startDate: '2025-08-15', cancelled: false },
        ],
      },
      true,
      undefined,
    ],
  ];
  it.each(cases)('%s', (_n, over, keep, rule) => {
    const v = studentRules(person(over), kept, ctx());
    expect(v.kept).toBe(keep);
    expect(v.excludedBy).toBe(rule);
  });

  it('explains every rule, not only the failing one', () => {
    const v = studentRules(person({ securityMarking: 'Skyddad folkbokföring' }), kept, ctx());
    expect(v.checks.map((c) => [c.rule, c.ok])).toEqual([
      ['student.protected_identity', false],
      ['student.registered_abroad', true],
      ['student.enrolment.dates', true],
    ]);
  });

  it('keeps no civic number and only the registration country in memory unless opted in', () => {
    const p = person({
      civicNo: '201001012384',
      civicNoNationality: 'SE',
      addresses: [
        { type: 'Folkbokföring', streetAddress: 'Storgata 1', locality: 'Oslo', country: 'Norge' },
        { type: 'Postadress', streetAddress: 'Box 1' },
      ],
    });
    const off = trimPerson(p, { address: false, civicNo: false });
    expect(off.civicNo).toBeUndefined();
    expect(off.addresses).toEqual([{ type: 'Folkbokföring', country: 'Norge' }]);
    expect(registeredInSweden(off).ok).toBe(false);
    const on = trimPerson(p, { address: true, civicNo: true });
    expect(on.civicNo).toBe('201001012384');
    expect(on.addresses).toHaveLength(2);
  });

  it('reads an absent security marking as none and counts unknown enum values', () => {
    const stats = new ParseStats();
    const p = parsePerson({ id: 'x', givenName: 'A', familyName: 'B', personStatus: 'Okänd status' }, stats)!;
    expect(p.securityMarking).toBe('Ingen');
    expect(notProtected('student', p).ok).toBe(true);
    expect(registeredInSweden(p).ok).toBe(true);
    expect(Object.fromEntries(stats.unknownEnums)).toEqual({ 'Person.personStatus=Okänd status': 1 });
  });
});

describe('staff', () => {
  const kept = new Set(['S1']);
  const duty = (over: Partial<Duty> = {}): Duty => ({ id: 'D1', personId: 'T1', dutyAt: 'S1', dutyRole: 'Lärare', startDate: '2024-08-01', ...over });
  const cases: [string, Partial<Person>, Duty[], boolean, string | undefined][] = [
    ['current duty', {}, [duty()], true, undefined],
    ['protected staff', { securityMarking: 'Skyddad folkbokföring' }, [duty()], false, 'staff.protected_identity'],
    ['duty at an excluded school', {}, [duty({ dutyAt: 'S9' })], false, 'staff.duty.school_not_kept'],
    ['duty ended yesterday (tolerance keeps it)', {}, [duty({ endDate: d(-1) })], true, undefined],
    ['duty ended 15 days ago', {}, [duty({ endDate: d(-15) })], false, 'staff.duty.ended'],
    ['duty starts tomorrow (tolerance keeps it)', {}, [duty({ startDate: d(1) })], true, undefined],
    ['duty starts in 15 days', {}, [duty({ startDate: d(15) })], false, 'staff.duty.not_started'],
  ];
  it.each(cases)('%s', (_n, over, duties, keep, rule) => {
    const v = staffRules(person({ id: 'T1', enrolments: [], ...over }), duties, kept, ctx());
    expect(v.kept).toBe(keep);
    expect(v.excludedBy).toBe(rule);
  });
});

describe('guardians', () => {
  const students = new Set(['P1']);
  const cases: [string, Partial<Person>, { studentId: string; startDate?: string; endDate?: string }[], boolean, string | undefined][] = [
    ['guardian of a kept student', {}, [{ studentId: 'P1' }], true, undefined],
    ['protected guardian', { securityMarking: 'Skyddad folkbokföring' }, [{ studentId: 'P1' }], false, 'guardian.protected_identity'],
    ['guardian of an excluded student only', {}, [{ studentId: 'P2' }], false, 'guardian.student_not_kept'],
    ['relation ended 15 days ago', {}, [{ studentId: 'P1', startDate: '2020-01-01', endDate: d(-15) }], false, 'guardian.relation.ended'],
    ['relation starting today', {}, [{ studentId: 'P1', startDate: d(0) }], true, undefined],
  ];
  it.each(cases)('%s', (_n, over, rel, keep, rule) => {
    const v = guardianRules(
      person({ id: 'G1', enrolments: [], ...over }),
      rel.map((r) => ({ studentId: r.studentId, relation: { personId: 'G1', relationType: 'Vårdnadshavare', startDate: r.startDate, endDate: r.endDate } })),
      students,
      ctx(),
    );
    expect(v.kept).toBe(keep);
    expect(v.excludedBy).toBe(rule);
  });
});

describe('groups and classes', () => {
  const kept = new Set(['S1']);
  const group = (over: Partial<Group> = {}): Group => ({
    id: 'G1',
    displayName: '7A',
    groupType: 'Klass',
    organisationId: 'S1',
    startDate: '2026-08-15',
    memberships: [],
    flags: {},
    ...over,
  });
  const cases: [string, Partial<Group>, string[], boolean, string | undefined][] = [
    ['class of a kept school', {}, [], true, undefined],
    ['class of an excluded school', { organisationId: 'S9' }, [], false, 'group.school_not_kept'],
    ...(['Undervisning', 'Klass', 'Mentor', 'Avdelning', 'Personalgrupp'] as const).map(
      (t): [string, Partial<Group>, string[], boolean, string | undefined] => [`type ${t} is exported`, { groupType: t }, ['SYL1'], true, undefined],
    ),
    ...(['Provgrupp', 'Schema', 'Övrigt'] as const).map((t): [string, Partial<Group>, string[], boolean, string | undefined] => [
      `type ${t} is not exported`,
      { groupType: t },
      [],
      false,
      'group.type',
    ]),
    ['teaching group without a syllabus', { groupType: 'Undervisning' }, [], false, 'group.no_syllabus'],
    ['group ended 15 days ago', { endDate: d(-15) }, [], false, 'group.ended'],
    ['group starting in 13 days', { startDate: d(13) }, [], true, undefined],
    ['group with to LMS = N', { flags: { toLms: false } }, [], false, 'group.to_lms'],
    ['group with to LMS = Y', { flags: { toLms: true } }, [], true, undefined],
  ];
  it.each(cases)('%s', (_n, over, syllabi, keep, rule) => {
    const v = groupRules(group(over), syllabi, kept, ctx());
    expect(v.kept).toBe(keep);
    expect(v.excludedBy).toBe(rule);
  });

  it('reads groupMemberships tolerantly and counts an unknown group type', () => {
    const stats = new ParseStats();
    const g = parseGroup({ id: 'g', groupType: 'Fritids', organisation: { id: 'S1' }, groupMemberships: [{ person: { id: 'p' } }, { nope: 1 }] }, stats)!;
    expect(g.memberships).toEqual([{ personId: 'p', startDate: undefined, endDate: undefined }]);
    expect(stats.unknownEnums.get('Group.groupType=Fritids')).toBe(1);
  });
});

describe('records kept as text', () => {
  const raw = {
    id: 'P9',
    givenName: 'Åsa',
    familyName: 'Öberg "Ö"',
    middleName: 'Li',
    eduPersonPrincipalNames: ['asa@elev.se'],
    civicNo: { value: '201001012384', nationality: 'SE' },
    securityMarking: 'Sekretessmarkering',
    personStatus: 'Aktiv',
    emails: [{ value: 'asa@elev.se', type: 'Skola elev' }, { value: 'asa@privat.se', type: 'Privat' }, { value: 'x@y.se' }],
    phoneNumbers: [{ value: '+4670', mobile: true }, { value: '08-1' }],
    addresses: [{ type: 'Folkbokföring', streetAddress: 'Gata 1', postalCode: '111', locality: 'Sthlm', country: 'Sverige' }, { country: 'Norge' }],
    enrolments: [
      { enroledAt: { id: 'S1' }, schoolType: 'GR', schoolYear: 0, startDate: '2026-08-15', endDate: '2027-06-10', cancelled: true },
      { enroledAt: { id: 'S2' } },
    ],
    responsibles: [{ person: { id: 'G1' }, relationType: 'Vårdnadshavare', startDate: '2020-01-01' }, { person: { id: 'G2' } }],
  };

  it('a person packed as a flat array reads back field for field, defaults and absent fields included', () => {
    const full = parsePerson(raw, new ParseStats())!;
    const bare = parsePerson({ id: 'P0' }, new ParseStats())!;
    const m = new PackedMap<Person>(personCodec);
    m.set(full.id, full);
    m.set(bare.id, bare);
    expect(m.get('P9')).toEqual(full);
    expect(m.get('P0')).toEqual(bare);
    expect(m.get('P0')!.securityMarking).toBe('Ingen');
    expect([...m.values()].map((p) => p.id)).toEqual(['P9', 'P0']);
    // No property names in the text, and the e-mail that repeats the eppn is not stored twice.
    const text = JSON.stringify(personCodec.encode(full));
    expect(text).not.toContain('givenName');
    expect(text.split('asa@elev.se')).toHaveLength(2);
  });

  it('the rules give the same answer on packed and plain records', () => {
    const p = parsePerson({ ...raw, securityMarking: undefined, enrolments: [{ enroledAt: { id: 'S1' }, startDate: '2026-08-15' }] }, new ParseStats())!;
    const m = new PackedMap<Person>(personCodec);
    m.set(p.id, p);
    const kept = new Set(['S1']);
    expect(studentRules(m.get(p.id)!, kept, ctx())).toEqual(studentRules(p, kept, ctx()));
  });
});

describe('teams, opt-ins and the selection', () => {
  function world(syllabusId: string) {
    const snap = emptySnapshot();
    snap.organisations.set('S1', school());
    snap.persons.set(
      'P1',
      person({
        civicNo: '201001012384',
        addresses: [{ type: 'Folkbokföring', streetAddress: 'Skolgatan 1', postalCode: '11122', locality: 'Stockholm', country: 'Sverige' }],
        responsibles: [{ personId: 'G1', relationType: 'Vårdnadshavare' }],
      }),
    );
    snap.persons.set(
      'G1',
      person({ id: 'G1', givenName: 'Greta', enrolments: [], emails: [{ value: 'greta@example.se', type: 'Privat' }], civicNo: '198001019802' }),
    );
    snap.persons.set('T1', person({ id: 'T1', givenName: 'Tor', enrolments: [], emails: [{ value: 'tor@skola.se', type: 'Skola personal' }] }));
    snap.duties.set('D1', { id: 'D1', personId: 'T1', dutyAt: 'S1', dutyRole: 'Lärare', startDate: '2024-08-01' });
    snap.groups.set('G-MA', {
      id: 'G-MA',
      displayName: '7A Ma',
      groupType: 'Undervisning',
      organisationId: 'S1',
      startDate: '2026-08-15',
      memberships: [{ personId: 'P1' }],
      flags: {},
    });
    snap.groups.set('G-7A', {
      id: 'G-7A',
      displayName: '7A',
      groupType: 'Klass',
      organisationId: 'S1',
      startDate: '2026-08-15',
      memberships: [{ personId: 'P1' }, { personId: 'P1', endDate: d(-30) }],
      flags: {},
    });
    snap.syllabuses.set('SYL-MA', { id: 'SYL-MA', subjectName: 'Matematik', subjectCode: 'MA' });
    snap.syllabuses.set('SYL-MA2', { id: 'SYL-MA2', subjectName: 'Matematik 2', subjectCode: 'MA' });
    const act: Activity = { id: 'A1', displayName: 'Ma 7A', groupIds: ['G-MA'], syllabusId, teachers: [{ dutyId: 'D1' }], startDate: '2026-08-15' };
    snap.activities.set('A1', act);
    return snap;
  }
  const opts = { ...ctx(), exportAddress: false, exportCivicNo: false };

  it('a team is (groupId, syllabusId): a new syllabus on the group is a new team', () => {
    const before = select(world('SYL-MA'), opts).selection.teams.map((t) => t.id);
    const after = select(world('SYL-MA2'), opts).selection.teams.map((t) => t.id);
    expect(before).toContain(teamId('G-MA', 'SYL-MA'));
    expect(after).toContain(teamId('G-MA', 'SYL-MA2'));
    expect(after).not.toContain(teamId('G-MA', 'SYL-MA'));
    expect(before).toContain('G-7A');
  });

  it('puts students from memberships and teachers from activities in the team', () => {
    const r = select(world('SYL-MA'), opts);
    expect(r.selection.memberships.filter((m) => m.teamId === teamId('G-MA', 'SYL-MA'))).toEqual([
      { teamId: teamId('G-MA', 'SYL-MA'), personId: 'P1', role: 'student' },
      { teamId: teamId('G-MA', 'SYL-MA'), personId: 'T1', role: 'teacher' },
    ]);
    expect(r.counts.memberships.excluded['membership.ended']).toBe(1);
    expect(r.counts.guardians.kept).toBe(1);
  });

  it('exports address and civic number only when the customer opts in', () => {
    const off = oneRosterRows(select(world('SYL-MA'), opts).selection)['users.csv'];
    for (const row of off.values()) {
      expect(row['metadata.civicNo']).toBe('');
      expect(row['metadata.streetAddress']).toBe('');
    }
    const on = oneRosterRows(select(world('SYL-MA'), { ...opts, exportAddress: true, exportCivicNo: true }).selection)['users.csv'];
    expect(on.get('P1')!['metadata.civicNo']).toBe('201001012384');
    expect(on.get('P1')!['metadata.streetAddress']).toBe('Skolgatan 1');
    expect(on.get('G1')!['metadata.civicNo']).toBe('198001019802');
    const sdsOff = JSON.stringify(sdsTables(select(world('SYL-MA'), opts).selection));
    expect(sdsOff).not.toContain('201001012384');
    expect(sdsOff).not.toContain('Skolgatan');
  });

  it('keeps default fields: name, e-mail, grade for students, job title for staff, guardian relation', () => {
    const sel = select(world('SYL-MA'), opts).selection;
    const sds = sdsTables(sel);
    expect(sds['users.csv'].rows.find((r) => r.sourcedId === 'P1')).toMatchObject({ givenName: 'Alva', familyName: 'Berg', email: 'alva@skola.se' });
    expect(sds['roles.csv'].rows.find((r) => r.userSourcedId === 'P1')).toMatchObject({ role: 'student', grade: '05', orgSourcedId: 'S1' });
    expect(sds['roles.csv'].rows.find((r) => r.userSourcedId === 'T1')).toMatchObject({ role: 'teacher' });
    expect(sel.people.find((p) => p.id === 'T1')!.roles[0]!.jobTitle).toBe('Lärare');
    expect(sds['relationships.csv'].rows).toEqual([{ userSourcedId: 'P1', relationshipUserSourcedId: 'G1', relationshipRole: 'guardian' }]);
  });
});

describe('output ids and usernames', () => {
  it('keeps letters, digits and - as they are and turns anything else into _hex, so distinct ids stay distinct', () => {
    expect(outputId('3f2a-91c0-AB')).toBe('3f2a-91c0-AB');
    expect(outputId('ST 1')).toBe('ST_201');
    expect(outputId('a_b')).toBe('a_5Fb');
    expect(outputId('Åsa|x~y')).toBe('_C3_85sa_7Cx_7Ey');
    const ids = ['a.b', 'a_2Eb', 'a_b', 'a b', 'a~b', 'a|b', 'ab', 'a-b', 'å', '_C3_A5'];
    const out = ids.map(outputId);
    expect(new Set(out).size).toBe(ids.length);
    for (const x of out) expect(x).toMatch(/^[A-Za-z0-9_-]+$/);
    // Composite ids split unambiguously at `.`: (a.b, c) and (a, b.c) differ.
    expect(compositeId('a.b', 'c')).not.toBe(compositeId('a', 'b.c'));
    expect(teamId('G 1', 'SYL/1')).toBe('G_201.SYL_2F1');
    expect(teamId('G1')).toBe('G1');
  });

  it('makes shared usernames unique, the same way whatever the order, by source, then kind, then id', () => {
    const make = (id: string, username: string, usernameFrom: OutPerson['usernameFrom'], kinds: OutPerson['kinds']): OutPerson => ({
      id,
      givenName: id,
      familyName: 'X',
      username,
      usernameFrom,
      kinds,
      roles: [],
      guardianOf: [],
    });
    const people = () => [
      make('G2', 'familjen@example.se', 'email', ['guardian']),
      make('G1', 'Familjen@example.se', 'email', ['guardian']),
      make('T1', 'familjen@example.se', 'eppn', ['staff']),
      make('S1', 'solo', 'id', ['student']),
      make('S2', 'solo', 'id', ['student']),
    ];
    const a = people();
    const b = people().reverse();
    uniqueUsernames(a);
    uniqueUsernames(b);
    const names = (l: OutPerson[]) => Object.fromEntries(l.map((p) => [p.id, p.username]));
    expect(names(a)).toEqual(names(b));
    expect(names(a).T1).toBe('familjen@example.se'); // an eppn outranks an e-mail
    expect(names(a).G1).toMatch(/^Familjen\+[0-9a-f]{8}@example\.se$/);
    expect(names(a).G2).toMatch(/^familjen\+[0-9a-f]{8}@example\.se$/);
    expect(names(a).S1).toBe('solo');
    expect(names(a).S2).toMatch(/^solo-[0-9a-f]{8}$/);
    expect(new Set(Object.values(names(a)).map((n) => n.toLowerCase())).size).toBe(5);
  });
});

describe('CSV lines read back (the rows state holds each OneRoster row as its bulk line)', () => {
  it('gives the values that write the same line again: quotes, commas, line breaks, empty and missing values', () => {
    const header = ONEROSTER_HEADERS['users.csv'];
    const row = {
      sourcedId: 'P1',
      username: 'anna@example.se',
      givenName: 'Anna "Annie", jr',
      familyName: 'Berg\r\nLund',
      middleName: 'a,b',
      email: '"quoted"',
      agentSourcedIds: 'G1,G2',
      'metadata.streetAddress': 'Gatan 1\n',
    };
    const line = csvLine(header, row);
    const back = parseCsvLine(header, line.slice(0, -2));
    expect(csvLine(header, back)).toBe(line);
    expect(back).toMatchObject({ givenName: 'Anna "Annie", jr', middleName: 'a,b', email: '"quoted"', agentSourcedIds: 'G1,G2', status: '' });
    expect(Object.keys(back)).toEqual([...header]);
  });
});
