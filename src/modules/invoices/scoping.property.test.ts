/**
 * Consent scoping of the invoices API as a property: random access groups over random institutions
 * (an institution may be a member of several groups), invoices in random groups at their member
 * institutions (debtors and pupils with random security markings, invoice addresses present or
 * not), random grants per access group and approved categories, and one membership removed after
 * loading. The client crawls the list with a random page size, looks every stored id up, and reads
 * one record alone. What comes back must be exactly what the rules allow — no invoice of a group not
 * granted or of an institution no longer in the group, none missing, no member more or less than
 * allowed — and members no declaration names (planted in the stored body as an older version could
 * have left them) never come out.
 *
 * The oracle (`visible`, `expected`) is written here from DOMAIN.md (§2: a grant names an access
 * group and reaches its member institutions; §4: data categories, and a protected person's address
 * and contact data never released) and issue 15's description of the API (invoice address as a
 * category; lines, amounts, VAT, dates, status and reminders as the invoices category), not from the
 * module's release declaration (src/modules/invoices/release.ts).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, Ss12000Client } from '../../../test/ss12000/support.ts';
import { insertAccessGroup, insertGrant } from '../../seed/builders.ts';
import { ingestInvoices } from './ingest.ts';

const harness = useHarness();
const MARKINGS = ['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring'] as const;
const OPTIONAL = ['invoices', 'addresses'] as const;
let seq = 400000 + Math.floor(Math.random() * 50000);

const shapeArb = fc.record({
  institutions: fc.integer({ min: 1, max: 4 }),
  // For each of three access groups, which institutions (by index) are its members.
  memberships: fc.array(fc.subarray([0, 1, 2, 3], { minLength: 1 }), { minLength: 3, maxLength: 3 }),
  records: fc.array(
    fc.record({
      group: fc.nat(2),
      at: fc.nat(3),
      debtorMarking: fc.constantFrom(...MARKINGS),
      pupilMarking: fc.constantFrom(...MARKINGS),
      address: fc.boolean(),
      email: fc.boolean(),
      paid: fc.boolean(),
      reminders: fc.nat(2),
    }),
    { maxLength: 8 },
  ),
  granted: fc.subarray([0, 1, 2]),
  categories: fc.subarray([...OPTIONAL]),
  // The membership of one invoice's institution in its access group, removed after loading (by the
  // invoice's index), or none.
  leave: fc.option(fc.nat(7)),
  limit: fc.integer({ min: 1, max: 4 }),
});

type Shape = typeof shapeArb extends fc.Arbitrary<infer T> ? T : never;

/** The groups' members as institution numbers (indexes beyond the institutions drawn wrap round). */
const membersOf = (shape: Shape, institutions: string[]) => shape.memberships.map((m) => [...new Set(m.map((i) => institutions[i % institutions.length]!))]);

/** Every value is unique, so that a leak can be searched for as text. */
function recordsOf(shape: Shape, institutions: string[], groups: string[], members: string[][]) {
  return shape.records.map((r, i) => {
    const tag = `${institutions[0]}-${i}`;
    const inGroup = members[r.group]!;
    const net = 1000 + i;
    return {
      id: randomUUID(),
      invoiceNumber: `N-${tag}`,
      accessGroup: { id: groups[r.group]! },
      institution: { institutionNumber: inGroup[r.at % inGroup.length]! },
      schoolYear: 2026,
      student: { givenName: `Leerling ${tag}`, familyName: 'Maes', securityMarking: r.pupilMarking },
      debtor: {
        id: randomUUID(),
        kind: 'guardian',
        givenName: `Ouder ${tag}`,
        familyName: 'Maes',
        securityMarking: r.debtorMarking,
        ...(r.address || r.email
          ? {
              invoiceAddress: {
                ...(r.address ? { streetAddress: `Factuurstraat ${tag}`, postalCode: '8000', locality: `Brugge ${tag}` } : {}),
                ...(r.email ? { email: `factuur-${tag}@example.be` } : {}),
              },
            }
          : {}),
      },
      status: r.paid ? 'paid' : 'open',
      issueDate: '2026-09-15',
      dueDate: '2026-10-15',
      ...(r.paid ? { paidDate: '2026-10-01' } : {}),
      currency: 'EUR',
      totalNet: net,
      totalVat: 0,
      totalGross: net,
      amountPaid: r.paid ? net : 0,
      lines: [{ description: `Uitstap ${tag}`, quantity: 1, unitPrice: net, vatRate: 0, net, vat: 0 }],
      reminders: Array.from({ length: r.reminders }, (_, level) => ({ sentDate: `2026-10-2${level}`, level: level + 1, channel: 'post' })),
    };
  });
}

type Invoice = ReturnType<typeof recordsOf>[number];

/**
 * Whether a client granted `granted` access groups reads `r` (DOMAIN §2): a grant names an access
 * group and reaches the institutions that are its members at the moment of reading; an invoice is
 * of one group and one institution, and an institution in several groups shows each group's
 * invoices only under that group's grant.
 */
function visible(r: Invoice, granted: Set<string>, members: Map<string, Set<string>>) {
  return granted.has(r.accessGroup.id) && (members.get(r.accessGroup.id)?.has(r.institution.institutionNumber) ?? false);
}

/**
 * What a reader with `approved` categories may see of `r`: which invoice, of which group and
 * institution, for and to whom (names, the debtor's kind and marking) always; what the invoice says
 * (status, dates, currency, amounts, lines, reminders) with invoices; the invoice address with
 * addresses — unless the debtor or the pupil is marked (a protected person's address and contact
 * data are never released, and a guardian's address leads to the child). The pupil's marking is
 * never served.
 */
function expected(r: Invoice, approved: Set<string>) {
  const marked = r.debtor.securityMarking !== 'Ingen' || r.student.securityMarking !== 'Ingen';
  const { invoiceAddress, ...debtor } = r.debtor;
  const out: Record<string, unknown> = {
    id: r.id,
    invoiceNumber: r.invoiceNumber,
    accessGroup: r.accessGroup,
    institution: r.institution,
    schoolYear: r.schoolYear,
    student: { givenName: r.student.givenName, familyName: r.student.familyName },
    debtor: { ...debtor, ...(invoiceAddress && approved.has('addresses') && !marked ? { invoiceAddress } : {}) },
  };
  if (approved.has('invoices')) {
    Object.assign(out, {
      status: r.status,
      issueDate: r.issueDate,
      dueDate: r.dueDate,
      ...('paidDate' in r ? { paidDate: r.paidDate } : {}),
      currency: r.currency,
      totalNet: r.totalNet,
      totalVat: r.totalVat,
      totalGross: r.totalGross,
      amountPaid: r.amountPaid,
      lines: r.lines,
      reminders: r.reminders,
    });
  }
  return out;
}

const withoutMeta = ({ meta: _meta, ...rest }: Record<string, unknown>) => rest;

describe('invoices scoping (property)', () => {
  it('releases exactly what the access-group grants, the memberships, the approved categories and the markings allow', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, async (shape) => {
        const institutions = Array.from({ length: shape.institutions }, () => String(seq++));
        await ensureInstitutions(ctx, institutions);
        const members = membersOf(shape, institutions);
        const groups: string[] = [];
        for (const [g, m] of members.entries()) groups.push(await insertAccessGroup(ctx.db, { name: `P${g} ${institutions[0]}`, institutionNumbers: m }));
        const records = recordsOf(shape, institutions, groups, members);
        const loaded = await ingestInvoices(ctx, { upsert: records }, { id: null, label: 'property', kind: 'system' });
        expect(loaded.created).toBe(records.length);
        // Members an older version could have stored: never served (the declaration is an allowlist).
        await sql`UPDATE invoices SET body = body || '{"internalNote": "PLANTED-TOP"}'::jsonb
                    || jsonb_build_object('debtor', body->'debtor' || '{"bankAccount": "PLANTED-DEBTOR"}'::jsonb)
                   WHERE access_group_id = ANY(${groups}::uuid[])`.execute(ctx.db);

        // One institution leaves one group after loading: its invoices there are no longer reached.
        const memberSets = new Map(groups.map((g, i) => [g, new Set(members[i])]));
        const leaving = shape.leave === null || records.length === 0 ? undefined : records[shape.leave % records.length]!;
        if (leaving) {
          const group = leaving.accessGroup.id;
          const gone = leaving.institution.institutionNumber;
          await ctx.db.deleteFrom('access_group_institutions').where('access_group_id', '=', group).where('institution_number', '=', gone).execute();
          memberSets.get(group)!.delete(gone);
        }

        const granted = new Set(groups.filter((_, i) => shape.granted.includes(i)));
        const approved = new Set<string>(['identity', ...shape.categories]);
        const app = await createApp(ctx, { invoices: [...approved] });
        for (const g of granted) await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'invoices', accessGroupId: g });
        const client = new Ss12000Client(`${url}/invoices/v1`, `${url}/oidc/token`, app.clientId, app.secret);

        const want = new Map(records.filter((r) => visible(r, granted, memberSets)).map((r) => [r.id, expected(r, approved)]));

        const { items } = await client.crawl('/invoices', shape.limit);
        expect(items.map((x) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of items) expect(withoutMeta(x)).toEqual(want.get(x.id));

        // A lookup takes 1 to 1000 ids; with none stored, one unknown id finds nothing.
        const lookup = await client.request('POST', '/invoices/lookup', { ids: records.length ? records.map((r) => r.id) : [randomUUID()] });
        expect(lookup.status).toBe(200);
        expect(lookup.body.map((x: { id: string }) => x.id).sort()).toEqual([...want.keys()].sort());
        for (const x of lookup.body) expect(withoutMeta(x)).toEqual(want.get(x.id));

        const one = records[0];
        if (one) {
          const single = await client.get(`/invoices/${one.id}`);
          if (want.has(one.id)) expect(withoutMeta(single.body)).toEqual(want.get(one.id));
          else expect(single.status).toBe(404);
        }
        expect(JSON.stringify([items, lookup.body])).not.toContain('PLANTED');
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
