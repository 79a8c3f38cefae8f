/**
 * Consent scoping of the boarders API as a property: random stays at random institutions (boarders
 * whose SS 12000 person is unmarked, marked, marked only after the stay was loaded, or gone from the
 * store; guardians with random markings; members present or not), random grants and approved
 * categories; the client crawls the list with a random page size, looks every stored id up, and reads
 * one record alone. What comes back must be exactly what the policy allows — no stay of an
 * institution that did not grant the app, none missing, no member more or less than allowed — and
 * members no declaration names (planted in the stored body as an older version could have left them)
 * never come out.
 *
 * The oracle (`expected`) is written here from DOMAIN.md §4 (protected identity: no address or
 * contact data, the marking is the person's) and the description of the API, not from the
 * module's release declaration (src/modules/boarders/release.ts).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { ingestBoarders } from './ingest.ts';

const harness = useHarness();
const ACTOR = { id: null, label: 'property', kind: 'system' as const };
const MARKINGS = ['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring'] as const;
const OPTIONAL = ['addresses', 'phone_numbers', 'private_email', 'guardians'] as const;
let seq = 430000 + Math.floor(Math.random() * 50000);

const shapeArb = fc.record({
  institutions: fc.integer({ min: 1, max: 3 }),
  records: fc.array(
    fc.record({
      at: fc.nat(2),
      // The marking when the stay is loaded, and at the read ('gone': the person left the store).
      markedAtLoad: fc.constantFrom(...MARKINGS),
      markedNow: fc.constantFrom(...MARKINGS, 'gone' as const),
      houseAddress: fc.boolean(),
      room: fc.boolean(),
      group: fc.boolean(),
      endDate: fc.boolean(),
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
    const personId = randomUUID();
    return {
      person: { id: personId, givenName: `Intern ${tag}`, familyName: 'Maes' },
      stay: {
        id: randomUUID(),
        institution: { institutionNumber: institutions[r.at % institutions.length]! },
        person: { id: personId },
        boardingHouse: { name: `Internaat ${tag}`, ...(r.houseAddress ? { address: address('huis') } : {}) },
        ...(r.room ? { room: `kamer ${tag}` } : {}),
        ...(r.group ? { group: `leefgroep ${tag}` } : {}),
        startDate: '2026-09-01',
        ...(r.endDate ? { endDate: '2027-06-30' } : {}),
        arrangement: { nights: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], weekends: 'alternate' },
        guardians: r.guardians.map((g, j) => ({
          givenName: `Ouder ${tag}-${j}`,
          familyName: 'Maes',
          relation: 'parent',
          securityMarking: g.marking,
          ...(g.email ? { email: `ouder-${tag}-${j}@example.be` } : {}),
          ...(g.phone ? { phone: `+32 470 ${i}${j}` } : {}),
          ...(g.address ? { address: address(`ouder${j}`) } : {}),
        })),
      },
      markedAtLoad: r.markedAtLoad,
      markedNow: r.markedNow,
    };
  });
}

type Generated = ReturnType<typeof recordsOf>[number];

/**
 * What a reader with `approved` categories may see of a stay, from the domain's rules: the stay
 * itself (house name, living group, period, arrangement) and the boarder's SS 12000 id and name as
 * the store has them now always; where the boarder lives (room, the house's address — the address
 * also needs addresses) only when the person is unmarked now and still in the store; the guardians
 * (names, relation) with guardians, and their contact data (e-mail with private_email, phone with
 * phone_numbers, address with addresses) only when neither the boarder nor that guardian is marked.
 * The guardians' markings are never served.
 */
function expected(g: Generated, approved: Set<string>) {
  const s = g.stay;
  const open = g.markedNow === 'Ingen';
  const out: Record<string, unknown> = {
    id: s.id,
    institution: s.institution,
    person: g.markedNow === 'gone' ? { id: g.person.id } : { id: g.person.id, givenName: g.person.givenName, familyName: g.person.familyName },
    boardingHouse: {
      name: s.boardingHouse.name,
      ...(s.boardingHouse.address && open && approved.has('addresses') ? { address: s.boardingHouse.address } : {}),
    },
    startDate: s.startDate,
    arrangement: s.arrangement,
  };
  if ('room' in s && open) out.room = s.room;
  if ('group' in s) out.group = s.group;
  if ('endDate' in s) out.endDate = s.endDate;
  if (approved.has('guardians')) {
    out.guardians = s.guardians.map((x) => {
      const contact = open && x.securityMarking === 'Ingen';
      return {
        givenName: x.givenName,
        familyName: x.familyName,
        relation: x.relation,
        ...(contact && x.email && approved.has('private_email') ? { email: x.email } : {}),
        ...(contact && x.phone && approved.has('phone_numbers') ? { phone: x.phone } : {}),
        ...(contact && x.address && approved.has('addresses') ? { address: x.address } : {}),
      };
    });
  }
  return out;
}

const withoutMeta = ({ meta: _meta, ...rest }: Record<string, unknown>) => rest;

describe('boarders scoping (property)', () => {
  it('releases exactly what the grants, the approved categories and the person’s marking now allow', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, async (shape) => {
        const institutions = Array.from({ length: shape.institutions }, () => String(seq++));
        await ensureInstitutions(ctx, institutions);
        const generated = recordsOf(shape, institutions);
        const person = (g: Generated, marking: string) => ({ ...g.person, securityMarking: marking });
        if (generated.length) {
          await ingestBatch(ctx, { upsert: { persons: generated.map((g) => person(g, g.markedAtLoad)) } } as never, ACTOR);
        }
        await ingestBoarders(ctx, { upsert: generated.map((g) => g.stay) }, ACTOR);
        // The person's marking changes after the stay was loaded, or the person leaves the store.
        const changed = generated.filter((g) => g.markedNow !== 'gone' && g.markedNow !== g.markedAtLoad);
        if (changed.length) await ingestBatch(ctx, { upsert: { persons: changed.map((g) => person(g, g.markedNow)) } } as never, ACTOR);
        const gone = generated.filter((g) => g.markedNow === 'gone').map((g) => g.person.id);
        if (gone.length) await ingestBatch(ctx, { delete: { persons: gone } } as never, ACTOR);
        // Members an older version could have stored: never served (the declaration is an allowlist).
        await sql`UPDATE boarders SET body = body || '{"internalNote": "PLANTED-TOP"}'::jsonb
                    || jsonb_build_object('person', body->'person' || '{"civicNo": "PLANTED-PERSON", "securityMarking": "PLANTED-MARK"}'::jsonb)
                   WHERE institution_number = ANY(${institutions}::text[])`.execute(ctx.db);

        const granted = institutions.filter((_, i) => shape.granted.includes(i));
        const approved = new Set<string>(['identity', ...shape.categories]);
        const app = await createApp(ctx, { boarders: [...approved] });
        await grantAll(ctx, app.clientId, 'boarders', granted);
        const client = new Ss12000Client(`${url}/boarders/v1`, `${url}/oidc/token`, app.clientId, app.secret);

        const visible = generated.filter((g) => granted.includes(g.stay.institution.institutionNumber));
        const want = new Map(visible.map((g) => [g.stay.id, expected(g, approved)]));

        const { items } = await client.crawl('/boarders', shape.limit);
        expect(items.map((x) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of items) expect(withoutMeta(x)).toEqual(want.get(x.id));

        const lookup = await client.request('POST', '/boarders/lookup', {
          ids: generated.length ? generated.map((g) => g.stay.id) : [randomUUID()],
        });
        expect(lookup.status).toBe(200);
        expect(lookup.body.map((x: { id: string }) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of lookup.body) expect(withoutMeta(x)).toEqual(want.get(x.id));

        const one = generated[0];
        if (one) {
          const single = await client.get(`/boarders/${one.stay.id}`);
          if (want.has(one.stay.id)) expect(withoutMeta(single.body)).toEqual(want.get(one.stay.id));
          else expect(single.status).toBe(404);
        }
        expect(JSON.stringify([items, lookup.body])).not.toContain('PLANTED');
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
