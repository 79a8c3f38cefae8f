/**
 * Consent scoping as a property: random worlds (units, people with relations, groups, activities),
 * random grants and approved categories, and random request sequences (endpoint, paging, filters,
 * expand, lookups, single reads). The union of what the API returns must equal exactly what the
 * policy allows — no leak, no silent loss — and protected identities never release their fields.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
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

const shapeArb = fc
  .record({ units: fc.integer({ min: 1, max: 3 }), persons: fc.integer({ min: 2, max: 14 }) })
  .chain(({ units, persons }) => {
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
      activities: fc.array(fc.record({ unit, groups: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }), teachers: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }) }), { maxLength: 3 }),
      // Each unit granted under each API or not, independently (a unit granted under one API only is
      // where the other API's members must be withheld).
      studentGrants: fc.subarray(unitIndices),
      staffGrants: fc.subarray(unitIndices),
      students: fc.subarray(CATEGORIES),
      staff: fc.subarray(CATEGORIES.filter((c) => c !== 'guardians')),
    });
  });

const requestArb = fc.oneof(
  fc.record({ kind: fc.constant('crawl' as const), endpoint: fc.constantFrom('organisations', 'persons', 'placements', 'duties', 'groups', 'activities', 'syllabuses'), limit: fc.integer({ min: 1, max: 5 }) }),
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
  const persons: Person[] = shape.persons.map((p, i) => ({
    id: randomUUID(),
    givenName: `Förnamn${i}`,
    familyName: `Efternamn${i}`,
    civicNo: { value: `20100101${String(1000 + i)}` },
    birthDate: '2010-01-01',
    sex: 'Kvinna',
    securityMarking: MARKINGS[p.marking],
    emails: [{ value: `p${i}@example.se`, type: 'Privat' }, { value: `p${i}@skola.se`, type: 'Skola elev' }],
    phoneNumbers: [{ value: '+46701234567', type: 'Hem', mobile: true }],
    addresses: [{ streetAddress: 'Storgatan 1', locality: 'Umeå', postalCode: '90325', country: 'Sverige' }],
    photo: 'https://example.se/p.jpg',
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

const FIELD_CATEGORY: Record<string, string> = {
  civicNo: 'civic_number',
  birthDate: 'birth_date',
  sex: 'sex',
  addresses: 'addresses',
  phoneNumbers: 'phone_numbers',
  photo: 'photo',
};

describe('consent scoping (property)', () => {
  it('returns exactly what the policy allows, over random worlds, grants and request sequences', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.array(requestArb, { minLength: 3, maxLength: 8 }), async (shape, requests) => {
        const w = build(shape);
        await ensureInstitutions(ctx, w.codes);
        await ingestBatch(
          ctx,
          { upsert: { organisations: w.organisations, syllabuses: w.syllabuses, persons: w.persons, groups: w.groups, duties: w.duties, placements: w.placements, activities: w.activities } },
          { id: null, label: 'property', kind: 'system' },
        );
        const app = await createApp(ctx, { students: shape.students, staff: shape.staff });
        await grantAll(ctx, app.clientId, 'students', shape.studentGrants.map((u) => w.codes[u]!));
        await grantAll(ctx, app.clientId, 'staff', shape.staffGrants.map((u) => w.codes[u]!));
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
        const checkPerson = (p: Record<string, any>) => {
          expect(allowed.sets.persons.has(p.id), `person ${p.id} is not allowed`).toBe(true);
          const cats = allowed.categories(p.id);
          const shielded = protectedIds.has(p.id);
          for (const [field, cat] of Object.entries(FIELD_CATEGORY)) {
            const expectPresent = cats.has(cat) && !(shielded && ['civicNo', 'addresses', 'phoneNumbers'].includes(field));
            expect(field in p, `${field} of ${p.id}`).toBe(expectPresent);
          }
          const privateMail = (p.emails ?? []).some((e: { type: string }) => e.type === 'Privat');
          expect(privateMail).toBe(cats.has('private_email') && !shielded);
          expect('responsibles' in p).toBe(allowed.student.has(p.id) && shape.students.includes('guardians') && !!w.persons.find((x) => x.id === p.id)!.responsibles?.length);
          // Enrolments: a student's, only those at units granted under the students API, absent when none.
          const studentUnits = new Set(shape.studentGrants.map((u) => w.units[u]!.id));
          const expected = allowed.student.has(p.id) ? (w.persons.find((x) => x.id === p.id)!.enrolments ?? []).filter((e) => studentUnits.has(e.enroledAt.id)) : [];
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
          } else {
            // A filter never widens what is visible: persons related to a unit of this world.
            const unit = w.units[r.seed % w.units.length]!;
            const res = await c.crawl(`/persons?relationship.organisation=${unit.id}`, 3);
            everything.push(res.items);
            for (const p of res.items) expect(allowed.sets.persons.has(p.id)).toBe(true);
          }
        }
        // Whatever the random requests happened to touch: every entity the app may see, once, checked whole.
        for (const endpoint of ['persons', 'placements', 'groups', 'activities'] as const) {
          const { items } = await c.crawl(`/${endpoint}`, 1000);
          everything.push(items);
          expect(new Set(items.map((i) => i.id).filter((id) => worldIds[endpoint]!.has(id))), `${endpoint} of this world`).toEqual(allowed.sets[endpoint]);
          for (const item of items) if (endpoint === 'persons') checkPerson(item);
          else checkMembers(endpoint, item);
        }
        expect(protectedLeaks(everything, protectedIds)).toEqual([]);
      }),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? 20261122), endOnFailure: true },
    );
  }, 240_000);
});
