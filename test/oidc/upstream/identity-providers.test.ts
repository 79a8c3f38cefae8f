import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { createBoardWithSchool, operatorClient } from './fixtures.ts';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.ts';

/** The operator API of upstream identity providers: /api/v1/operator/identity-providers. */
const harness = useHarness();
let idp: UpstreamIdp;
beforeAll(async () => {
  idp = await startUpstreamIdp(`${harness().url}/signin/upstream/callback`);
});
afterAll(async () => {
  await idp?.stop();
});

const body = (boardId: string, extra: Record<string, unknown> = {}) => ({
  boardId,
  displayName: 'Malmö Skolinlogg',
  issuer: `${idp.issuer}/`,
  clientId: idp.clientId,
  clientSecret: idp.clientSecret,
  personClaim: 'eppn',
  ...extra,
});

describe('operator: identity providers', () => {
  it("adds, lists, changes and removes a board's provider; the secret never comes back; every change is audited", async () => {
    const h = harness();
    const operator = await operatorClient(h);
    const { boardId, school } = await createBoardWithSchool(h.ctx, 'Malmö stad');

    const boards = await operator.get('/api/v1/operator/school-boards');
    expect(boards.status).toBe(200);
    expect(boards.body.data).toContainEqual({ id: boardId, name: 'Malmö stad', institutionNumbers: [school.number], identityProviderId: null });

    const created = await operator.post('/api/v1/operator/identity-providers', body(boardId));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      board: { id: boardId, name: 'Malmö stad' },
      displayName: 'Malmö Skolinlogg',
      // The trailing slash is dropped: the issuer is compared exactly with what discovery says.
      issuer: idp.issuer,
      clientId: idp.clientId,
      hasSecret: true,
      personClaim: 'eppn',
      passwordAllowed: true,
      redirectUri: `${h.url}/signin/upstream/callback`,
      institutionNumbers: [school.number],
    });
    const id = created.body.id;
    const listed = await operator.get('/api/v1/operator/identity-providers');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(idp.clientSecret);
    expect(JSON.stringify(created.body)).not.toContain(idp.clientSecret);

    const changed = await operator.patch(`/api/v1/operator/identity-providers/${id}`, {
      displayName: 'Skolinlogg Malmö',
      passwordAllowed: false,
      clientSecret: 'a rotated secret',
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ displayName: 'Skolinlogg Malmö', passwordAllowed: false, hasSecret: true });
    const stored = await h.ctx.db.selectFrom('upstream_identity_providers').select('client_secret').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.client_secret).toBe('a rotated secret');

    const removed = await operator.delete(`/api/v1/operator/identity-providers/${id}`);
    expect(removed.status).toBe(204);
    expect((await operator.delete(`/api/v1/operator/identity-providers/${id}`)).status).toBe(404);

    const audit = await h.ctx.db.selectFrom('audit_log').selectAll().where('subject_id', '=', id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['identity_provider.created', 'identity_provider.updated', 'identity_provider.deleted']);
    expect(audit.every((a) => a.actor_kind === 'operator' && a.institution_numbers.includes(school.number))).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(idp.clientSecret);
    expect(JSON.stringify(audit)).not.toContain('a rotated secret');
    expect(audit[1]!.after).toMatchObject({ secretChanged: true, passwordAllowed: false });
  });

  it('refuses what cannot work, naming the field', async () => {
    const h = harness();
    const operator = await operatorClient(h);
    const { boardId, skolaId } = await createBoardWithSchool(h.ctx, 'Trelleborgs kommun');

    const notBoard = await operator.post('/api/v1/operator/identity-providers', body(skolaId));
    expect(notBoard.status).toBe(400);
    expect(notBoard.body).toMatchObject({ code: 'not_a_school_board', field: 'body.boardId' });

    const unknown = await operator.post('/api/v1/operator/identity-providers', body('7d1f1b8e-2a0b-4c59-9b0e-7d3c2a1b0f9e'));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'board_not_found', field: 'body.boardId' });

    const claim = await operator.post('/api/v1/operator/identity-providers', body(boardId, { personClaim: 'username' }));
    expect(claim.status).toBe(400);
    expect(claim.body.field).toBe('body.personClaim');

    const noSecret = await operator.post('/api/v1/operator/identity-providers', { ...body(boardId), clientSecret: undefined });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.field).toBe('body.clientSecret');

    const notUrl = await operator.post('/api/v1/operator/identity-providers', body(boardId, { issuer: 'idp.example.org' }));
    expect(notUrl.status).toBe(400);
    expect(notUrl.body).toMatchObject({ code: 'invalid_issuer', field: 'body.issuer' });

    // Nothing answers there: caught now, not by a student at the sign-in page.
    const nothing = await operator.post('/api/v1/operator/identity-providers', body(boardId, { issuer: `${idp.issuer}/no-such-issuer` }));
    expect(nothing.status).toBe(400);
    expect(nothing.body).toMatchObject({ code: 'issuer_discovery_failed', field: 'body.issuer' });

    const nul = await operator.post('/api/v1/operator/identity-providers', body(boardId, { displayName: 'a\u0000b' }));
    expect(nul.status).toBe(400);
    expect(nul.body.field).toBe('body.displayName');

    const first = await operator.post('/api/v1/operator/identity-providers', body(boardId));
    expect(first.status).toBe(201);
    const twice = await operator.post('/api/v1/operator/identity-providers', body(boardId));
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'board_has_identity_provider', field: 'body.boardId' });

    const empty = await operator.patch(`/api/v1/operator/identity-providers/${first.body.id}`, {});
    expect(empty.status).toBe(400);
    const missing = await operator.patch('/api/v1/operator/identity-providers/7d1f1b8e-2a0b-4c59-9b0e-7d3c2a1b0f9e', { displayName: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('identity_provider_not_found');
    const badIssuer = await operator.patch(`/api/v1/operator/identity-providers/${first.body.id}`, { issuer: `${idp.issuer}/elsewhere` });
    expect(badIssuer.status).toBe(400);
    expect(badIssuer.body.code).toBe('issuer_discovery_failed');
    // Nothing was changed by the refused requests.
    const audit = await h.ctx.db.selectFrom('audit_log').select('action').where('subject_id', '=', first.body.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['identity_provider.created']);
  });

  it("is the operator's alone", async () => {
    const h = harness();
    const anonymous = h.client();
    expect((await anonymous.get('/api/v1/operator/identity-providers')).status).toBe(401);
    expect((await anonymous.post('/api/v1/operator/identity-providers', {})).status).toBe(401);
  });
});
