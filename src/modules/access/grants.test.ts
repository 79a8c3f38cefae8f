import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertApp, insertInstitution, insertPartner, insertUser } from '../../seed/builders.ts';
import { createClient } from './clients.ts';
import { insertGrants, replaceGrants, type GrantActor } from './grants.ts';

const harness = useHarness();

let seq = 0;

/** An approved app with a client holding students on A and B, and a legacy client holding staff on A. */
async function world() {
  const { ctx } = harness();
  const db = ctx.db;
  seq += 1;
  const n = (k: number) => String(700000 + seq * 10 + k);
  const [a, b, c] = [n(1), n(2), n(3)];
  for (const [number, name] of [
    [a, 'Atheneum A'],
    [b, 'Basisschool B'],
    [c, 'College C'],
  ] as const) {
    await insertInstitution(db, { number, name });
  }
  const admin = await insertUser(db, { email: `admin${seq}@school.example`, displayName: 'Ada Admin', kind: 'school', userManagementAccess: true });
  const partnerId = await insertPartner(db, { name: `Partner ${seq}`, contactEmail: `info${seq}@partner.example`, memberUserIds: [] });
  const appId = await insertApp(db, {
    partnerId,
    name: `Planner ${seq}`,
    status: 'approved',
    contactEmail: `apps${seq}@partner.example`,
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Plan homework.' }],
  });
  const { clientId } = await createClient(db, ctx, { origin: 'app', appId, name: 'Planner' });
  await insertGrants(
    db,
    clientId,
    [a, b].map((i) => ({ apiCode: 'students', institutionNumber: i, accessGroupId: null })),
    { grantedBy: admin, reason: null },
  );
  const legacy = await createClient(db, ctx, { origin: 'legacy', name: 'Old key' });
  await insertGrants(db, legacy.clientId, [{ apiCode: 'staff', institutionNumber: a, accessGroupId: null }], { grantedBy: null, reason: null });
  const actor: GrantActor = { id: admin, label: 'Ada Admin <admin@school.example>', kind: 'school', name: 'Ada Admin' };
  return { a, b, c, admin, appId, clientId, legacyClientId: legacy.clientId, actor, contact: `apps${seq}@partner.example` };
}

const grantsOf = async (clientId: string) =>
  (await harness().ctx.db.selectFrom('grants').select(['api_code', 'institution_number']).where('client_id', '=', clientId).execute())
    .map((g) => `${g.api_code}:${g.institution_number}`)
    .sort();
const auditOf = (clientId: string) => harness().ctx.db.selectFrom('audit_log').selectAll().where('client_id', '=', clientId).orderBy('id').execute();
const mailTo = (address: string) => harness().ctx.db.selectFrom('mail_outbox').select(['template']).where('to_address', '=', address).execute();

describe('replaceGrants: the one writer of grants', () => {
  it("replaces one API's targets within the actor's editable set, with one audit row and the partner's mail, in the caller's transaction", async () => {
    const w = await world();
    const { ctx } = harness();
    const change = await ctx.db.transaction().execute((trx) =>
      replaceGrants(trx, ctx, {
        clientId: w.clientId,
        apiCode: 'students',
        targets: [w.b, w.c],
        within: [w.b, w.c],
        actor: w.actor,
        reason: 'Pilot',
        action: 'grants.replaced',
      }),
    );
    expect(change.changed).toBe(true);
    expect(change.added.map((g) => g.institutionNumber)).toEqual([w.c]);
    expect(change.removed).toEqual([]);
    // A lies outside `within`: kept, and not named in the change.
    expect(await grantsOf(w.clientId)).toEqual([`students:${w.a}`, `students:${w.b}`, `students:${w.c}`]);
    const audit = await auditOf(w.clientId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'grants.replaced', actor_kind: 'school', app_id: w.appId, institution_numbers: [w.c], reason: 'Pilot' });
    expect(audit[0]!.before).toEqual({ apiCode: 'students', institutionNumbers: [w.b] });
    expect(audit[0]!.after).toEqual({ apiCode: 'students', institutionNumbers: [w.b, w.c] });
    expect((await mailTo(w.contact)).map((m) => m.template)).toEqual(['grants_changed']);
  });

  it('writes nothing when nothing changes', async () => {
    const w = await world();
    const { ctx } = harness();
    const change = await ctx.db
      .transaction()
      .execute((trx) =>
        replaceGrants(trx, ctx, { clientId: w.clientId, apiCode: 'students', targets: [w.b, w.a], actor: w.actor, reason: null, action: 'grants.replaced' }),
      );
    expect(change.changed).toBe(false);
    expect(await auditOf(w.clientId)).toEqual([]);
    expect(await mailTo(w.contact)).toEqual([]);
  });

  it("replaces all grants of a client without an app: the operator's audit action, no mail", async () => {
    const w = await world();
    const { ctx } = harness();
    const operator: GrantActor = { id: null, label: 'Olivia Operator', kind: 'operator', name: 'Olivia Operator' };
    await ctx.db.transaction().execute((trx) =>
      replaceGrants(trx, ctx, {
        clientId: w.legacyClientId,
        grants: [{ apiCode: 'students', institutionNumber: w.c, accessGroupId: null }],
        actor: operator,
        reason: 'Contract ended for staff',
        action: 'legacy_client.grants_replaced',
      }),
    );
    expect(await grantsOf(w.legacyClientId)).toEqual([`students:${w.c}`]);
    const audit = await auditOf(w.legacyClientId);
    expect(audit.map((r) => [r.action, r.institution_numbers])).toEqual([['legacy_client.grants_replaced', [w.a, w.c].sort()]]);
    expect(audit[0]!.before).toEqual({ grants: [{ apiCode: 'staff', institutionNumber: w.a, accessGroupId: null }] });
  });

  it('refuses an unconfirmed removal before writing anything', async () => {
    const w = await world();
    const { ctx } = harness();
    await expect(
      ctx.db.transaction().execute((trx) =>
        replaceGrants(trx, ctx, {
          clientId: w.clientId,
          apiCode: 'students',
          targets: [w.a],
          actor: w.actor,
          reason: null,
          action: 'grants.replaced',
          confirmRemoval: false,
        }),
      ),
    ).rejects.toMatchObject({ status: 409, code: 'removal_not_confirmed' });
    expect(await grantsOf(w.clientId)).toEqual([`students:${w.a}`, `students:${w.b}`]);
  });

  it('leaves nothing half-written when a write fails: the removal, the audit row and the mail roll back with it', async () => {
    const w = await world();
    const { ctx } = harness();
    // B is removed first; then the insert of an institution that does not exist fails on its key.
    await expect(
      ctx.db.transaction().execute((trx) =>
        replaceGrants(trx, ctx, {
          clientId: w.clientId,
          apiCode: 'students',
          targets: [w.a, '999999'],
          actor: w.actor,
          reason: null,
          action: 'grants.replaced',
        }),
      ),
    ).rejects.toThrow();
    expect(await grantsOf(w.clientId)).toEqual([`students:${w.a}`, `students:${w.b}`]);
    expect(await auditOf(w.clientId)).toEqual([]);
    expect(await mailTo(w.contact)).toEqual([]);
  });

  it('rolls back with the rest of the caller’s transaction', async () => {
    const w = await world();
    const { ctx } = harness();
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await replaceGrants(trx, ctx, { clientId: w.clientId, apiCode: 'students', targets: [w.c], actor: w.actor, reason: null, action: 'grants.replaced' });
        throw new Error('a later step of the same change failed');
      }),
    ).rejects.toThrow('a later step');
    expect(await grantsOf(w.clientId)).toEqual([`students:${w.a}`, `students:${w.b}`]);
    expect(await auditOf(w.clientId)).toEqual([]);
    expect(await mailTo(w.contact)).toEqual([]);
  });
});
