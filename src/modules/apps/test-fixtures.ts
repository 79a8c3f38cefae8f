import type { Harness, TestClient } from '../../../test/support/harness.ts';
import { insertPartner, insertUser } from '../../seed/builders.ts';
import { newId } from '../../lib/ids.ts';
import { createClient } from '../access/clients.ts';

/** Test helpers for the partner-side tests: people and states made directly, actions through HTTP. */

export const PASSWORD = 'correct horse battery';

let seq = 0;

/** A confirmed partner member with a partner profile, signed in. */
export async function signedInPartner(h: Harness, name = 'Partner'): Promise<{ client: TestClient; partnerId: string; userId: string; email: string }> {
  seq += 1;
  const email = `member${seq}-${newId().slice(0, 6)}@${name.toLowerCase().replace(/\W+/g, '')}.example`;
  const userId = await insertUser(h.ctx.db, { email, password: PASSWORD, displayName: `${name} member ${seq}`, kind: 'partner', language: 'nl' });
  const partnerId = await insertPartner(h.ctx.db, { name, contactEmail: `info@${name.toLowerCase().replace(/\W+/g, '')}.example`, memberUserIds: [userId] });
  const client = h.client();
  const res = await client.login(email, PASSWORD);
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return { client, partnerId, userId, email };
}

/** A valid registration body. */
export const appBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Huiswerkplanner',
  description: 'Plans homework from the class timetable.',
  contactEmail: 'apps@planner.example',
  redirectUris: ['https://planner.example/callback'],
  apis: [{ apiCode: 'students', dataCategories: ['identity', 'birth_date'], purpose: 'Show each student their own homework.' }],
  ...overrides,
});

/**
 * What the operator's approval does (review module): status approved with accreditation, and a
 * client of origin 'app' with no secret unless the app already has one. Done in the database so these
 * tests do not depend on the review module.
 */
export async function approveAsOperator(h: Harness, appId: string): Promise<string> {
  const now = h.clock.now();
  await h.ctx.db
    .updateTable('apps')
    .set({ status: 'approved', approved_at: now, accreditation_notes: 'Accredited in test', updated_at: now })
    .where('id', '=', appId)
    .execute();
  const existing = await h.ctx.db.selectFrom('clients').select('id').where('app_id', '=', appId).executeTakeFirst();
  if (existing) return existing.id;
  return (await createClient(h.ctx.db, h.ctx, { origin: 'app', appId, name: 'App client' })).clientId;
}

export async function setStatus(h: Harness, appId: string, status: 'draft' | 'submitted' | 'approved' | 'rejected' | 'suspended' | 'archived') {
  await h.ctx.db.updateTable('apps').set({ status }).where('id', '=', appId).execute();
}

/** Client credentials token request with client_secret_post; returns the HTTP status and body. */
export async function requestToken(h: Harness, clientId: string, clientSecret: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}
