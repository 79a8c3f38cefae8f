import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertUser } from '../../seed/builders.ts';
import { appBody, PASSWORD, signedInPartner } from './test-fixtures.ts';

const harness = useHarness();

/**
 * Write grants, the partner's and the operator's half (issue 17, point 4): a partner asks per API
 * for read or read-write, the history keeps it, the operator sees it in the review and approves it
 * with the app, and a school admin's editor then offers read-write for that API only.
 */
describe('an app asking to write', () => {
  it('asks per API, is reviewed and approved with its level, and is offered read-write only where it asked', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Närvaro AB');
    const created = await client.post(
      '/api/v1/partner/apps',
      appBody({
        apis: [
          { apiCode: 'students', dataCategories: ['identity'], purpose: 'Register attendance per lesson.', accessLevel: 'read_write' },
          { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Show the teacher of each lesson.' },
        ],
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.apis.map((a: { apiCode: string; accessLevel: string }) => [a.apiCode, a.accessLevel])).toEqual([
      ['students', 'read_write'],
      ['staff', 'read'],
    ]);
    expect((await client.post(`/api/v1/partner/apps/${created.body.id}/submit`, {})).status).toBe(200);
    // The history says what was asked: read-write named, read-only as before.
    const submitted = await h.ctx.db
      .selectFrom('audit_log')
      .select('after')
      .where('app_id', '=', created.body.id)
      .where('action', '=', 'app.submitted')
      .executeTakeFirstOrThrow();
    const apis = (submitted.after as { apis: Record<string, unknown>[] }).apis;
    expect(apis.find((a) => a.apiCode === 'students')).toMatchObject({ accessLevel: 'read_write' });
    expect(apis.find((a) => a.apiCode === 'staff')).not.toHaveProperty('accessLevel');

    await insertUser(h.ctx.db, { email: 'operator@write.example', password: PASSWORD, displayName: 'Operator', kind: 'operator' });
    const operator = h.client();
    expect((await operator.login('operator@write.example', PASSWORD)).status).toBe(200);
    const review = await operator.get(`/api/v1/operator/apps/${created.body.id}`);
    expect(review.status).toBe(200);
    expect(review.body.apis.map((a: { code: string; accessLevel: string }) => [a.code, a.accessLevel])).toEqual([
      ['students', 'read_write'],
      ['staff', 'read'],
    ]);
    const approved = await operator.post(`/api/v1/operator/apps/${created.body.id}/approve`, { notes: 'Attendance app, writes reviewed.' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const app = await client.get(`/api/v1/partner/apps/${created.body.id}`);
    expect(app.body).toMatchObject({ status: 'approved' });
    expect(app.body.apis[0]).toMatchObject({ apiCode: 'students', accessLevel: 'read_write' });
  });
});
