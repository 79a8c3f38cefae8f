import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertAccessGroup, insertApp, insertClient, insertGrant, insertInstitution, insertPartner } from '../../seed/builders.ts';
import { restoreGrants, suspendGrants } from './grants.ts';
import { ApiWrite, mayWrite, mayWriteApi, authorizeApiWrite, type ApiWriteSubject } from './write-access.ts';
import type { PolicyActor } from './policies.ts';
import { redactForScope } from '../audit/presenters.ts';

/**
 * The write rule (issue 17, point 4): `may write api X at institution I`. The table's expectations
 * are written from the issue — an app requests read-write, the operator approves it, a school
 * admin grants it — never from the rule's code.
 */
describe('the write rule, as a table', () => {
  const subject = (over: Partial<ApiWriteSubject> = {}): ApiWriteSubject => ({
    clientId: 'c1',
    apiCode: 'attendance',
    institutionNumber: '000001',
    appStatus: 'approved',
    requested: 'read_write',
    granted: ['read_write'],
    ...over,
  });
  const client: PolicyActor = { kind: 'client', clientId: 'c1' };
  const cases: [string, PolicyActor, ApiWriteSubject, boolean][] = [
    ['requested, approved and granted read-write', client, subject(), true],
    ['granted read only', client, subject({ granted: ['read'] }), false],
    ['one grant read, another reaching the school read-write', client, subject({ granted: ['read', 'read_write'] }), true],
    ['not granted at the institution', client, subject({ granted: [] }), false],
    ['asked for read only (a grant can say more than was approved only by hand)', client, subject({ requested: 'read' }), false],
    ['the app does not ask for the API', client, subject({ requested: null }), false],
    ['the app is suspended', client, subject({ appStatus: 'suspended' }), false],
    ['the app is back in review', client, subject({ appStatus: 'submitted' }), false],
    ['a client without an app', client, subject({ appStatus: null }), false],
    ["another client asking about this client's grant", { kind: 'client', clientId: 'c2' }, subject(), false],
    ['the operator', { kind: 'operator' }, subject(), false],
    ['a partner', { kind: 'partner', partnerId: 'p' }, subject(), false],
    ['anonymous', { kind: 'anonymous' }, subject(), false],
  ];
  it.each(cases)('%s', (_name, actor, s, expected) => {
    expect(mayWrite(actor, s)).toBe(expected);
  });
  it('refuses with 403 write_not_granted', () => {
    expect(ApiWrite.forbidden('write')).toMatchObject({ status: 403, code: 'write_not_granted' });
  });
});

const harness = useHarness();

describe('the write rule, read from live grants', () => {
  it('follows the grant: read-write through an access group, switched off and on, lowered, and the app suspended', async () => {
    const { ctx } = harness();
    const db = ctx.db;
    const n = String(Math.floor(Math.random() * 800000) + 100000);
    const [a, b] = [`${n.slice(0, 5)}1`, `${n.slice(0, 5)}2`];
    for (const number of [a, b]) await insertInstitution(db, { number, name: `School ${number}` });
    const group = await insertAccessGroup(db, { name: `Group ${n}`, institutionNumbers: [b] });
    const partnerId = await insertPartner(db, { name: `Writer ${n}`, contactEmail: 'w@example.test' });
    const appId = await insertApp(db, {
      partnerId,
      name: 'Närvaro',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Attendance', accessLevel: 'read_write' }],
    });
    const { clientId } = await insertClient(db, { appId, name: 'Närvaro' });
    await insertGrant(db, { clientId, apiCode: 'students', institutionNumber: a, accessLevel: 'read_write' });
    await insertGrant(db, { clientId, apiCode: 'students', accessGroupId: group, accessLevel: 'read_write' });
    expect(await mayWriteApi(db, clientId, 'students', a)).toBe(true);
    // Through the access group's membership (grant_reach).
    expect(await mayWriteApi(db, clientId, 'students', b)).toBe(true);
    await db.deleteFrom('access_group_institutions').where('access_group_id', '=', group).execute();
    expect(await mayWriteApi(db, clientId, 'students', b)).toBe(false);

    // Switched off by the school: no write; switched on: read-write again, as granted.
    const actor = { id: null, label: 'test', kind: 'system' as const, name: 'test' };
    const within = new Map([['students', [a]]]);
    await db.transaction().execute((trx) => suspendGrants(trx, ctx, { clientId, within, actor, reason: null }));
    expect(await mayWriteApi(db, clientId, 'students', a)).toBe(false);
    await db.transaction().execute((trx) => restoreGrants(trx, ctx, { clientId, within, actor, reason: null }));
    expect(await mayWriteApi(db, clientId, 'students', a)).toBe(true);

    // The app suspended by the operator: no write, whatever the grant says.
    await db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', appId).execute();
    await expect(authorizeApiWrite(db, clientId, 'students', a)).rejects.toMatchObject({ status: 403, code: 'write_not_granted' });
    await db.updateTable('apps').set({ status: 'approved' }).where('id', '=', appId).execute();
    await expect(authorizeApiWrite(db, clientId, 'students', a)).resolves.toBeUndefined();

    // The grant lowered to read.
    await db.updateTable('grants').set({ access_level: 'read' }).where('client_id', '=', clientId).execute();
    expect(await mayWriteApi(db, clientId, 'students', a)).toBe(false);
  });
});

describe('the audit row of a write grant, as another school reads it', () => {
  it("names only the reader's own read-write targets", () => {
    const after = { apiCode: 'attendance', institutionNumbers: ['000001', '000002'], readWrite: ['000001', '000002'] };
    expect(redactForScope(after, { institutions: new Set(['000002']), accessGroups: new Set() })).toEqual({
      apiCode: 'attendance',
      institutionNumbers: ['000002'],
      readWrite: ['000002'],
    });
  });
});
