import { describe, expect, it } from 'vitest';
import type { ModuleRight } from '../../db/schema.ts';
import { AppSubject } from '../apps/policies.ts';
import { authorize, can, Grant, Institution, type AdminScope, type GrantSubject, type PolicyActor } from './policies.ts';

/** A school admin holding `rights` on institution 001057 and invoicing on access group G1 this year. */
const scope = (rights: ModuleRight[]): AdminScope => ({
  schoolYear: 2026,
  institutions: new Map([['001057', { name: 'Sint-Jozef', rights: new Set(rights) }]]),
  accessGroups: new Map([['g1', { name: 'Facturatie Brugge', rights: new Set<ModuleRight>(['invoicing_admin']) }]]),
});

const actors = {
  anonymous: { kind: 'anonymous' },
  operator: { kind: 'operator' },
  partnerA: { kind: 'partner', partnerId: 'partner-a' },
  partnerB: { kind: 'partner', partnerId: 'partner-b' },
  partnerWithoutProfile: { kind: 'partner', partnerId: null },
  studentsAdmin: { kind: 'school', user: { user_management_access: true }, scope: scope(['iLeerlingen']) },
  staffAdmin: { kind: 'school', user: { user_management_access: true }, scope: scope(['iPersoneel']) },
  teacher: { kind: 'school', user: { user_management_access: false }, scope: scope(['iLeerlingen']) },
} satisfies Record<string, PolicyActor>;
type ActorName = keyof typeof actors;

const students = { grant_target: 'institution', required_rights: ['iBasis', 'iLeerlingen'] } as const;
const invoices = { grant_target: 'access_group', required_rights: ['invoicing_admin'] } as const;
const grant = (over: Partial<GrantSubject>): GrantSubject => ({
  api: { ...students, required_rights: [...students.required_rights] },
  clientOrigin: 'app',
  app: { status: 'approved' },
  institution_number: '001057',
  access_group_id: null,
  ...over,
});
const grants = {
  ownSchool: grant({}),
  otherSchool: grant({ institution_number: '099999' }),
  suspendedApp: grant({ app: { status: 'suspended' } }),
  legacyUnlinked: grant({ clientOrigin: 'legacy', app: null }),
  legacyLinked: grant({ clientOrigin: 'legacy' }),
  invoicesOwnGroup: grant({ api: { ...invoices, required_rights: [...invoices.required_rights] }, institution_number: null, access_group_id: 'g1' }),
};
type GrantName = keyof typeof grants;

/** Who may read / change which grant: every actor × subject pair not listed is denied both. */
const grantTable: [ActorName, GrantName, read: boolean, change: boolean][] = [
  ['operator', 'ownSchool', true, false],
  ['operator', 'otherSchool', true, false],
  ['operator', 'suspendedApp', true, false],
  ['operator', 'legacyUnlinked', true, true],
  ['operator', 'legacyLinked', true, true],
  ['operator', 'invoicesOwnGroup', true, false],
  ['studentsAdmin', 'ownSchool', true, true],
  ['studentsAdmin', 'suspendedApp', true, false],
  ['studentsAdmin', 'legacyUnlinked', true, false],
  ['studentsAdmin', 'legacyLinked', true, true],
  ['studentsAdmin', 'invoicesOwnGroup', true, true],
  ['staffAdmin', 'ownSchool', true, false],
  ['staffAdmin', 'suspendedApp', true, false],
  ['staffAdmin', 'legacyUnlinked', true, false],
  ['staffAdmin', 'legacyLinked', true, false],
  ['staffAdmin', 'invoicesOwnGroup', true, true],
];

describe('Grant rules', () => {
  const expected = new Map(grantTable.map(([a, g, read, change]) => [`${a}|${g}`, { read, change }]));
  const cases = (Object.keys(actors) as ActorName[]).flatMap((a) => (Object.keys(grants) as GrantName[]).map((g) => [a, g] as const));
  it.each(cases)('%s on %s', (a, g) => {
    const want = expected.get(`${a}|${g}`) ?? { read: false, change: false };
    expect({ read: can(actors[a], 'read', Grant, grants[g]), change: can(actors[a], 'change', Grant, grants[g]) }).toEqual(want);
  });
});

describe('Institution rules', () => {
  const table: [ActorName, string, boolean][] = [
    ['operator', '001057', true],
    ['operator', '099999', true],
    ['studentsAdmin', '001057', true],
    ['studentsAdmin', '099999', false],
    ['staffAdmin', '001057', true],
    ['teacher', '001057', false],
    ['partnerA', '001057', false],
    ['anonymous', '001057', false],
  ];
  it.each(table)('%s reads %s: %s', (a, number, allowed) => {
    expect(can(actors[a], 'read', Institution, { institution_number: number, access_group_id: null })).toBe(allowed);
  });
});

describe('App rules', () => {
  const app = { partner_id: 'partner-a' };
  const table: [ActorName, 'read' | 'update', boolean][] = [
    ['partnerA', 'read', true],
    ['partnerA', 'update', true],
    ['partnerB', 'read', false],
    ['partnerB', 'update', false],
    ['partnerWithoutProfile', 'read', false],
    ['operator', 'read', true],
    ['operator', 'update', false],
    ['studentsAdmin', 'read', false],
    ['anonymous', 'read', false],
  ];
  it.each(table)('%s %s: %s', (a, action, allowed) => {
    expect(can(actors[a], action, AppSubject, app)).toBe(allowed);
  });

  it("authorize: another partner's app is a 404, not a 403; what one may read but not change is a 403", () => {
    expect(() => authorize(actors.partnerB, 'update', AppSubject, app)).toThrow(expect.objectContaining({ status: 404, code: 'app_not_found' }));
    expect(() => authorize(actors.operator, 'update', AppSubject, app)).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => authorize(actors.partnerA, 'update', AppSubject, app)).not.toThrow();
  });
});
