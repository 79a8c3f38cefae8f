/**
 * Consent scoping as a property: random worlds (units, people with relations, groups, activities),
 * random grants and approved categories, and random request sequences (endpoint, paging, filters,
 * expand, lookups, single reads). The union of what the API returns must equal exactly what the
 * policy allows — no leak, no silent loss — and protected identities never release their fields.
 *
 * The oracle is written here from DOMAIN.md §4 and the SS 12000 data model, not from the server's
 * release policy (src/modules/ss12000/release.ts): it would share that list's blind spots. Every
 * identifying value of a person is unique and searched for as text in everything the API answered,
 * and every body also carries members that no declaration names (top-level and nested, planted in
 * the store as an older version could have left them), which must never come out.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { sql } from 'kysely';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { refreshReleaseParts } from '../../src/modules/ss12000/release-store.ts';
import type { Activity, Duty, Group, Organisation, Person, Placement, Syllabus } from '../../src/modules/ss12000/schemas.ts';
import { createApp, ensureInstitutions, grantAll, protectedLeaks, Ss12000Client } from './support.ts';

const harness = useHarness();
const CATEGORIES = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
const MARKINGS = ['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring'] as const;
let codeSeq = 400000 + Math.floor(Math.random() * 100000);

interface Shape {
  units: number;
  persons: { marking: number; enrol: number[]; guardianOf: number[] }[];
  placements: { child: number; unit: number; owners: number[] }[];
  duties: { person: number; unit: number; mentorOf: number[] }[];
  groups: { unit: number; members: number[] }[];
  activities: { unit: number; groups: number[]; teachers: number[] }[];
  studentGrants: number[];
  staffGrants: number[];
  students: string[];
  staff: string[];
}

const shapeArb = fc.record({ units: fc.integer({ min: 1, max: 3 }), persons: fc.integer({ min: 2, max: 14 }) }).chain(({ units, persons }) => {
  const unit = fc.integer({ min: 0, max: units - 1 });
  const unitIndices = Array.from({ length: units }, (_, i) => i);
  const person = fc.integer({ min: 0, max: persons - 1 });
  return fc.record({
    units: fc.constant(units),
    persons: fc.array(
      fc.record({
        marking: fc.integer({ min: 0, max: 2 }),
        enrol: fc.uniqueArray(unit, { maxLength: 2 }),
        guardianOf: fc.uniqueArray(person, { maxLength: 2 }),
      }),
      { minLength: persons, maxLength: persons },
    ),
    placements: fc.array(fc.record({ child: person, unit, owners: fc.uniqueArray(person, { maxLength: 2 }) }), { maxLength: 3 }),
    duties: fc.array(fc.record({ person, unit, mentorOf: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }) }), { maxLength: 4 }),
    groups: fc.array(fc.record({ unit, members: fc.uniqueArray(person, { maxLength: 4 }) }), { minLength: 1, maxLength: 4 }),
    activities: fc.array(
      fc.record({
        unit,
        groups: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
        teachers: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      }),
      { maxLength: 3 },
    ),
    // Each unit granted under each API or not, independently (a unit granted under one API only is
    // where the other API's members must be withheld).
    studentGrants: fc.subarray(unitIndices),
    staffGrants: fc.subarray(unitIndices),
    students: fc.subarray(CATEGORIES),
    staff: fc.subarray(CATEGORIES.filter((c) => c !== 'guardians')),
  });
});

const requestArb = fc.oneof(
  fc.record({
    kind: fc.constant('crawl' as const),
    endpoint: fc.constantFrom('organisations', 'persons', 'placements', 'duties', 'groups', 'activities', 'syllabuses'),
    limit: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('expand' as const),
    path: fc.constantFrom(
      '/persons?expand=duties,responsibleFor,placements,ownedPlacements,groupMemberships&expandReferenceNames=true',
      '/placements?expand=child,owners&expandReferenceNames=true',
      '/duties?expand=person&expandReferenceNames=true',
      '/groups?expand=assignmentRoles&expandReferenceNames=true',
      '/activities?expand=groups,teachers,syllabus&expandReferenceNames=true',
    ),
  }),
  fc.record({ kind: fc.constant('lookup' as const), endpoint: fc.constantFrom('persons', 'groups', 'duties', 'placements', 'activities'), seed: fc.nat() }),
  fc.record({ kind: fc.constant('one' as const), endpoint: fc.constantFrom('persons', 'groups', 'duties', 'organisations'), seed: fc.nat() }),
  fc.record({ kind: fc.constant('filtered' as const), seed: fc.nat() }),
  fc.record({
    kind: fc.constant('withheld' as const),
    seed: fc.nat(),
    by: fc.constantFrom('civicNo', 'eduPersonPrincipalName', 'identifier.value', 'identifier.context', 'civicNos'),
  }),
  fc.record({ kind: fc.constant('sorted' as const), desc: fc.boolean(), limit: fc.integer({ min: 1, max: 4 }) }),
);

function build(shape: Shape) {
  const codes = Array.from({ length: shape.units }, () => String(codeSeq++));
  const owner: Organisation = { id: randomUUID(), displayName: 'Huvudman', organisationType: 'Huvudman' };
  const units: Organisation[] = codes.map((code, i) => ({
    id: randomUUID(),
    displayName: `Enhet ${i}`,
    organisationType: 'Skolenhet',
    organisationCode: code,
    parentOrganisation: { id: owner.id },
    schoolTypes: ['GR'],
  }));
  const syllabus: Syllabus = { id: randomUUID(), schoolType: 'GR', subjectName: 'Matematik', subjectCode: 'MA', official: true };
  const tag = randomUUID().slice(0, 8);
  const persons: Person[] = shape.persons.map((p, i) => ({
    id: randomUUID(),
    givenName: `Förnamn${i}`,
    familyName: `Efternamn${i}`,
    // Every identifying value unique (per person and run), so that it can be looked for as text.
    civicNo: { value: `2010${tag}${String(1000 + i)}` },
    birthDate: '2010-01-01',
    sex: 'Kvinna',
    securityMarking: MARKINGS[p.marking],
    eduPersonPrincipalNames: [`eppn${i}.${tag}@skola.se`],
    externalIdentifiers: [{ value: `ext-${i}-${tag}`, context: `ctx-${tag}`, globallyUnique: true }],
    emails: [
      { value: `private${i}.${tag}@example.se`, type: 'Privat' },
      { value: `school${i}.${tag}@skola.se`, type: 'Skola elev' },
    ],
    phoneNumbers: [{ value: `+4670${tag}${i}`, type: 'Hem', mobile: true }],
    addresses: [{ streetAddress: `Storgatan ${tag}-${i}`, locality: 'Umeå', postalCode: '90325', country: 'Sverige' }],
    photo: `https://example.se/photo-${tag}-${i}.jpg`,
    enrolments: p.enrol.map((u) => ({ enroledAt: { id: units[u]!.id }, schoolType: 'GR' as const, startDate: '2026-08-18' })),
  }));
  // Responsibles: person i is guardian of persons in guardianOf (never of themselves).
  shape.persons.forEach((p, i) => {
    for (const child of p.guardianOf) {
      if (child === i) continue;
      (persons[child]!.responsibles ??= []).push({ person: { id: persons[i]!.id }, relationType: 'Vårdnadshavare' });
    }
  });
  const groups: Group[] = shape.groups.map((g, i) => ({
    id: randomUUID(),
    displayName: `Grupp ${i}`,
    startDate: '2026-08-18',
    groupType: 'Klass',
    organisation: { id: units[g.unit]!.id },
    groupMemberships: g.members.map((m) => ({ person: { id: persons[m]!.id } })),
  }));
  const placements: Placement[] = shape.placements.map((p) => ({
    id: randomUUID(),
    placedAt: { id: units[p.unit]!.id },
    child: { id: persons[p.child]!.id },
    owners: p.owners.filter((o) => o !== p.child).map((o) => ({ id: persons[o]!.id })),
    schoolType: 'FS',
    startDate: '2026-08-18',
  }));
  const duties: Duty[] = shape.duties.map((d) => ({
    id: randomUUID(),
    person: { id: persons[d.person]!.id },
    dutyAt: { id: units[d.unit]!.id },
    dutyRole: 'Lärare',
    startDate: '2020-08-01',
    assignmentRole: d.mentorOf.filter((g) => g < groups.length).map((g) => ({ group: { id: groups[g]!.id }, assignmentRoleType: 'Mentor' as const })),
  }));
  const activities: Activity[] = shape.activities.map((a, i) => ({
    id: randomUUID(),
    displayName: `Aktivitet ${i}`,
    calendarEventsRequired: false,
    startDate: '2026-08-18',
    groups: a.groups.filter((g) => g < groups.length).map((g) => ({ id: groups[g]!.id })),
    teachers: a.teachers.filter((t) => t < duties.length).map((t) => ({ duty: { id: duties[t]!.id } })),
    syllabus: { id: syllabus.id },
    organisation: { id: units[a.unit]!.id },
  }));
  return { codes, organisations: [owner, ...units], units, persons, groups, placements, duties, activities, syllabuses: [syllabus] };
}

type Built = ReturnType<typeof build>;

/** The policy, written independently of the server. */
function policy(w: Built, shape: Shape) {
  const S = new Set(shape.studentGrants.map((u) => w.units[u]!.id));
  const T = new Set(shape.staffGrants.map((u) => w.units[u]!.id));
  const all = new Set([...S, ...T]);
  const guardians = shape.students.includes('guardians');
  const student = new Set<string>();
  const guardian = new Set<string>();
  for (const p of w.persons) {
    if (!(p.enrolments ?? []).some((e) => S.has(e.enroledAt.id))) continue;
    student.add(p.id);
    if (guardians) for (const r of p.responsibles ?? []) guardian.add(r.person.id);
  }
  for (const pl of w.placements) {
    if (!S.has(pl.placedAt.id)) continue;
    student.add(pl.child.id);
    if (guardians) for (const o of pl.owners ?? []) guardian.add(o.id);
  }
  const staff = new Set(w.duties.filter((d) => T.has(d.dutyAt.id)).map((d) => d.person!.id));
  const ids = <T extends { id: string }>(list: T[], keep: (x: T) => boolean) => new Set(list.filter(keep).map((x) => x.id));
  return {
    student,
    staff,
    guardian,
    sets: {
      organisations: ids(w.units, (u) => all.has(u.id)),
      persons: new Set([...student, ...staff, ...guardian]),
      placements: ids(w.placements, (p) => S.has(p.placedAt.id)),
      duties: ids(w.duties, (d) => T.has(d.dutyAt.id)),
      groups: ids(w.groups, (g) => all.has(g.organisation.id)),
      activities: ids(w.activities, (a) => all.has(a.organisation.id)),
      syllabuses: ids(w.syllabuses, () => all.size > 0),
    } as Record<'organisations' | 'persons' | 'placements' | 'duties' | 'groups' | 'activities' | 'syllabuses', Set<string>> & Record<string, Set<string>>,
    categories(id: string) {
      const out = new Set<string>();
      if (student.has(id) || guardian.has(id)) shape.students.forEach((c) => out.add(c));
      if (staff.has(id)) shape.staff.forEach((c) => out.add(c));
      return out;
    },
  };
}

/** Members of a person that SS 12000 defines and this gateway may ever serve (the spec's data model). */
const PERSON_MEMBERS = new Set([
  'meta',
  'id',
  'givenName',
  'middleName',
  'familyName',
  'eduPersonPrincipalNames',
  'externalIdentifiers',
  'civicNo',
  'birthDate',
  'sex',
  'securityMarking',
  'personStatus',
  'emails',
  'phoneNumbers',
  'addresses',
  'photo',
  'enrolments',
  'responsibles',
  '_embedded',
]);
const SHIELDED = 'Skyddad folkbokföring';
const SECRET = 'Sekretessmarkering';
/**
 * DOMAIN §4 and our documented reading of it: with `Skyddad folkbokföring` nothing that identifies or
 * reaches the person outside the school (civic number, addresses, phones, every e-mail, EPPN,
 * external identifiers, photo); with `Sekretessmarkering` what the population register holds (civic
 * number, addresses, phones, private e-mail).
 */
const PERSON_FIELDS: Record<string, { category?: string; withheldUnder: string[] }> = {
  civicNo: { category: 'civic_number', withheldUnder: [SHIELDED, SECRET] },
  birthDate: { category: 'birth_date', withheldUnder: [] },
  sex: { category: 'sex', withheldUnder: [] },
  addresses: { category: 'addresses', withheldUnder: [SHIELDED, SECRET] },
  phoneNumbers: { category: 'phone_numbers', withheldUnder: [SHIELDED, SECRET] },
  photo: { category: 'photo', withheldUnder: [SHIELDED] },
  eduPersonPrincipalNames: { withheldUnder: [SHIELDED] },
  externalIdentifiers: { withheldUnder: [SHIELDED] },
};
const UNKNOWN = 'UNKNOWN-MEMBER-SENTINEL';

/** Plants members that no declaration names into the stored bodies (top level and nested), as an older version might have left them. */
async function plantUnknownMembers(ctx: Parameters<typeof ingestBatch>[0], w: Built): Promise<void> {
  const plant = async (table: string, type: Parameters<typeof refreshReleaseParts>[1], ids: string[], nested: string[]) => {
    if (!ids.length) return;
    let body = sql`body || jsonb_build_object('secretNote', ${UNKNOWN + '-top'}::text)`;
    for (const key of nested) body = sql`jsonb_set(${body}, ${`{${key},0,hiddenExtra}`}::text[], to_jsonb(${UNKNOWN + '-nested'}::text), true)`;
    await sql`UPDATE ${sql.table(table)} SET body = ${body} WHERE id = ANY(${ids}::uuid[])`.execute(ctx.db);
    await refreshReleaseParts(ctx.db, type, ids);
  };
  await plant(
    'ss12000_persons',
    'persons',
    w.persons.map((p) => p.id),
    ['enrolments', 'addresses', 'emails', 'externalIdentifiers'],
  );
  await plant(
    'ss12000_groups',
    'groups',
    w.groups.map((g) => g.id),
    ['groupMemberships'],
  );
  await plant(
    'ss12000_activities',
    'activities',
    w.activities.map((a) => a.id),
    ['teachers', 'groups'],
  );
  await plant(
    'ss12000_placements',
    'placements',
    w.placements.map((p) => p.id),
    ['owners'],
  );
  await plant(
    'ss12000_duties',
    'duties',
    w.duties.map((d) => d.id),
    ['assignmentRole'],
  );
  await plant(
    'ss12000_organisations',
    'organisations',
    w.units.map((u) => u.id),
    [],
  );
}

describe('consent scoping (property)', () => {
  it('returns exactly what the policy allows, over random worlds, grants and request sequences', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.array(requestArb, { minLength: 3, maxLength: 8 }), async (shape, requests) => {
        const w = build(shape);
        await ensureInstitutions(ctx, w.codes);
        // Members the policy does not know, sent by the SIS (ingestion drops them) …
        const withUnknown = w.persons.map((p) => ({
          ...p,
          schoolNurseNote: `${UNKNOWN}-ingested`,
          addresses: p.addresses!.map((a) => ({ ...a, gateCode: `${UNKNOWN}-ingested` })),
        }));
        await ingestBatch(
          ctx,
          {
            upsert: {
              organisations: w.organisations,
              syllabuses: w.syllabuses,
              persons: withUnknown,
              groups: w.groups,
              duties: w.duties,
              placements: w.placements,
              activities: w.activities,
            },
          },
          { id: null, label: 'property', kind: 'system' },
        );
        // … and left in the store by an older version (the release parts are computed again).
        await plantUnknownMembers(ctx, w);
        const app = await createApp(ctx, { students: shape.students, staff: shape.staff });
        await grantAll(
          ctx,
          app.clientId,
          'students',
          shape.studentGrants.map((u) => w.codes[u]!),
        );
        await grantAll(
          ctx,
          app.clientId,
          'staff',
          shape.staffGrants.map((u) => w.codes[u]!),
        );
        const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
        const allowed = policy(w, shape);
        const protectedIds = new Set(w.persons.filter((p) => p.securityMarking === 'Skyddad folkbokföring').map((p) => p.id));
        // Entities of other runs share the store: compare within this world's ids only where global.
        const worldIds: Record<string, Set<string>> = {
          organisations: new Set(w.units.map((u) => u.id)),
          persons: new Set(w.persons.map((p) => p.id)),
          placements: new Set(w.placements.map((p) => p.id)),
          duties: new Set(w.duties.map((d) => d.id)),
          groups: new Set(w.groups.map((g) => g.id)),
          activities: new Set(w.activities.map((a) => a.id)),
          syllabuses: new Set(w.syllabuses.map((s) => s.id)),
        };
        const everything: unknown[] = [];
        const markingOf = new Map(w.persons.map((p) => [p.id, p.securityMarking as string]));
        /** Whether a person-field is released to this app for person `id` (independent oracle). */
        const released = (id: string, field: string) => {
          const rule = PERSON_FIELDS[field]!;
          return (!rule.category || allowed.categories(id).has(rule.category)) && !rule.withheldUnder.includes(markingOf.get(id)!);
        };
        const checkPerson = (p: Record<string, any>) => {
          expect(allowed.sets.persons.has(p.id), `person ${p.id} is not allowed`).toBe(true);
          const cats = allowed.categories(p.id);
          const marking = markingOf.get(p.id)!;
          for (const key of Object.keys(p)) expect(PERSON_MEMBERS.has(key), `member ${key} of person ${p.id}`).toBe(true);
          for (const field of Object.keys(PERSON_FIELDS)) expect(field in p, `${field} of ${p.id} (${marking})`).toBe(released(p.id, field));
          const privateMail = (p.emails ?? []).some((e: { type: string }) => e.type === 'Privat');
          expect(privateMail, `private e-mail of ${p.id}`).toBe(cats.has('private_email') && marking !== SHIELDED && marking !== SECRET);
          const schoolMail = (p.emails ?? []).some((e: { type: string }) => e.type !== 'Privat');
          expect(schoolMail, `school e-mail of ${p.id}`).toBe(marking !== SHIELDED);
          expect('responsibles' in p).toBe(
            allowed.student.has(p.id) && shape.students.includes('guardians') && !!w.persons.find((x) => x.id === p.id)!.responsibles?.length,
          );
          // Enrolments: a student's, only those at units granted under the students API, absent when none.
          const studentUnits = new Set(shape.studentGrants.map((u) => w.units[u]!.id));
          const expected = allowed.student.has(p.id)
            ? (w.persons.find((x) => x.id === p.id)!.enrolments ?? []).filter((e) => studentUnits.has(e.enroledAt.id))
            : [];
          const units = (list: { enroledAt: { id: string } }[]) => list.map((e) => e.enroledAt.id);
          if (expected.length) expect(units(p.enrolments ?? []), `enrolments of ${p.id}`).toEqual(units(expected));
          else expect('enrolments' in p, `enrolments of ${p.id}`).toBe(false);
        };
        // Members that are another API's data: a group's memberships (students API at the group's
        // unit), an activity's teachers (staff API at its unit), a placement's owners (guardians).
        const studentGrantIds = new Set(shape.studentGrants.map((u) => w.units[u]!.id));
        const staffGrantIds = new Set(shape.staffGrants.map((u) => w.units[u]!.id));
        const checkMembers = (endpoint: string, item: Record<string, any>) => {
          const byId = <T extends { id: string }>(list: T[]) => list.find((x) => x.id === item.id);
          if (endpoint === 'groups') {
            const g = byId(w.groups);
            if (!g) return;
            const shown = studentGrantIds.has(g.organisation.id);
            expect('groupMemberships' in item, `memberships of group ${item.id}`).toBe(shown);
            if (shown) expect(item.groupMemberships).toEqual(g.groupMemberships);
          } else if (endpoint === 'activities') {
            const a = byId(w.activities);
            if (!a) return;
            expect('teachers' in item, `teachers of activity ${item.id}`).toBe(staffGrantIds.has(a.organisation.id));
          } else if (endpoint === 'placements') {
            if (!byId(w.placements)) return;
            expect('owners' in item, `owners of placement ${item.id}`).toBe(shape.students.includes('guardians'));
          }
        };
        for (const r of requests) {
          if (r.kind === 'crawl') {
            const { items } = await c.crawl(`/${r.endpoint}`, r.limit);
            everything.push(items);
            const ids = items.map((i) => i.id);
            expect(new Set(ids).size, 'no duplicates across pages').toBe(ids.length);
            // Every returned id is allowed (other worlds' entities were never granted to this app) …
            for (const id of ids) if (r.endpoint !== 'syllabuses') expect(allowed.sets[r.endpoint]!.has(id), `${r.endpoint} ${id} leaked`).toBe(true);
            // … and every allowed one is returned.
            const mine = new Set(ids.filter((id) => worldIds[r.endpoint]!.has(id)));
            expect(mine, `${r.endpoint} of this world`).toEqual(allowed.sets[r.endpoint]);
            if (r.endpoint === 'persons') items.forEach(checkPerson);
            else items.forEach((i) => checkMembers(r.endpoint, i));
          } else if (r.kind === 'expand') {
            const res = await c.get(`${r.path}&limit=1000`);
            expect(res.status).toBe(200);
            everything.push(res.body);
            const walk = (v: unknown, key?: string) => {
              if (Array.isArray(v)) return v.forEach((x) => walk(x, key));
              if (!v || typeof v !== 'object') return;
              const o = v as Record<string, any>;
              if (key && ['child', 'owners', 'person'].includes(key) && o.givenName) checkPerson(o);
              if (o._embedded) for (const [k, val] of Object.entries(o._embedded)) walk(val, k);
            };
            walk(res.body.data);
          } else if (r.kind === 'lookup') {
            const pool = worldIds[r.endpoint]!;
            const ids = [...pool].filter((_, i) => (r.seed >> (i % 20)) & 1 || i % 3 === 0);
            const res = await c.request('POST', `/${r.endpoint}/lookup`, { ids });
            expect(res.status).toBe(200);
            everything.push(res.body);
            expect(new Set(res.body.map((x: { id: string }) => x.id))).toEqual(new Set(ids.filter((id) => allowed.sets[r.endpoint]!.has(id))));
            if (r.endpoint === 'persons') res.body.forEach(checkPerson);
            else res.body.forEach((i: Record<string, any>) => checkMembers(r.endpoint, i));
          } else if (r.kind === 'one') {
            const pool = [...worldIds[r.endpoint]!];
            const id = pool[r.seed % pool.length];
            if (!id) continue;
            const res = await c.get(`/${r.endpoint}/${id}`);
            expect(res.status, `${r.endpoint}/${id}`).toBe(allowed.sets[r.endpoint]!.has(id) ? 200 : 404);
            everything.push(res.body);
            if (res.status === 200 && r.endpoint === 'persons') checkPerson(res.body);
            else if (res.status === 200) checkMembers(r.endpoint, res.body);
          } else if (r.kind === 'withheld') {
            // A filter or lookup on a withheld field finds nobody through it (protected identity included).
            const p = w.persons[r.seed % w.persons.length]!;
            const field = r.by === 'eduPersonPrincipalName' ? 'eduPersonPrincipalNames' : r.by.startsWith('identifier') ? 'externalIdentifiers' : 'civicNo';
            const value =
              r.by === 'civicNo' || r.by === 'civicNos'
                ? p.civicNo!.value
                : r.by === 'eduPersonPrincipalName'
                  ? p.eduPersonPrincipalNames![0]!
                  : r.by === 'identifier.value'
                    ? p.externalIdentifiers![0]!.value
                    : p.externalIdentifiers![0]!.context;
            const res =
              r.by === 'civicNos'
                ? await c.request('POST', '/persons/lookup', { civicNos: [value] })
                : await c.get(`/persons?${r.by}=${encodeURIComponent(value)}&limit=1000`);
            expect(res.status).toBe(200);
            everything.push(res.body);
            const found = (r.by === 'civicNos' ? res.body : res.body.data).map((x: { id: string }) => x.id).filter((id: string) => worldIds.persons!.has(id));
            // identifier.context is shared by the whole world: every person whose identifiers are released.
            const expected =
              r.by === 'identifier.context'
                ? w.persons.filter((x) => allowed.sets.persons.has(x.id) && released(x.id, field)).map((x) => x.id)
                : allowed.sets.persons.has(p.id) && released(p.id, field)
                  ? [p.id]
                  : [];
            expect(new Set(found), `${r.by} finds`).toEqual(new Set(expected));
          } else if (r.kind === 'sorted') {
            // Sorting by civic number orders only those whose number is released to the app; the rest
            // sort as if they had none (then by id), so the order tells nothing about their numbers.
            const { items } = await c.crawl(`/persons?sortkey=${r.desc ? 'CivicNoDesc' : 'CivicNoAsc'}`, r.limit);
            everything.push(items);
            const mine = items.map((i) => i.id as string).filter((id) => worldIds.persons!.has(id));
            const key = (id: string) => (released(id, 'civicNo') ? w.persons.find((x) => x.id === id)!.civicNo!.value : '');
            const expected = [...allowed.sets.persons].sort((a, b) => {
              const ka = key(a),
                kb = key(b);
              const byKey = ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
              return r.desc ? -byKey : byKey;
            });
            expect(mine, 'civic number order').toEqual(expected);
          } else {
            // A filter never widens what is visible: persons related to a unit of this world.
            const unit = w.units[r.seed % w.units.length]!;
            const res = await c.crawl(`/persons?relationship.organisation=${unit.id}`, 3);
            everything.push(res.items);
            for (const p of res.items) expect(allowed.sets.persons.has(p.id)).toBe(true);
          }
        }
        // Whatever the random requests happened to touch: every entity the app may see, once, checked whole.
        for (const endpoint of ['organisations', 'persons', 'placements', 'duties', 'groups', 'activities'] as const) {
          const { items } = await c.crawl(`/${endpoint}`, 1000);
          everything.push(items);
          expect(new Set(items.map((i) => i.id).filter((id) => worldIds[endpoint]!.has(id))), `${endpoint} of this world`).toEqual(allowed.sets[endpoint]);
          for (const item of items)
            if (endpoint === 'persons') checkPerson(item);
            else checkMembers(endpoint, item);
        }
        expect(protectedLeaks(everything, protectedIds)).toEqual([]);
        // No member that no declaration names, and no withheld identifying value, anywhere as text.
        const text = JSON.stringify(everything);
        expect(text.includes(UNKNOWN), 'an unknown member came out').toBe(false);
        for (const p of w.persons) {
          const secret = p.securityMarking === SHIELDED || p.securityMarking === SECRET;
          const values = secret ? [p.civicNo!.value, p.phoneNumbers![0]!.value, p.addresses![0]!.streetAddress, p.emails![0]!.value] : [];
          if (p.securityMarking === SHIELDED) values.push(p.eduPersonPrincipalNames![0]!, p.externalIdentifiers![0]!.value, p.emails![1]!.value, p.photo!);
          for (const v of values) expect(text.includes(v), `${p.securityMarking} person ${p.id}: ${v} came out`).toBe(false);
        }
      }),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? 20261122), endOnFailure: true },
    );
  }, 240_000);
});
