import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { appBody, approveAsOperator, signedInPartner } from '../../../src/modules/apps/test-fixtures.ts';

const harness = useHarness();

describe('partner app client type (confidential | public)', () => {
  it('defaults to confidential, is set at creation, changes while draft only, and is audited', async () => {
    const h = harness();
    const p = await signedInPartner(h, 'Typeco');
    const plain = await p.client.post('/api/v1/partner/apps', appBody());
    expect(plain.status).toBe(201);
    expect(plain.body.clientType).toBe('confidential');

    const pub = await p.client.post('/api/v1/partner/apps', appBody({ name: 'Phone app', clientType: 'public' }));
    expect(pub.body.clientType).toBe('public');
    expect((await p.client.post('/api/v1/partner/apps', appBody({ clientType: 'secretless' }))).status).toBe(400);

    const changed = await p.client.patch(`/api/v1/partner/apps/${plain.body.id}`, { clientType: 'public' });
    expect(changed.status).toBe(200);
    expect(changed.body.clientType).toBe('public');
    const audit = await h.ctx.db
      .selectFrom('audit_log')
      .select('after')
      .where('subject_id', '=', plain.body.id)
      .where('action', '=', 'app.updated')
      .executeTakeFirstOrThrow();
    expect(audit.after).toMatchObject({ clientType: 'public', changedFields: ['clientType'] });

    await h.ctx.db.updateTable('apps').set({ status: 'submitted' }).where('id', '=', plain.body.id).execute();
    const locked = await p.client.patch(`/api/v1/partner/apps/${plain.body.id}`, { clientType: 'confidential' });
    expect(locked.status).toBe(409);
    expect(locked.body).toMatchObject({ code: 'app_locked', fields: ['clientType'] });
  });

  it('gives an approved public app a client but never a secret', async () => {
    const h = harness();
    const p = await signedInPartner(h, 'Pubco');
    const app = await p.client.post('/api/v1/partner/apps', appBody({ clientType: 'public' }));
    const clientId = await approveAsOperator(h, app.body.id);
    const res = await p.client.post(`/api/v1/partner/apps/${app.body.id}/client/secrets`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('public_client_has_no_secret');
    expect(await h.ctx.db.selectFrom('client_secrets').select('id').where('client_id', '=', clientId).execute()).toEqual([]);
  });
});
