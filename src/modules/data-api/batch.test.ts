/**
 * The shared first pass of the data APIs' ingestion (batch.ts) through each real ingestion route:
 * a text PostgreSQL cannot store (U+0000), an id twice, an id both upserted and deleted are a 400
 * `invalid_batch` naming the record and the field — never a 500 — and nothing is loaded.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { ensureInstitutions } from '../../../test/ss12000/support.ts';
import { insertAccessGroup, insertUser } from '../../seed/builders.ts';
import { ingestBatch } from '../ss12000/ingest.ts';

const harness = useHarness();
const INST = '471100';

describe('the data APIs’ ingestion refuses a NUL, a repeated id and an id both upserted and deleted', () => {
  it('answers 400 invalid_batch naming the record for pre-enrolments, boarders and invoices alike', async () => {
    const { ctx } = harness();
    await ensureInstitutions(ctx, [INST]);
    const group = await insertAccessGroup(ctx.db, { name: 'Facturatie NUL', institutionNumbers: [INST] });
    const person = randomUUID();
    await ingestBatch(ctx, { upsert: { persons: [{ id: person, givenName: 'Lotte', familyName: 'Peeters' }] } } as never, {
      id: null,
      label: 'test',
      kind: 'system',
    });
    await insertUser(ctx.db, { email: 'op-batch@schoolgate.test', password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login('op-batch@schoolgate.test', 'operator password 1')).status).toBe(200);

    const records: Record<string, (text: string) => Record<string, unknown>> = {
      'pre-enrolments': (text) => ({
        id: randomUUID(),
        institution: { institutionNumber: INST },
        schoolYear: 2027,
        grade: '1',
        status: 'submitted',
        submittedDate: '2026-10-01',
        child: { givenName: text, familyName: 'Peeters' },
        guardians: [],
      }),
      boarders: (text) => ({
        id: randomUUID(),
        institution: { institutionNumber: INST },
        person: { id: person },
        boardingHouse: { name: text },
        startDate: '2026-09-01',
        arrangement: { nights: ['monday'], weekends: 'home' },
      }),
      invoices: (text) => ({
        id: randomUUID(),
        invoiceNumber: '2026-1',
        accessGroup: { id: group },
        institution: { institutionNumber: INST },
        schoolYear: 2026,
        student: { givenName: text, familyName: 'Peeters' },
        debtor: { id: randomUUID(), kind: 'guardian', givenName: 'An', familyName: 'Peeters' },
        status: 'open',
        issueDate: '2026-09-15',
        dueDate: '2026-10-15',
        totalNet: 450,
        totalVat: 0,
        totalGross: 450,
        lines: [{ description: 'Maaltijd', quantity: 1, unitPrice: 450, vatRate: 0, net: 450, vat: 0 }],
      }),
    };
    const tables = { 'pre-enrolments': 'pre_enrolments', boarders: 'boarders', invoices: 'invoices' } as const;
    for (const [path, record] of Object.entries(records)) {
      // A NUL alone (no other problem to refuse the batch first) is refused the same way, not a 500.
      const nul = await op.post(`/api/v1/ingestion/${path}`, { upsert: [record('Lo\u0000tte')] });
      expect([path, nul.status, nul.body.errors?.map((e: { field: string; code: string }) => `${e.field} ${e.code}`)]).toEqual([
        path,
        400,
        ['upsert.0 nul_character'],
      ]);
      const good = record('Lotte');
      const twice = record('Noor');
      const res = await op.post(`/api/v1/ingestion/${path}`, {
        upsert: [good, record('Lo\u0000tte'), twice, { ...twice }, record('Mira')],
        delete: [(good as { id: string }).id],
      });
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'invalid_batch']);
      expect([path, res.body.errors.map((e: { field: string; code: string }) => `${e.field} ${e.code}`)]).toEqual([
        path,
        ['upsert.0.id upsert_and_delete', 'upsert.1 nul_character', 'upsert.3.id duplicate_id'],
      ]);
      const stored = await ctx.db
        .selectFrom(tables[path as keyof typeof tables])
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect([path, Number(stored.n)]).toEqual([path, 0]);
    }
  });
});
