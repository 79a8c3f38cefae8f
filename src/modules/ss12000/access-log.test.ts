import { describe, expect, it } from 'vitest';
import { tally } from './access-log.ts';
import type { Scope } from './scope.ts';

/**
 * What one read records, worked out by hand from DOMAIN.md's rule (each released record counts once
 * per institution it was released at), not from the code's own terms: a school with two units.
 */
describe('the access log tally', () => {
  const scope = {
    identity: { clientId: 'c', appId: 'a', partnerId: 'p' },
    studentUnits: ['u1', 'u2', 'u3'],
    staffUnits: [],
    unitInstitutions: new Map([
      ['u1', '100001'],
      ['u2', '100001'],
      ['u3', '100002'],
    ]),
    studentCategories: new Set(['identity']),
    staffCategories: new Set<string>(),
    guardians: false,
  } as unknown as Scope;

  it('counts a person seen through two units of one institution once there, and once at each other institution', () => {
    const { groups, institutions, total } = tally(scope, [
      { entity: 'persons', units: [['students:u1', 'students:u2'], ['students:u1', 'students:u3'], ['students:u3']] },
    ]);
    expect(total).toBe(3);
    expect(institutions).toEqual(['100001', '100002']);
    expect(groups).toEqual([{ api: 'students', entity: 'persons', categories: ['identity'], institutions: { '100001': 2, '100002': 2 } }]);
  });

  it('records syllabuses, bound to no institution, under no API', () => {
    const { groups, institutions } = tally(scope, [{ entity: 'syllabuses', units: [null, null] }]);
    expect(institutions).toEqual([]);
    expect(groups).toEqual([{ api: null, entity: 'syllabuses', categories: ['identity'], records: 2 }]);
  });
});
