/**
 * Invoices in the per-person disclosure report (GDPR Art. 15, src/modules/disclosures/): a read of
 * invoices discloses the pupil and the debtor of each invoice it may have released — credited to
 * the invoice's access group and institution, so a read of another access group's invoices at the
 * same institution is not theirs. Expectations are counted by hand from the reads below.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, Ss12000Client } from '../../../test/ss12000/support.ts';
import { insertAccessGroup, insertGrant, insertUser } from '../../seed/builders.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { ingestInvoices } from './ingest.ts';

const harness = useHarness();
const ACTOR = { id: null, label: 'test', kind: 'system' as const };
let seq = 430000 + Math.floor(Math.random() * 60000);
const institution = () => String(seq++).padStart(6, '0');

/** An invoice of `group` at `inst` for the pupil `pupil`, to the debtor `debtor` (SS 12000 person ids). */
function invoice(group: string, inst: string, pupil: string, debtor: { personId: string; kind?: 'guardian' | 'student' }) {
  return {
    id: randomUUID(),
    invoiceNumber: `2026-${seq++}`,
    accessGroup: { id: group },
    institution: { institutionNumber: inst },
    schoolYear: 2026,
    student: { personId: pupil, givenName: 'Lotte', familyName: 'Peeters' },
    debtor: { id: randomUUID(), kind: debtor.kind ?? 'guardian', personId: debtor.personId, givenName: 'An', familyName: 'Peeters' },
    status: 'open',
    issueDate: '2026-09-15',
    dueDate: '2026-10-15',
    totalNet: 3600,
    totalVat: 0,
    totalGross: 3600,
    lines: [{ description: 'Warme maaltijden', quantity: 8, unitPrice: 450, vatRate: 0, net: 3600, vat: 0 }],
  };
}

interface Entry {
  api: string;
  institution: { number: string };
  requests: number;
  categories: { category: string; requests: number }[];
  grant: { target: string; accessGroup: { id: string } | null };
}

describe('invoices in the person’s disclosure report (GDPR Art. 15)', () => {
  it('counts an app’s invoice reads for the pupil and the debtor of the invoices read, per access group and institution', async () => {
    const { ctx, url } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    // b is in both groups: G1 = {a, b}, G2 = {b}.
    const g1 = await insertAccessGroup(ctx.db, { name: `G1 ${a}`, institutionNumbers: [a, b] });
    const g2 = await insertAccessGroup(ctx.db, { name: `G2 ${a}`, institutionNumbers: [b] });
    // Persons of the SS 12000 store with no enrolment anywhere: only their invoices tie them to a and b.
    const [pupil, debtor, other, otherDebtor, adult] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await ingestBatch(
      ctx,
      { upsert: { persons: [pupil, debtor, other, otherDebtor, adult].map((id, i) => ({ id, givenName: `P${i}`, familyName: 'Peeters' })) } } as never,
      ACTOR,
    );
    const inv1 = invoice(g1, b, pupil, { personId: debtor }); // G1 at b: pupil and debtor
    const inv2 = invoice(g2, b, other, { personId: otherDebtor }); // G2 at b: someone else's
    const inv3 = invoice(g1, a, other, { personId: adult, kind: 'student' }); // G1 at a: `other`, paid by an adult pupil
    await ingestInvoices(ctx, { upsert: [inv1, inv2, inv3] }, ACTOR);

    const x = await createApp(ctx, { invoices: ['identity', 'invoices'] });
    await insertGrant(ctx.db, { clientId: x.clientId, apiCode: 'invoices', accessGroupId: g1 });
    const y = await createApp(ctx, { invoices: ['identity'] });
    await insertGrant(ctx.db, { clientId: y.clientId, apiCode: 'invoices', accessGroupId: g2 });
    const readX = new Ss12000Client(`${url}/invoices/v1`, `${url}/oidc/token`, x.clientId, x.secret);
    const readY = new Ss12000Client(`${url}/invoices/v1`, `${url}/oidc/token`, y.clientId, y.secret);

    // X: the list (inv1 at b, inv3 at a, both G1), the list at a only (inv3), inv1 by id  → 3 requests.
    const list = await readX.get('/invoices');
    expect(list.body.data.map((i: { id: string }) => i.id).sort()).toEqual([inv1.id, inv3.id].sort());
    expect((await readX.get(`/invoices?institution=${a}`)).body.data.map((i: { id: string }) => i.id)).toEqual([inv3.id]);
    expect((await readX.get(`/invoices/${inv1.id}`)).status).toBe(200);
    // Y: the list (inv2 at b, G2) → 1 request, at b like inv1 but in another access group.
    expect((await readY.get('/invoices')).body.data.map((i: { id: string }) => i.id)).toEqual([inv2.id]);

    await insertUser(ctx.db, { email: `op-inv-${a}@schoolgate.test`, password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login(`op-inv-${a}@schoolgate.test`, 'operator password 1')).status).toBe(200);
    /** The report's entries per app (X, Y) as "institution requests [categories]". */
    const reportOf = async (personId: string) => {
      const res = await op.get(`/api/v1/school/persons/${personId}/disclosures`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const of = (appId: string) =>
        res.body.apps
          .filter((g: { app: { id: string } }) => g.app.id === appId)
          .flatMap((g: { entries: Entry[] }) => g.entries)
          .map((e: Entry) => `${e.api} ${e.institution.number} ${e.requests} [${e.categories.map((c) => `${c.category}:${c.requests}`).sort()}]`);
      return { x: of(x.appId), y: of(y.appId), institutions: res.body.institutions.map((i: { number: string }) => i.number) };
    };

    // The pupil and the debtor of inv1: X's first list and the read by id (2); not the list at a; never Y's read of G2 at b.
    const mine = { x: [`invoices ${b} 2 [identity:2,invoices:2]`], y: [], institutions: [b] };
    expect(await reportOf(pupil)).toEqual(mine);
    expect(await reportOf(debtor)).toEqual(mine);
    // `other`: inv3 (G1 at a) read by both of X's lists (2); inv2 (G2 at b) read once by Y. X's reads at b were G1's: not theirs.
    expect(await reportOf(other)).toEqual({ x: [`invoices ${a} 2 [identity:2,invoices:2]`], y: [`invoices ${b} 1 [identity:1]`], institutions: [a, b] });
    // inv2's debtor: Y only. The adult pupil paying inv3: X's two lists at a.
    expect(await reportOf(otherDebtor)).toEqual({ x: [], y: [`invoices ${b} 1 [identity:1]`], institutions: [b] });
    expect(await reportOf(adult)).toEqual({ x: [`invoices ${a} 2 [identity:2,invoices:2]`], y: [], institutions: [a] });
  });
});
