import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { jobsOf, stopHarness } from './support.ts';
import { EXPIRY_JOB, runExpiry } from '../../src/jobs/expiry.ts';
import { newId, randomToken, sha256 } from '../../src/lib/ids.ts';

const DAY = 86_400_000;
let h: Harness;
const ids = {
  partner: newId(),
  app: newId(),
  client: newId(),
  legacyClient: newId(),
  rotatedSecret: newId(),
  currentSecret: newId(),
  legacySecret: newId(),
  shortInvitation: newId(),
  longInvitation: newId(),
};

beforeAll(async () => {
  h = await startHarness();
  const now = h.clock.now().getTime();
  const at = (days: number) => new Date(now + days * DAY);
  const db = h.ctx.db;
  await db.insertInto('partners').values({ id: ids.partner, name: 'Leerwijs', contact_email: 'info@leerwijs.example' }).execute();
  await db
    .insertInto('apps')
    .values({ id: ids.app, partner_id: ids.partner, name: 'Rekenrups', contact_email: 'app@leerwijs.example', status: 'approved' })
    .execute();
  await db
    .insertInto('clients')
    .values([
      { id: ids.client, app_id: ids.app, name: 'Rekenrups', origin: 'app' },
      { id: ids.legacyClient, app_id: null, name: 'Old sync tool', origin: 'legacy' },
    ])
    .execute();
  const secret = (id: string, clientId: string, expiresAt: Date | null) => ({
    id,
    client_id: clientId,
    secret_hash: sha256(randomToken()),
    hint: id.slice(-4),
    expires_at: expiresAt,
  });
  await db
    .insertInto('client_secrets')
    .values([
      // Replaced by a rotation: valid for the 7-day overlap.
      secret(ids.rotatedSecret, ids.client, at(7)),
      secret(ids.currentSecret, ids.client, null),
      secret(ids.legacySecret, ids.legacyClient, at(1)),
    ])
    .execute();
  const invitation = (id: string, expiresAt: Date) => ({
    id,
    app_id: ids.app,
    email: `${id.slice(0, 8)}@school.example`,
    token: randomToken(),
    expires_at: expiresAt,
  });
  await db
    .insertInto('invitations')
    .values([invitation(ids.shortInvitation, at(2)), invitation(ids.longInvitation, at(31))])
    .execute();
}, 60_000);
afterAll(() => stopHarness(h));

const secretIds = async () => (await h.ctx.db.selectFrom('client_secrets').select('id').execute()).map((r) => r.id).sort();
const audit = (action: string) => h.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

describe('expiry sweep', () => {
  it('does nothing while every secret and invitation is live', async () => {
    expect(await runExpiry(h.ctx)).toEqual({ secretsExpired: 0, invitationsExpired: 0 });
    expect(await secretIds()).toHaveLength(3);
  });

  it('deletes a secret and records an invitation once their time has passed, each with an audit row', async () => {
    h.clock.advanceDays(3);
    expect(await runExpiry(h.ctx)).toEqual({ secretsExpired: 1, invitationsExpired: 1 });
    expect(await secretIds()).toEqual([ids.currentSecret, ids.rotatedSecret].sort());

    const [legacy] = await audit('client.secret_expired');
    expect(legacy).toMatchObject({
      actor_kind: 'system',
      actor_label: 'Schoolgate',
      actor_user_id: null,
      subject_type: 'client',
      subject_id: ids.legacyClient,
      client_id: ids.legacyClient,
      app_id: null,
      partner_id: null,
    });
    expect(legacy!.at).toEqual(h.clock.now());
    expect(legacy!.before).toMatchObject({ secretId: ids.legacySecret, hint: ids.legacySecret.slice(-4) });

    const [invitation] = await audit('invitation.expired');
    expect(invitation).toMatchObject({
      actor_kind: 'system',
      subject_type: 'invitation',
      subject_id: ids.shortInvitation,
      app_id: ids.app,
      partner_id: ids.partner,
    });

    // Running again (another process, the next quarter hour) records nothing twice.
    expect(await runExpiry(h.ctx)).toEqual({ secretsExpired: 0, invitationsExpired: 0 });
    expect(await audit('invitation.expired')).toHaveLength(1);
    expect(await audit('client.secret_expired')).toHaveLength(1);
  });

  it('ends the rotation overlap of an app secret and keeps the current secret', async () => {
    h.clock.advanceDays(5); // day 8
    expect(await runExpiry(h.ctx)).toEqual({ secretsExpired: 1, invitationsExpired: 0 });
    expect(await secretIds()).toEqual([ids.currentSecret]);
    const rows = await audit('client.secret_expired');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ subject_id: ids.client, client_id: ids.client, app_id: ids.app, partner_id: ids.partner });
    expect(rows[1]!.before).toMatchObject({ secretId: ids.rotatedSecret });
  });

  it('runs as a pg-boss job on the 15-minute schedule', async () => {
    h.clock.advanceDays(30); // day 38: the long invitation has run out too
    const schedules = await jobsOf(h).schedules();
    expect(schedules).toContainEqual({ name: EXPIRY_JOB, cron: '*/15 * * * *' });

    const jobId = await h.ctx.db.transaction().execute((trx) => h.ctx.jobs.sendInTransaction(trx, EXPIRY_JOB, {}));
    const job = await vi.waitFor(
      async () => {
        const j = await jobsOf(h).job(EXPIRY_JOB, jobId!);
        expect(j?.state).toBe('completed');
        return j!;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(job.output).toEqual({ result: { secretsExpired: 0, invitationsExpired: 1 } });
    const expired = await audit('invitation.expired');
    expect(expired.map((r) => r.subject_id)).toEqual([ids.shortInvitation, ids.longInvitation]);
  }, 90_000);
});
