/**
 * Consent scoping of the pre-enrolments API as a property: random applications at random
 * institutions (children and guardians with random security markings, members present or not),
 * random grants and approved categories; the client crawls the list with a random page size, looks
 * every stored id up, and reads one record alone. What comes back must be exactly what the policy
 * allows — no record of an institution that did not grant the app, none missing, no member more or
 * less than allowed — and members no declaration names (planted in the stored body as an older
 * version could have left them) never come out.
 *
 * The oracle (`expected`) is written here from DOMAIN.md §4 and the description of the API,
 * not from the module's release declaration (src/modules/pre-enrolments/release.ts).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { ingestPreEnrolments } from './ingest.ts';

const harness = useHarness();
const MARKINGS = ['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring'] as const;
const OPTIONAL = ['birth_date', 'addresses', 'guardians'] as const;
let seq = 200000 + Math.floor(Math.random() * 50000);

const shapeArb = fc.record({
  institutions: fc.integer({ min: 1, max: 3 }),
  records: fc.array(
    fc.record({
      at: fc.nat(2),
      marking: fc.constantFrom(...MARKINGS),
      birthDate: fc.boolean(),
      address: fc.boolean(),
      programme: fc.boolean(),
      guardians: fc.array(fc.record({ marking: fc.constantFrom(...MARKINGS), email: fc.boolean(), phone: fc.boolean(), address: fc.boolean() }), {
        maxLength: 2,
      }),
    }),
    { maxLength: 7 },
  ),
  granted: fc.subarray([0, 1, 2]),
  categories: fc.subarray([...OPTIONAL]),
  limit: fc.integer({ min: 1, max: 4 }),
});

type Shape = typeof shapeArb extends fc.Arbitrary<infer T> ? T : never;

/** Every value is unique, so that a leak can be searched for as text. */
function recordsOf(shape: Shape, institutions: string[]) {
  return shape.records.map((r, i) => {
    const tag = `${institutions[0]}-${i}`;
    const address = (what: string) => ({ streetAddress: `${what}straat ${tag}`, postalCode: '8000', locality: `Brugge ${what} ${tag}` });
    return {
      id: randomUUID(),
      institution: { institutionNumber: institutions[r.at % institutions.length]! },
      schoolYear: 2027,
      grade: '1',
      ...(r.programme ? { programme: `Latijn ${tag}` } : {}),
      status: 'submitted',
      submittedDate: '2026-10-01',
      child: {
        givenName: `Kind ${tag}`,
        familyName: 'Maes',
        securityMarking: r.marking,
        ...(r.birthDate ? { birthDate: '2021-05-06' } : {}),
        ...(r.address ? { address: address('kind') } : {}),
      },
      guardians: r.guardians.map((g, j) => ({
        givenName: `Ouder ${tag}-${j}`,
        familyName: 'Maes',
        relation: 'parent',
        securityMarking: g.marking,
        ...(g.email ? { email: `ouder-${tag}-${j}@example.be` } : {}),
        ...(g.phone ? { phone: `+32 470 ${i}${j}` } : {}),
        ...(g.address ? { address: address(`ouder${j}`) } : {}),
      })),
    };
  });
}

/**
 * What a reader with `approved` categories may see of `r`, from the domain's rules: the application
 * itself and the child's name always; the birth date with birth_date; the child's address with
 * addresses unless the child is marked; the guardians (names, relation) with guardians, and their
 * contact data (e-mail, phone; the address also needs addresses) unless the child or that guardian
 * is marked. The guardians' markings are never served.
 */
function expected(r: ReturnType<typeof recordsOf>[number], approved: Set<string>) {
  const childMarked = r.child.securityMarking !== 'Ingen';
  const { address, birthDate, ...child } = r.child;
  const out: Record<string, unknown> = {
    id: r.id,
    institution: r.institution,
    schoolYear: r.schoolYear,
    grade: r.grade,
    status: r.status,
    submittedDate: r.submittedDate,
    child: {
      ...child,
      ...(birthDate && approved.has('birth_date') ? { birthDate } : {}),
      ...(address && approved.has('addresses') && !childMarked ? { address } : {}),
    },
  };
  if ('programme' in r) out.programme = r.programme;
  if (approved.has('guardians')) {
    out.guardians = r.guardians.map((g) => {
      const open = !childMarked && g.securityMarking === 'Ingen';
      return {
        givenName: g.givenName,
        familyName: g.familyName,
        relation: g.relation,
        ...(open && g.email ? { email: g.email } : {}),
        ...(open && g.phone ? { phone: g.phone } : {}),
        ...(open && g.address && approved.has('addresses') ? { address: g.address } : {}),
      };
    });
  }
  return out;
}

const withoutMeta = ({ meta: _meta, ...rest }: Record<string, unknown>) => rest;

describe('pre-enrolments scoping (property)', () => {
  it('releases exactly what the grants, the approved categories and the markings allow', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, async (shape) => {
        const institutions = Array.from({ length: shape.institutions }, () => String(seq++));
        await ensureInstitutions(ctx, institutions);
        const records = recordsOf(shape, institutions);
        await ingestPreEnrolments(ctx, { upsert: records }, { id: null, label: 'property', kind: 'system' });
        // Members an older version could have stored: never served (the declaration is an allowlist).
        await sql`UPDATE pre_enrolments SET body = body || '{"internalNote": "PLANTED-TOP"}'::jsonb
                    || jsonb_build_object('child', body->'child' || '{"nationalNumber": "PLANTED-CHILD"}'::jsonb)
                   WHERE institution_number = ANY(${institutions}::text[])`.execute(ctx.db);

        const granted = institutions.filter((_, i) => shape.granted.includes(i));
        const approved = new Set<string>(['identity', ...shape.categories]);
        const app = await createApp(ctx, { pre_enrolments: [...approved] });
        await grantAll(ctx, app.clientId, 'pre_enrolments', granted);
        const client = new Ss12000Client(`${url}/pre-enrolments/v1`, `${url}/oidc/token`, app.clientId, app.secret);

        const visible = records.filter((r) => granted.includes(r.institution.institutionNumber));
        const want = new Map(visible.map((r) => [r.id, expected(r, approved)]));

        const { items } = await client.crawl('/preEnrolments', shape.limit);
        // The client's only grants are this run's: everything it sees must be of them.
        const mine = items;
        expect(mine.map((x) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of mine) expect(withoutMeta(x)).toEqual(want.get(x.id));

        // A lookup takes 1 to 1000 ids; with none stored, one unknown id finds nothing.
        const lookup = await client.request('POST', '/preEnrolments/lookup', { ids: records.length ? records.map((r) => r.id) : [randomUUID()] });
        expect(lookup.status).toBe(200);
        expect(lookup.body.map((x: { id: string }) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of lookup.body) expect(withoutMeta(x)).toEqual(want.get(x.id));

        const one = records[0];
        if (one) {
          const single = await client.get(`/preEnrolments/${one.id}`);
          if (want.has(one.id)) expect(withoutMeta(single.body)).toEqual(want.get(one.id));
          else expect(single.status).toBe(404);
        }
        const text = JSON.stringify([items, lookup.body]);
        expect(text).not.toContain('PLANTED');
        // The guardians' own markings are what withholds their data; they are never served themselves.
        for (const x of mine) for (const g of (x.guardians ?? []) as Record<string, unknown>[]) expect(g.securityMarking).toBeUndefined();
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
