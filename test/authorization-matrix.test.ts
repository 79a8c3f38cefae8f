/**
 * The authorization matrix: every /api/v1 route × every kind of caller, against a declared policy.
 * A route the server has but this table lacks fails the test, so a new route cannot ship unreviewed.
 *
 * Each role acts in a world of its own (same shape, other ids), so that what one role is allowed to
 * change cannot change what the next role is checked against.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from './support/harness.ts';
import { currentSchoolYear } from '../src/lib/school-year.ts';
import { storedBody } from './support/stored.ts';
import {
  insertAdminRight,
  insertApp,
  insertClient,
  insertEndUserAccount,
  insertGrant,
  insertInstitution,
  insertPartner,
  insertUser,
} from '../src/seed/builders.ts';
import { mayWriteApi } from '../src/modules/access/write-access.ts';
import { ingestBatch } from '../src/modules/ss12000/ingest.ts';
import { Ss12000Client } from './ss12000/support.ts';
import type { AccessLevel } from '../src/db/schema.ts';

const harness = useHarness();

const ROLES = ['anonymous', 'partnerA', 'partnerB', 'adminWithRight', 'adminWithoutRight', 'adminOtherSchool', 'teacher', 'operator', 'endUser'] as const;
type Role = (typeof ROLES)[number];
/** 'ok': the request got past authorization (2xx, or a business 4xx such as 400/409/410). */
type Outcome = 'ok' | 401 | 403 | 404;
type Row = Record<Role, Outcome>;

/**
 * A row: `base` for every signed-in role, 401 for anonymous, unless overridden. An end user (a person
 * with an `sg_person` session, no staff session) is anonymous to every staff route.
 */
const row = (base: Outcome, overrides: Partial<Row> = {}): Row =>
  Object.fromEntries(ROLES.map((r) => [r, overrides[r] ?? (r === 'anonymous' || r === 'endUser' ? 401 : base)])) as Row;

const everyone = row('ok', { anonymous: 'ok', endUser: 'ok' });
/** "My connected apps": the end user's own session only; staff sessions count as none. */
const endUserOnly = row(401, { endUser: 'ok' });
const signedIn = row('ok');
/** Routes about the partner's own app: partner B gets 404 (existence not revealed), others 403. */
const ownApp = row(403, { partnerA: 'ok', partnerB: 404 });
/** Partner routes about the partner itself. */
const partnerOnly = row(403, { partnerA: 'ok', partnerB: 'ok' });
const operatorOnly = row(403, { operator: 'ok' });
/**
 * School back-office pages about an app: one with grants on the admin's institutions, or an
 * accredited (approved) one, which any school admin may open to enable it (issue 14). The matrix's
 * app is approved, so the admin of another school opens it too.
 */
const schoolAppPage = row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 'ok' });
/** School back-office lists: every admin sees (their own slice). */
const schoolList = row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 'ok' });
/** Changing an app's Students grants needs iBasis or iLeerlingen, on the institutions sent. */
const schoolEditStudents = row(403, { adminWithRight: 'ok', adminWithoutRight: 403, adminOtherSchool: 403 });
/** Bearer-token routes: no human session counts. */
const clientOnly = row(401);

const POLICY: Record<string, Row> = {
  'POST /api/v1/auth/signup': everyone,
  'POST /api/v1/auth/confirm-email': everyone,
  // The sample credentials are wrong: everyone gets the same 401 invalid_credentials.
  'POST /api/v1/auth/login': row(401),
  'GET /api/v1/auth/session': signedIn,
  'POST /api/v1/auth/logout': signedIn,
  'GET /api/v1/catalog/apis': everyone,
  'GET /api/v1/catalog/data-categories': everyone,
  'GET /api/v1/public/partners': everyone,
  'GET /api/v1/public/register': everyone,
  'GET /api/v1/openapi.json': everyone,

  'GET /api/v1/partner/profile': partnerOnly,
  'PUT /api/v1/partner/profile': partnerOnly,
  'GET /api/v1/partner/apps': partnerOnly,
  'POST /api/v1/partner/apps': partnerOnly,
  'GET /api/v1/partner/apps/:appId': ownApp,
  'PATCH /api/v1/partner/apps/:appId': ownApp,
  'POST /api/v1/partner/apps/:appId/submit': ownApp,
  'POST /api/v1/partner/apps/:appId/archive': ownApp,
  'GET /api/v1/partner/apps/:appId/client': ownApp,
  'POST /api/v1/partner/apps/:appId/client/secrets': ownApp,
  'POST /api/v1/partner/apps/:appId/client/link': ownApp,
  'GET /api/v1/partner/apps/:appId/invitations': ownApp,
  'POST /api/v1/partner/apps/:appId/invitations': ownApp,
  'GET /api/v1/partner/apps/:appId/log': ownApp,
  'GET /api/v1/partner/apps/:appId/grants': ownApp,

  'GET /api/v1/operator/apps': operatorOnly,
  'GET /api/v1/operator/apps/:appId': operatorOnly,
  'POST /api/v1/operator/apps/:appId/approve': operatorOnly,
  'POST /api/v1/operator/apps/:appId/reject': operatorOnly,
  'POST /api/v1/operator/apps/:appId/suspend': operatorOnly,
  'POST /api/v1/operator/apps/:appId/reapprove': operatorOnly,
  'POST /api/v1/operator/apps/:appId/archive': operatorOnly,
  'PUT /api/v1/operator/apps/:appId/rate-limit': operatorOnly,
  'GET /api/v1/operator/partners': operatorOnly,
  'GET /api/v1/operator/readout/runs': operatorOnly,
  'GET /api/v1/operator/legacy-clients': operatorOnly,
  'POST /api/v1/operator/legacy-clients': operatorOnly,
  'PUT /api/v1/operator/legacy-clients/:clientId/grants': operatorOnly,
  'GET /api/v1/operator/ingestion-clients': operatorOnly,
  'POST /api/v1/operator/ingestion-clients': operatorOnly,
  // The developer sandbox (src/modules/sandbox) and the developer portal (src/modules/developers).
  'GET /api/v1/operator/sandbox': operatorOnly,
  'POST /api/v1/operator/sandbox': operatorOnly,
  'DELETE /api/v1/operator/sandbox': operatorOnly,
  'GET /api/v1/partner/developers': partnerOnly,
  'GET /api/v1/developers/oidc-openapi.json': everyone,
  'POST /api/v1/operator/ingestion-clients/:clientId/secrets': operatorOnly,
  'DELETE /api/v1/operator/ingestion-clients/:clientId': operatorOnly,
  // Upstream identity providers per school board (a literal :providerId is a 400 for the operator: past the gate).
  'GET /api/v1/operator/identity-providers': operatorOnly,
  'POST /api/v1/operator/identity-providers': operatorOnly,
  'PATCH /api/v1/operator/identity-providers/:providerId': operatorOnly,
  'DELETE /api/v1/operator/identity-providers/:providerId': operatorOnly,
  'GET /api/v1/operator/school-boards': operatorOnly,
  'GET /api/v1/dev/mailbox': operatorOnly,
  // Humans: the operator only (an ingestion client's bearer token is tested in test/ss12000).
  'POST /api/v1/ingestion/batch': operatorOnly,
  'POST /api/v1/ingestion/pre-enrolments': operatorOnly,
  'POST /api/v1/ingestion/boarders': operatorOnly,
  'POST /api/v1/ingestion/invoices': operatorOnly,

  'GET /api/v1/school/apps': schoolList,
  'GET /api/v1/school/api-access': schoolList,
  'GET /api/v1/school/apps/:appId': schoolAppPage,
  'GET /api/v1/school/apps/:appId/api-access': schoolAppPage,
  'PUT /api/v1/school/apps/:appId/api-access/:apiCode': schoolEditStudents,
  'GET /api/v1/school/apps/:appId/log': schoolAppPage,
  // Magister's flow (issue 14): the accredited apps list, and the on/off switch for the admin's
  // institutions (another school's admin reaches it and gets 409 nothing_to_switch_off there).
  'GET /api/v1/school/accredited-apps': schoolList,
  'PUT /api/v1/school/apps/:appId/switch': schoolAppPage,
  // A legacy client's grants are visible to admins of its institutions, never editable by them.
  'GET /api/v1/school/clients/:clientId/api-access': row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 404 }),
  // … and refused to every admin with 409 client_without_app (only the operator edits legacy scopes).
  'PUT /api/v1/school/clients/:clientId/api-access/:apiCode': row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 404 }),

  // Everyone signed in reads the audit log, scoped to what they may see; a teacher has no access.
  'GET /api/v1/audit-log': row('ok', { teacher: 403 }),
  // Its autocomplete and CSV export: the same readers, each within what they may see (src/modules/audit/audit-words.test.ts).
  'GET /api/v1/audit-log/suggestions': row('ok', { teacher: 403 }),
  'GET /api/v1/audit-log/export': row('ok', { teacher: 403 }),
  // The same scoping for the daily access-log aggregate of data reads.
  'GET /api/v1/access-log/daily': row('ok', { teacher: 403 }),
  // Reads per day for the charts: the same scoping (issue 14 point 9).
  'GET /api/v1/stats/reads': row('ok', { teacher: 403 }),
  'GET /api/v1/operator/dashboard': operatorOnly,
  // What clients reported (POST /log, /statistics): the operator all, school admins their institutions' (scoped in the handler).
  'GET /api/v1/client-reports': row('ok', { partnerA: 403, partnerB: 403, teacher: 403 }),

  'GET /api/v1/me/grants': clientOnly,

  // The sample credentials are wrong: everyone gets the same 401 invalid_credentials.
  'POST /api/v1/my/session': row(401),
  'GET /api/v1/my/session': endUserOnly,
  // Signing out without a session is a no-op (204) for anyone.
  'DELETE /api/v1/my/session': everyone,
  'GET /api/v1/my/apps': endUserOnly,
  // The school picker before signing in: anyone.
  'GET /api/v1/my/schools': everyone,
  // The end user withdraws their own consent (another person's is 404: src/modules/end-users/end-users.test.ts).
  'POST /api/v1/my/apps/:consentId/withdraw': endUserOnly,
  'GET /api/v1/partner/apps/:appId/events': ownApp,
  // Webhooks of the partner's own app (src/modules/app-webhooks): endpoint, deliveries, send again.
  'GET /api/v1/partner/apps/:appId/webhook': ownApp,
  'PUT /api/v1/partner/apps/:appId/webhook': ownApp,
  'DELETE /api/v1/partner/apps/:appId/webhook': ownApp,
  'GET /api/v1/partner/apps/:appId/webhook-deliveries': ownApp,
  'POST /api/v1/partner/apps/:appId/webhook-deliveries/:deliveryId/replay': ownApp,

  // Disclosure reports (src/modules/disclosures): school admins and the operator; a person without a
  // relation at the admin's institutions is a 404; the end user reads only their own.
  'GET /api/v1/school/persons': row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 'ok', operator: 'ok' }),
  'GET /api/v1/school/persons/:personId/disclosures': row(403, { adminWithRight: 'ok', adminWithoutRight: 'ok', adminOtherSchool: 404, operator: 'ok' }),
  'GET /api/v1/my/disclosures': endUserOnly,
  // The readout's runs in the web app (issue 13 point 6); a literal :runId is a 400 for the operator: past the gate.
  'GET /api/v1/operator/readout/customers': operatorOnly,
  'GET /api/v1/operator/readout/runs/:runId': operatorOnly,
};

/** A valid-looking body per state-changing route, so that fine-grained checks are reached. */
function sampleBody(key: string, world: World): unknown {
  const bodies: Record<string, unknown> = {
    'POST /api/v1/auth/signup': { email: `new-${world.n}@partner.example`, password: 'a long password', displayName: 'New' },
    'POST /api/v1/auth/confirm-email': { token: 'not-a-real-confirmation-token' },
    'POST /api/v1/auth/login': { email: `nobody-${world.n}@example.org`, password: 'wrong password' },
    'POST /api/v1/my/session': { login: `nobody-${world.n}`, password: 'wrong password' },
    'PUT /api/v1/partner/profile': { name: 'Partner', description: '', contactEmail: 'p@example.org', public: true },
    'POST /api/v1/partner/apps': {
      name: 'New app',
      contactEmail: 'a@example.org',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' }],
    },
    'PATCH /api/v1/partner/apps/:appId': { description: 'Changed' },
    'PUT /api/v1/partner/apps/:appId/webhook': { target: 'http://127.0.0.1:9/hooks' },
    'POST /api/v1/partner/apps/:appId/client/link': { clientId: world.legacyClientId, clientSecret: 'wrong' },
    'POST /api/v1/partner/apps/:appId/invitations': { emails: ['admin@school.example'] },
    'POST /api/v1/operator/apps/:appId/approve': { notes: 'ok' },
    'POST /api/v1/operator/apps/:appId/reject': { reason: 'no' },
    'POST /api/v1/operator/apps/:appId/suspend': { reason: 'check' },
    'POST /api/v1/operator/apps/:appId/reapprove': { notes: 'ok' },
    'POST /api/v1/operator/apps/:appId/archive': { reason: 'done' },
    'PUT /api/v1/operator/apps/:appId/rate-limit': { requestsPerMinute: 600 },
    'POST /api/v1/operator/legacy-clients': { name: 'Key', grants: [] },
    'PUT /api/v1/operator/legacy-clients/:clientId/grants': { grants: [], reason: 'cleanup' },
    'PUT /api/v1/school/apps/:appId/api-access/:apiCode': { institutionNumbers: [world.institutions[0], world.institutions[1]], reason: 'same set' },
    'PUT /api/v1/school/clients/:clientId/api-access/:apiCode': { institutionNumbers: [world.institutions[0]] },
    'PUT /api/v1/school/apps/:appId/switch': { on: false, reason: 'matrix' },
    'POST /api/v1/ingestion/batch': {},
    'POST /api/v1/ingestion/pre-enrolments': {},
    'POST /api/v1/ingestion/boarders': {},
    'POST /api/v1/ingestion/invoices': {},
    'POST /api/v1/operator/ingestion-clients': { name: `Loader ${world.n}` },
    // An unknown board: the operator gets 400 board_not_found before any discovery request.
    'POST /api/v1/operator/identity-providers': {
      boardId: '00000000-0000-4000-8000-000000000000',
      displayName: 'IdP',
      issuer: 'https://idp.invalid',
      clientId: 'c',
      clientSecret: 's',
      personClaim: 'eppn',
    },
    'PATCH /api/v1/operator/identity-providers/:providerId': { displayName: 'IdP' },
  };
  return bodies[key] ?? {};
}

interface World {
  n: number;
  appId: string;
  legacyClientId: string;
  ingestionClientId: string;
  institutions: string[];
  logins: Record<Exclude<Role, 'anonymous'>, string>;
  consentId: string;
  personId: string;
}

const PASSWORD = 'matrix password';

async function buildWorld(n: number): Promise<World> {
  const db = harness().ctx.db;
  const year = currentSchoolYear(harness().clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
  const inst = [0, 1, 2].map((i) => String(100000 + n * 10 + i));
  for (const [i, number] of inst.entries()) await insertInstitution(db, { number, name: `School ${n}.${i}` });
  const email = (who: string) => `${who}.${n}@matrix.example`;
  const user = (who: string, kind: 'operator' | 'partner' | 'school', userManagementAccess = false) =>
    insertUser(db, { email: email(who), password: PASSWORD, displayName: who, kind, userManagementAccess });
  const partnerAUser = await user('partnera', 'partner');
  const partnerBUser = await user('partnerb', 'partner');
  const partnerA = await insertPartner(db, { name: `A${n}`, contactEmail: email('contact-a'), memberUserIds: [partnerAUser] });
  const partnerB = await insertPartner(db, { name: `B${n}`, contactEmail: email('contact-b'), memberUserIds: [partnerBUser] });
  const appId = await insertApp(db, {
    partnerId: partnerA,
    name: `App A${n}`,
    status: 'approved',
    apis: [
      { apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' },
      { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Planning' },
    ],
  });
  await insertApp(db, {
    partnerId: partnerB,
    name: `App B${n}`,
    status: 'submitted',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'x' }],
  });
  const { clientId } = await insertClient(db, { appId, name: `App A${n}` });
  await insertGrant(db, { clientId, apiCode: 'students', institutionNumber: inst[0]! });
  await insertGrant(db, { clientId, apiCode: 'students', institutionNumber: inst[1]! });
  const legacy = await insertClient(db, { appId: null, name: `Legacy ${n}`, origin: 'legacy' });
  await insertGrant(db, { clientId: legacy.clientId, apiCode: 'students', institutionNumber: inst[0]! });
  const ingestion = await insertClient(db, { appId: null, name: `Loader ${n}`, origin: 'ingestion' });

  const withRight = await user('with-right', 'school', true);
  const withoutRight = await user('without-right', 'school', true);
  const other = await user('other-school', 'school', true);
  await user('teacher', 'school', false);
  await user('operator', 'operator');
  for (const number of [inst[0]!, inst[1]!]) {
    await insertAdminRight(db, { userId: withRight, right: 'iLeerlingen', institutionNumber: number, schoolYear: year });
    await insertAdminRight(db, { userId: withoutRight, right: 'iPersoneel', institutionNumber: number, schoolYear: year });
  }
  await insertAdminRight(db, { userId: other, right: 'iLeerlingen', institutionNumber: inst[2]!, schoolYear: year });
  return {
    n,
    appId,
    legacyClientId: legacy.clientId,
    ingestionClientId: ingestion.clientId,
    institutions: inst,
    logins: {
      partnerA: email('partnera'),
      partnerB: email('partnerb'),
      adminWithRight: email('with-right'),
      adminWithoutRight: email('without-right'),
      adminOtherSchool: email('other-school'),
      teacher: email('teacher'),
      operator: email('operator'),
      endUser: `person.${n}`,
    },
    ...(await insertPersonWithConsent(n, clientId, inst[0]!)),
  };
}

/** A student of the world's first school (enrolled there) with an end-user account and a consent for app A. */
async function insertPersonWithConsent(n: number, clientId: string, institution: string): Promise<{ consentId: string; personId: string }> {
  const db = harness().ctx.db;
  const personId = randomUUID();
  const now = harness().clock.now();
  await db
    .insertInto('ss12000_persons')
    .values({
      id: personId,
      ...storedBody('persons', { id: personId }),
      hash: personId,
      created_at: now,
      modified_at: now,
      given_name: 'P',
      family_name: `${n}`,
      display_name: `P ${n}`,
      search_name: `p ${n}`,
      civic_no: null,
      eppns: [],
      security_marking: null,
    })
    .execute();
  await insertEndUserAccount(db, { personId, login: `person.${n}`, password: PASSWORD });
  const unitId = randomUUID();
  await db
    .insertInto('ss12000_organisations')
    .values({
      id: unitId,
      body: '{}',
      hash: unitId,
      created_at: now,
      modified_at: now,
      display_name: institution,
      organisation_type: 'Skolenhet',
      organisation_code: institution,
    })
    .execute();
  await db
    .insertInto('ss12000_person_relations')
    .values({ person_id: personId, kind: 'enrolment', organisation_id: unitId, start_date: null, end_date: null, source_type: 'persons', source_id: personId })
    .execute();
  const consentId = randomUUID();
  await db
    .insertInto('end_user_consents')
    .values({
      id: consentId,
      person_id: personId,
      client_id: clientId,
      institution_number: institution,
      role: 'student',
      api_code: 'students',
      scopes: ['openid'],
      data_categories: ['identity'],
      oidc_grant_id: null,
      consented_at: now,
      updated_at: now,
    })
    .execute();
  return { consentId, personId };
}

function outcomeOf(status: number): Outcome | number {
  if (status === 401 || status === 403 || status === 404) return status;
  if (status >= 200 && status < 300) return 'ok';
  if (status === 400 || status === 409 || status === 410 || status === 429) return 'ok';
  return status;
}

describe('authorization matrix', () => {
  it('declares a policy for every API route', () => {
    const routes = harness().apiRoutes.map((r) => `${r.method} ${r.url}`);
    const missing = routes.filter((r) => !(r in POLICY));
    expect(missing, 'routes without a row in the policy table').toEqual([]);
    const stale = Object.keys(POLICY).filter((key) => !routes.includes(key));
    expect(stale, 'policy rows for routes that do not exist').toEqual([]);
  });

  it('answers every route for every role as the policy says', async () => {
    const routes = harness()
      .apiRoutes.map((r) => `${r.method} ${r.url}`)
      .filter((r) => r in POLICY);
    const mismatches: string[] = [];
    for (const [index, role] of ROLES.entries()) {
      const world = await buildWorld(index + 1);
      const client: TestClient = harness().client();
      if (role === 'endUser') {
        const login = await client.post('/api/v1/my/session', { login: world.logins[role], password: PASSWORD });
        expect(login.status, `${role} signs in`).toBe(200);
        client.csrfToken = login.body.csrfToken;
      } else if (role !== 'anonymous') {
        const login = await client.login(world.logins[role], PASSWORD);
        expect(login.status, `${role} signs in`).toBe(200);
      }
      // Sign-out last, so that it does not end the session the other checks use.
      const signOut = ['POST /api/v1/auth/logout', 'DELETE /api/v1/my/session'];
      const ordered = [...routes.filter((r) => !signOut.includes(r)), ...routes.filter((r) => signOut.includes(r))];
      for (const key of ordered) {
        const [method, url] = key.split(' ') as [string, string];
        const path = url
          .replace(':appId', world.appId)
          .replace(':clientId', url.includes('/ingestion-clients/') ? world.ingestionClientId : world.legacyClientId)
          .replace(':apiCode', 'students')
          .replace(':consentId', world.consentId)
          .replace(':personId', world.personId)
          .replace(/\/school\/persons$/, '/school/persons?q=matrix')
          .replace(/\/audit-log\/suggestions$/, '/audit-log/suggestions?field=app');
        const res = await client.request(method, path, method === 'GET' ? undefined : sampleBody(key, world));
        const got = outcomeOf(res.status);
        const want = POLICY[key]![role];
        if (got !== want) mismatches.push(`${role.padEnd(18)} ${key}: expected ${want}, got ${res.status} ${res.body?.code ?? ''}`);
        if (res.status >= 500) mismatches.push(`${role} ${key}: server error ${res.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});

/**
 * Write grants (issue 17, point 4) in the matrix: granting an API read-write is the same route as
 * granting it, so the same callers may do it — the school admin with the API's right on those
 * institutions, nobody else — and only where the app's approved request asks for read-write. Then
 * the access core's one rule (`may write api X at institution I`, src/modules/access/write-access.ts)
 * answers yes for that client there, and no for every other client, API or institution.
 */
describe('authorization matrix: write grants', () => {
  it('lets only the school admin with the right grant read-write, only where the app asked for it; the write rule follows the live grant', async () => {
    const db = harness().ctx.db;
    const mismatches: string[] = [];
    for (const [index, role] of ROLES.entries()) {
      const world = await buildWorld(100 + index);
      await db
        .updateTable('app_api_requests')
        .set({ access_level: 'read_write' })
        .where('app_id', '=', world.appId)
        .where('api_code', '=', 'students')
        .execute();
      const client: TestClient = harness().client();
      if (role === 'endUser') {
        const login = await client.post('/api/v1/my/session', { login: world.logins[role], password: PASSWORD });
        client.csrfToken = login.body.csrfToken;
      } else if (role !== 'anonymous') {
        expect((await client.login(world.logins[role], PASSWORD)).status, `${role} signs in`).toBe(200);
      }
      const res = await client.put(`/api/v1/school/apps/${world.appId}/api-access/students`, {
        institutionNumbers: [world.institutions[0], world.institutions[1]],
        accessLevel: 'read_write',
        reason: 'attendance registration',
      });
      const want = schoolEditStudents[role];
      const got = res.status >= 200 && res.status < 300 ? 'ok' : res.status;
      if (got !== want) mismatches.push(`${role} PUT read_write: expected ${want}, got ${res.status} ${res.body?.code ?? ''}`);
      const clientId = (await db.selectFrom('clients').select('id').where('app_id', '=', world.appId).executeTakeFirstOrThrow()).id;
      const levels = await db
        .selectFrom('grants')
        .select(['institution_number', 'access_level'])
        .where('client_id', '=', clientId)
        .orderBy('institution_number')
        .execute();
      const granted = want === 'ok';
      expect(
        levels.map((l) => l.access_level),
        role,
      ).toEqual(granted ? ['read_write', 'read_write'] : ['read', 'read']);
      expect(await mayWriteApi(db, clientId, 'students', world.institutions[0]!), `${role}: may write at the first school`).toBe(granted);
      // Never elsewhere: another API, an institution not granted.
      expect(await mayWriteApi(db, clientId, 'staff', world.institutions[0]!)).toBe(false);
      expect(await mayWriteApi(db, clientId, 'students', world.institutions[2]!)).toBe(false);
      if (role === 'adminWithRight') {
        // The audit row names the read-write targets, before and after.
        const audit = await db
          .selectFrom('audit_log')
          .select(['before', 'after'])
          .where('client_id', '=', clientId)
          .where('action', '=', 'grants.replaced')
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow();
        expect(audit.before).toEqual({ apiCode: 'students', institutionNumbers: [world.institutions[0], world.institutions[1]] });
        expect(audit.after).toEqual({
          apiCode: 'students',
          institutionNumbers: [world.institutions[0], world.institutions[1]],
          readWrite: [world.institutions[0], world.institutions[1]],
        });
        // Staff was asked for read only: read-write is refused there, naming the field.
        const staff = await client.put(`/api/v1/school/apps/${world.appId}/api-access/staff`, {
          institutionNumbers: [world.institutions[0]],
          accessLevel: 'read_write',
        });
        expect([staff.status, staff.body.code, staff.body.details?.field ?? staff.body.field]).toEqual([409, 'access_level_not_requested', 'body.accessLevel']);
        // Saving the same set without a level keeps read-write: it is never lowered or raised by omission.
        const again = await client.put(`/api/v1/school/apps/${world.appId}/api-access/students`, {
          institutionNumbers: [world.institutions[0], world.institutions[1]],
        });
        expect([again.status, again.body.changed]).toEqual([200, false]);
        // Lowered to read: the next question gets no.
        const lowered = await client.put(`/api/v1/school/apps/${world.appId}/api-access/students`, {
          institutionNumbers: [world.institutions[0], world.institutions[1]],
          accessLevel: 'read',
        });
        expect([lowered.status, lowered.body.changed]).toEqual([200, true]);
        expect(await mayWriteApi(db, clientId, 'students', world.institutions[0]!)).toBe(false);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});

/**
 * The SS 12000 write endpoints (issue 17, point 4) × every kind of bearer caller. Expected outcomes
 * are the issue's: only an approved app that asked for the attendance API read-write and holds a
 * read-write grant at the record's institution writes; a caller that can read the record but not
 * write it is refused with 403; one that cannot even see it is answered as for an unknown reference
 * (POST: 400) or id (DELETE: 404); no token is a 401; an ingestion client never reads or writes.
 */
describe('authorization matrix: SS 12000 writes', () => {
  it('writes only with a read-write grant at the record’s institution', async () => {
    const { ctx, url } = harness();
    const n = String(Math.floor(Math.random() * 800000) + 100000);
    const [inst, other] = [`${n.slice(0, 5)}7`, `${n.slice(0, 5)}8`];
    for (const number of [inst, other]) await insertInstitution(ctx.db, { number, name: `School ${number}` });
    const [unit, otherUnit, pupil, group, activity, lesson, placement, child] = Array.from({ length: 8 }, () => randomUUID()) as string[];
    const enrolled = (u: string) => [{ enroledAt: { id: u }, schoolType: 'GR', startDate: '2026-08-18' }];
    await ingestBatch(
      ctx,
      {
        upsert: {
          organisations: [
            { id: unit, displayName: 'Matrix school', organisationType: 'Skolenhet', organisationCode: inst },
            { id: otherUnit, displayName: 'Other school', organisationType: 'Skolenhet', organisationCode: other },
          ],
          persons: [
            { id: pupil, givenName: 'Ella', familyName: 'Matrix', enrolments: enrolled(unit!) },
            { id: child, givenName: 'Mio', familyName: 'Matrix' },
          ],
          groups: [{ id: group, displayName: '7A', startDate: '2026-08-18', groupType: 'Klass', organisation: { id: unit } }],
          placements: [{ id: placement, placedAt: { id: unit }, child: { id: child }, schoolType: 'FS', startDate: '2026-08-18' }],
          activities: [
            { id: activity, displayName: 'Matte', calendarEventsRequired: true, startDate: '2026-08-18', groups: [{ id: group }], organisation: { id: unit } },
          ],
          calendarEvents: [{ id: lesson, activity: { id: activity }, startTime: '2026-11-23T08:15:00+01:00', endTime: '2026-11-23T09:05:00+01:00' }],
        },
      },
      { id: null, label: 'matrix', kind: 'system' },
    );
    const bodies: Record<string, unknown> = {
      attendances: { calendarEvent: { id: lesson }, student: { id: pupil }, isReported: true },
      attendanceEvents: { time: '2026-11-23T07:40:00+01:00', eventType: 'In', person: { id: pupil }, group: { id: group } },
      attendanceSchedule: {
        placement: { id: placement },
        numberOfWeeks: 1,
        startDate: '2026-11-23',
        state: [{ state: 'Begärt', registeredAt: '2026-11-20T09:00:00+01:00' }],
      },
      absences: {
        startTime: '2026-11-24T00:00:00+01:00',
        endTime: '2026-11-24T23:59:00+01:00',
        type: 'Beviljad ledighet',
        student: { id: pupil },
        organisation: { id: unit },
      },
    };
    const partnerId = await insertPartner(ctx.db, { name: `Matrix writer ${n}`, contactEmail: 'w@example.test' });
    /** A client of an approved app asking for attendance at `requested`, granted it at `grants`. */
    const caller = async (requested: AccessLevel, grants: Record<string, AccessLevel>, status: 'approved' | 'suspended' = 'approved') => {
      const appId = await insertApp(ctx.db, {
        partnerId,
        name: `Matrix ${requested}`,
        status: 'approved',
        apis: [
          { apiCode: 'students', dataCategories: ['identity'], purpose: 'Attendance' },
          { apiCode: 'attendance', dataCategories: ['identity', 'absences'], purpose: 'Attendance', accessLevel: requested },
        ],
      });
      const { clientId, secret } = await insertClient(ctx.db, { appId, name: 'Matrix client' });
      for (const [institutionNumber, accessLevel] of Object.entries(grants)) {
        await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber });
        await insertGrant(ctx.db, { clientId, apiCode: 'attendance', institutionNumber, accessLevel });
      }
      const client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, clientId, secret);
      await client.fetchToken();
      if (status === 'suspended') await ctx.db.updateTable('apps').set({ status }).where('id', '=', appId).execute();
      return client;
    };
    const writer = await caller('read_write', { [inst]: 'read_write' });
    const ingestion = await insertClient(ctx.db, { appId: null, name: 'Matrix SIS', origin: 'ingestion' });
    const callers: Record<string, { client: Ss12000Client | null; post: Outcome | 400; del: Outcome }> = {
      noToken: { client: null, post: 401, del: 401 },
      ingestionClient: { client: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, ingestion.clientId, ingestion.secret), post: 403, del: 403 },
      grantElsewhere: { client: await caller('read_write', { [other]: 'read_write' }), post: 400, del: 404 },
      readGrant: { client: await caller('read_write', { [inst]: 'read' }), post: 403, del: 403 },
      requestedRead: { client: await caller('read', { [inst]: 'read_write' }), post: 403, del: 403 },
      appSuspended: { client: await caller('read_write', { [inst]: 'read_write' }, 'suspended'), post: 403, del: 403 },
      readWrite: { client: writer, post: 'ok', del: 'ok' },
    };
    const outcome = (status: number) => (status >= 200 && status < 300 ? 'ok' : status);
    const mismatches: string[] = [];
    for (const [path, body] of Object.entries(bodies)) {
      for (const [name, k] of Object.entries(callers)) {
        const post = k.client
          ? await k.client.request('POST', `/${path}`, body)
          : await fetch(`${url}/ss12000/v2.0/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const postStatus = post.status;
        if (outcome(postStatus) !== k.post) mismatches.push(`${name} POST /${path}: expected ${k.post}, got ${postStatus}`);
        if (path === 'absences') continue;
        // A fresh record of the writer's for each DELETE, so a caller's refusal is not an earlier deletion.
        const made = await writer.request('POST', `/${path}`, body);
        expect(made.status, JSON.stringify(made.body)).toBe(200);
        const del = k.client
          ? await k.client.request('DELETE', `/${path}/${made.body.id}`)
          : await fetch(`${url}/ss12000/v2.0/${path}/${made.body.id}`, { method: 'DELETE' });
        if (outcome(del.status) !== k.del) mismatches.push(`${name} DELETE /${path}/{id}: expected ${k.del}, got ${del.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
