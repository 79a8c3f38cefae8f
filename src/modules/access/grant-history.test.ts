import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/support/harness.ts';
import type { AppContext } from '../../context.ts';
import type { Database } from '../../db/index.ts';
import { TestClock } from '../../lib/clock.ts';
import { insertClient, insertInstitution } from '../../seed/builders.ts';
import { insertGrants, replaceGrants, restoreGrants, suspendGrants, type GrantActor } from './grants.ts';

/**
 * The grant history (migration 0070, src/db/live/60_grant_history.sql): the periods the triggers
 * write as grants change, and the periods the migration's backfill rebuilds from the grants still
 * on record and the audit log. One legacy client (no app: no mail), three institutions, changes
 * made through the services with their own clocks; every period expected below is written from
 * that story, not read from the code.
 */
const [I1, I2, I3] = ['430001', '430002', '430003'] as const;
const actor: GrantActor = { id: null, label: 'Test', kind: 'system', name: 'Test' };
// A legacy client has no app, so no change below sends mail or a partner webhook.
const noMail = {} as AppContext['mail'];
const noJobs = {} as AppContext['jobs'];
const at = (iso: string) => ({ clock: new TestClock(new Date(iso)), mail: noMail, jobs: noJobs });
const t = (v: string | Date) => new Date(v).toISOString();

let database: Database;
let client: string;

type Period = [target: string, started: string, startKind: string, ended: string | null, endKind: string | null];

async function periods(): Promise<Period[]> {
  const rows = await database.db
    .selectFrom('grant_history')
    .select(['institution_number', 'started_at', 'start_kind', 'ended_at', 'end_kind'])
    .where('client_id', '=', client)
    .orderBy('institution_number')
    .orderBy('started_at')
    .execute();
  return rows.map((r) => [r.institution_number ?? '', t(r.started_at), r.start_kind, r.ended_at ? t(r.ended_at) : null, r.end_kind]);
}

beforeAll(async () => {
  database = await openTestDatabase();
  const db = database.db;
  for (const number of [I1, I2, I3]) await insertInstitution(db, { number, name: `School ${number}` });
  client = (await insertClient(db, { appId: null, name: 'Old timetable' })).clientId;
  // I3 given by a builder, without an audit row; then, through the editor: I1 and I2 given and I3
  // removed on 1 October, I2 removed on the 5th, I1 switched off on the 7th and on on the 9th.
  await insertGrants(db, client, [{ apiCode: 'students', institutionNumber: I3, accessGroupId: null }], {
    grantedBy: null,
    reason: null,
    at: new Date('2026-09-01T08:00:00Z'),
  });
  const edit = (when: string, targets: string[]) =>
    db
      .transaction()
      .execute((trx) => replaceGrants(trx, at(when), { clientId: client, apiCode: 'students', targets, actor, reason: null, action: 'grants.replaced' }));
  await edit('2026-10-01T08:00:00Z', [I1, I2]);
  await edit('2026-10-05T08:00:00Z', [I1]);
  const within = new Map([['students', [I1]]]);
  await db.transaction().execute((trx) => suspendGrants(trx, at('2026-10-07T08:00:00Z'), { clientId: client, within, actor, reason: null }));
  await db.transaction().execute((trx) => restoreGrants(trx, at('2026-10-09T08:00:00Z'), { clientId: client, within, actor, reason: null }));
}, 60_000);

afterAll(async () => {
  await database?.close();
});

describe('the grant history', () => {
  it('has a period per grant in force, ended by its removal or switch-off, as the triggers write them', async () => {
    expect(await periods()).toEqual([
      [I1, t('2026-10-01T08:00:00Z'), 'granted', t('2026-10-07T08:00:00Z'), 'switched_off'],
      [I1, t('2026-10-09T08:00:00Z'), 'switched_on', null, null],
      [I2, t('2026-10-01T08:00:00Z'), 'granted', t('2026-10-05T08:00:00Z'), 'removed'],
      [I3, t('2026-09-01T08:00:00Z'), 'granted', t('2026-10-01T08:00:00Z'), 'removed'],
    ]);
  });

  it('is rebuilt by the migration from the grants on record and the audit log, except a removed grant the log never saw given', async () => {
    // Run the migration's backfill again over this world, as on a deployment that had no history.
    const script = readFileSync(new URL('../../db/migrations/0070_grant_history.sql', import.meta.url), 'utf8');
    const wrapped = `BEGIN;\nDROP TABLE grant_history;\n${script}\nCOMMIT;`;
    if (database.kind === 'pglite') await database.exec(wrapped);
    else await database.db.connection().execute((conn) => sql.raw(wrapped).execute(conn));
    expect(await periods()).toEqual([
      [I1, t('2026-10-01T08:00:00Z'), 'granted', t('2026-10-07T08:00:00Z'), 'switched_off'],
      [I1, t('2026-10-09T08:00:00Z'), 'switched_on', null, null],
      [I2, t('2026-10-01T08:00:00Z'), 'granted', t('2026-10-05T08:00:00Z'), 'removed'],
      // I3: its removal is in the log, its start is not, and no grant of it is left to tell.
    ]);
    // The triggers carry on from the rebuilt history: switched off again, I1's open period ends.
    const within = new Map([['students', [I1]]]);
    await database.db.transaction().execute((trx) => suspendGrants(trx, at('2026-10-11T08:00:00Z'), { clientId: client, within, actor, reason: null }));
    expect((await periods())[1]).toEqual([I1, t('2026-10-09T08:00:00Z'), 'switched_on', t('2026-10-11T08:00:00Z'), 'switched_off']);
  });
});
