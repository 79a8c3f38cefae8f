import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertUser } from '../../seed/builders.ts';
import { PASSWORD, approveAsOperator, appBody, setStatus, signedInPartner } from './test-fixtures.ts';

const harness = useHarness({ INVITATION_TTL_DAYS: '14' });
const DAY = 86_400_000;

describe('invitations', () => {
  it('invites school admins of an approved app: link, expiry, mail in their language, link again in the log', async () => {
    const h = harness();
    await insertUser(h.ctx.db, { email: 'directie@klimop.example', displayName: 'Directie', kind: 'school', language: 'fr', userManagementAccess: true });
    const { client, email, partnerId } = await signedInPartner(h, 'Inviter');
    const appId = (await client.post('/api/v1/partner/apps', appBody({ name: 'Planner' }))).body.id as string;

    const early = await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: ['directie@klimop.example'] });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'app_not_approved', appStatus: 'draft' });

    await approveAsOperator(h, appId);
    const sentAt = h.clock.now();
    const res = await client.post(`/api/v1/partner/apps/${appId}/invitations`, {
      emails: ['Directie@KlimOp.example', 'ict@regenboog.example', 'ict@regenboog.example'],
    });
    expect(res.status).toBe(201);
    const expiresAt = new Date(sentAt.getTime() + 14 * DAY).toISOString();
    expect(res.body.data).toHaveLength(2);
    const byEmail = Object.fromEntries(res.body.data.map((i: { email: string }) => [i.email, i]));
    for (const to of ['directie@klimop.example', 'ict@regenboog.example']) {
      const inv = byEmail[to];
      expect(inv).toMatchObject({ email: to, expiresAt, expired: false, createdAt: sentAt.toISOString() });
      expect(inv.link).toMatch(new RegExp(`^${h.url}/school/apps/${appId}\\?invitation=[\\w-]{43}$`));
    }
    expect(byEmail['directie@klimop.example'].link).not.toBe(byEmail['ict@regenboog.example'].link);

    // One mail each, in the recipient's language if known, else the inviter's; it carries the link.
    const mails = await h.ctx.db.selectFrom('mail_outbox').selectAll().where('template', '=', 'invitation').orderBy('to_address').execute();
    expect(mails.map((m) => [m.to_address, m.language])).toEqual([
      ['directie@klimop.example', 'fr'],
      ['ict@regenboog.example', 'nl'],
    ]);
    expect(mails[0]!.body_text).toContain(byEmail['directie@klimop.example'].link);
    expect(mails[0]!.id).toBe(byEmail['directie@klimop.example'].mailId);

    // The partner can copy the link again from the log.
    const log = await client.get(`/api/v1/partner/apps/${appId}/log`);
    const entries = log.body.data.filter((e: { action: string }) => e.action === 'invitation.created');
    expect(entries).toHaveLength(2);
    for (const e of entries) {
      expect(e.after).toEqual({ email: e.after.email, link: byEmail[e.after.email].link, expiresAt });
    }
    const rows = await h.ctx.db.selectFrom('audit_log').select(['partner_id', 'app_id']).where('action', '=', 'invitation.created').execute();
    expect(rows.every((r) => r.partner_id === partnerId && r.app_id === appId)).toBe(true);

    // The list shows the same links; after the TTL they are marked expired.
    const list = await client.get(`/api/v1/partner/apps/${appId}/invitations`);
    expect(list.body.data.map((i: { link: string }) => i.link).sort()).toEqual(res.body.data.map((i: { link: string }) => i.link).sort());
    h.clock.advance(14 * DAY - 1000);
    await client.login(email, PASSWORD);
    expect((await client.get(`/api/v1/partner/apps/${appId}/invitations`)).body.data.every((i: { expired: boolean }) => !i.expired)).toBe(true);
    h.clock.advance(1000);
    expect((await client.get(`/api/v1/partner/apps/${appId}/invitations`)).body.data.every((i: { expired: boolean }) => i.expired)).toBe(true);
  });

  it('refuses bad address lists naming the field, and apps that are not approved', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Picky');
    const appId = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    await approveAsOperator(h, appId);
    const cases: [unknown, string][] = [
      [{ emails: [] }, 'body.emails'],
      [{ emails: ['ok@school.example', 'not-an-address'] }, 'body.emails.1'],
      [{ emails: Array.from({ length: 51 }, (_, i) => `a${i}@school.example`) }, 'body.emails'],
      [{}, 'body.emails'],
    ];
    for (const [body, field] of cases) {
      const res = await client.post(`/api/v1/partner/apps/${appId}/invitations`, body);
      expect({ status: res.status, field: res.body.field }).toEqual({ status: 400, field });
    }
    const fifty = await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: Array.from({ length: 50 }, (_, i) => `b${i}@school.example`) });
    expect(fifty.status).toBe(201);
    expect(fifty.body.data).toHaveLength(50);

    for (const status of ['suspended', 'submitted', 'rejected', 'archived'] as const) {
      await setStatus(h, appId, status);
      const res = await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: ['late@school.example'] });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'app_not_approved' });
    }
    expect(await h.ctx.db.selectFrom('invitations').select('id').where('email', '=', 'late@school.example').execute()).toHaveLength(0);
    // Past invitations stay readable whatever the status.
    expect((await client.get(`/api/v1/partner/apps/${appId}/invitations`)).body.data).toHaveLength(50);
  });
});

// Last in the file: it sends 100 invitation mails, which the tests above would count.
describe('invitation mail limit', () => {
  it('sends at most 100 invitation mails per partner member an hour: then 429 with Retry-After, and nothing queued', async () => {
    const h = harness();
    // The tests above invited from the same address: start a fresh hour.
    h.clock.advance(2 * 3_600_000);
    const { client } = await signedInPartner(h, 'Flooder');
    const appId = (await client.post('/api/v1/partner/apps', appBody({ name: 'Flood' }))).body.id as string;
    await approveAsOperator(h, appId);
    const batch = (n: number) => Array.from({ length: 50 }, (_, i) => `admin${n}-${i}@flood.example`);
    expect((await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: batch(1) })).status).toBe(201);
    expect((await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: batch(2) })).status).toBe(201);
    const third = await client.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: batch(3) });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const queued = await h.ctx.db.selectFrom('mail_outbox').select('id').where('to_address', 'like', '%@flood.example').execute();
    expect(queued).toHaveLength(100);
  });
});
