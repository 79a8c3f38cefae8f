import { describe, expect, it } from 'vitest';
import { ApiError } from '../../http/errors.ts';
import type { Scope } from '../ss12000/scope.ts';
import { concernedInstitutions, namedUnits } from './policies.ts';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const OUT = '33333333-3333-4333-8333-333333333333';
/** A scope reaching two school units of two institutions (only the fields the rule reads). */
const scope = {
  allUnits: [U1, U2],
  unitInstitutions: new Map([
    [U1, '100001'],
    [U2, '100002'],
  ]),
} as unknown as Scope;

describe('which school units a report names, and which institutions it concerns', () => {
  it('reads the resourceId of an Organisation, organisation= (repeated or comma-separated, any case) and /organisations/{id}', () => {
    expect(namedUnits({ resourceType: 'Organisation', resourceId: U1 })).toEqual([U1]);
    // A resourceId of another entity type is not a school unit.
    expect(namedUnits({ resourceType: 'Person', resourceId: U1 })).toEqual([]);
    expect(namedUnits({ resourceUrl: `https://x.example/ss12000/v2.0/groups?organisation=${U1.toUpperCase()},${U2}&organisation=${U1}` })).toEqual([U1, U2]);
    expect(namedUnits({ resourceUrl: `https://x.example/ss12000/v2.0/organisations/${U2}?expand=x` })).toEqual([U2]);
    expect(namedUnits({ resourceUrl: 'https://x.example/ss12000/v2.0/persons?limit=5' })).toEqual([]);
  });

  it('binds a report to the institutions of the units it names, or to every institution of the scope; refuses a unit outside it', () => {
    expect(concernedInstitutions(scope, { resourceType: 'Organisation', resourceId: U2 })).toEqual(['100002']);
    expect(concernedInstitutions(scope, {})).toEqual(['100001', '100002']);
    for (const entry of [{ resourceType: 'Organisation', resourceId: OUT }, { resourceUrl: `https://x.example/activities?organisation=${U1},not-a-unit` }]) {
      let error: unknown;
      try {
        concernedInstitutions(scope, entry);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 403, code: 'organisation_out_of_scope' });
    }
  });
});
