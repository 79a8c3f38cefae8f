import { spawnSync } from 'node:child_process';
import { importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { TestClient } from '../support/harness.ts';
import { createClient, createInstitution, grant, myGrants, requestToken } from '../oidc/fixtures.ts';
import { createFreshDatabase, NODE, ROOT, spawnServer, waitUntilReady, type ServerProcess } from './server-process.ts';

/**
 * Two real Schoolgate processes on one PostgreSQL database: a change made anywhere is honoured by
 * the other process on its very next request (authorization reads live rows; nothing is cached).
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

// Both processes serve one deployment: one public URL, so one issuer and one token audience.
const PUBLIC_URL = 'http://schoolgate.test';

let a: ServerProcess;
let b: ServerProcess;
let database: Database;
let drop: () => Promise<void>;
let ctx: AppContext;
let databaseUrl: string;

beforeAll(async () => {
  const fresh = await createFreshDatabase(adminUrl, `sg_two_processes_${process.pid}`);
  drop = fresh.drop;
  databaseUrl = fresh.url;
  const env = { DATABASE_URL: fresh.url, PUBLIC_URL };
  // Started together on an empty database: they race for migrations and the first signing key.
  [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
  await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
  database = await openDatabase({ databaseUrl: fresh.url, poolSize: 2 });
  ctx = { db: database.db, clock: systemClock } as AppContext;
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await database?.close();
  await drop?.();
});

describe('two server processes on one database', () => {
  it('agree on one signing key created by whichever started first', async () => {
    const active = await database.db.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).execute();
    expect(active).toHaveLength(1);
    const kidsA = (await (await fetch(`${a.url}/oidc/jwks`)).json()).keys.map((k: { kid: string }) => k.kid);
    const kidsB = (await (await fetch(`${b.url}/oidc/jwks`)).json()).keys.map((k: { kid: string }) => k.kid);
    expect(kidsA).toEqual([active[0]!.kid]);
    expect(kidsB).toEqual(kidsA);
  });

  it('a token from A works on B, and B sees a removed grant and a suspended app on the next request', async () => {
    const c = await createClient(ctx);
    const s1 = await createInstitution(ctx, 'Sint-Jozefsinstituut');
    const s2 = await createInstitution(ctx, 'Atheneum Brugge');
    const g1 = await grant(ctx, c.clientId, 'students', { institutionNumber: s1.number });
    await grant(ctx, c.clientId, 'students', { institutionNumber: s2.number });

    const issued = await requestToken(a.url, c.clientId, c.secret);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const token = issued.body.access_token as string;

    const first = await myGrants(b.url, token);
    expect(first.status).toBe(200);
    expect(first.body.data.map((g: any) => g.institution.number).sort()).toEqual([s1.number, s2.number].sort());

    // A school admin removes one grant (here straight in the database, as any process would).
    await database.db.deleteFrom('grants').where('id', '=', g1).execute();
    const afterRemoval = await myGrants(b.url, token);
    expect(afterRemoval.status).toBe(200);
    expect(afterRemoval.body.data.map((g: any) => g.institution.number)).toEqual([s2.number]);

    // The operator suspends the app.
    await database.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', c.appId!).execute();
    const onB = await myGrants(b.url, token);
    expect(onB.status).toBe(403);
    expect(onB.body.code).toBe('client_not_allowed');
    const onA = await myGrants(a.url, token);
    expect(onA.status).toBe(403);
    const newToken = await requestToken(b.url, c.clientId, c.secret, 'post');
    expect(newToken.status).toBe(401);
    expect(newToken.body.error_description).toContain('is suspended');
  });

  it('a key rotated by `schoolgate keys rotate` in a third process verifies on A and B at once; old tokens keep working', async () => {
    const c = await createClient(ctx);
    const before = await requestToken(a.url, c.clientId, c.secret);
    expect(before.status).toBe(200);

    const rotate = spawnSync(NODE, ['--import', 'tsx', 'src/cli.ts', 'keys', 'rotate'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    expect(rotate.status, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('New signing key');

    // A token signed with the new key (as a process that already switched would sign it).
    const key = await database.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).executeTakeFirstOrThrow();
    const jwk = (typeof key.private_jwk === 'string' ? JSON.parse(key.private_jwk) : key.private_jwk) as JWK;
    const now = Math.floor(Date.now() / 1000);
    const fresh = await new SignJWT({ client_id: c.clientId })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(`${PUBLIC_URL}/oidc`)
      .setAudience(`${PUBLIC_URL}/ss12000`)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(await importJWK(jwk, 'ES256'));
    for (const server of [a, b]) {
      expect((await myGrants(server.url, fresh)).status).toBe(200);
      expect((await myGrants(server.url, before.body.access_token)).status).toBe(200);
    }
  });

  it('an operator suspending the app through the API of A is refused on B at the next request', async () => {
    const c = await createClient(ctx);
    const token = (await requestToken(b.url, c.clientId, c.secret)).body.access_token as string;
    expect((await myGrants(b.url, token)).status).toBe(200);

    const email = `operator-${newId()}@schoolgate.test`;
    await database.db
      .insertInto('users')
      .values({ id: newId(), email, password_hash: await hashPassword('correct horse battery'), display_name: 'Operator', kind: 'operator' })
      .execute();
    const operator = new TestClient(a.url);
    expect((await operator.login(email, 'correct horse battery')).status).toBe(200);
    const suspended = await operator.post(`/api/v1/operator/apps/${c.appId}/suspend`, { reason: 'Data breach under investigation' });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);

    const refused = await myGrants(b.url, token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('client_not_allowed');
    expect((await requestToken(b.url, c.clientId, c.secret)).status).toBe(401);
  });

  it('a school admin removing a grant through the API of A: B shows it gone at the next request', async () => {
    const c = await createClient(ctx);
    const s1 = await createInstitution(ctx, 'Sint-Pietersinstituut');
    const s2 = await createInstitution(ctx, 'Heilige Familie');
    await grant(ctx, c.clientId, 'students', { institutionNumber: s1.number });
    await grant(ctx, c.clientId, 'students', { institutionNumber: s2.number });
    const token = (await requestToken(a.url, c.clientId, c.secret)).body.access_token as string;
    expect((await myGrants(b.url, token)).body.data).toHaveLength(2);

    const adminId = newId();
    const email = `admin-${adminId}@school.test`;
    await database.db
      .insertInto('users')
      .values({
        id: adminId,
        email,
        password_hash: await hashPassword('correct horse battery'),
        display_name: 'School admin',
        kind: 'school',
        user_management_access: true,
      })
      .execute();
    const schoolYear = currentSchoolYear(new Date(), { start: '09-01', timeZone: 'Europe/Brussels' });
    for (const s of [s1, s2]) {
      await database.db
        .insertInto('admin_rights')
        .values({ user_id: adminId, module_right: 'iLeerlingen', institution_number: s.number, school_year: schoolYear })
        .execute();
    }
    const admin = new TestClient(a.url);
    expect((await admin.login(email, 'correct horse battery')).status).toBe(200);
    const replaced = await admin.put(`/api/v1/school/apps/${c.appId}/api-access/students`, {
      institutionNumbers: [s2.number],
      confirmRemoval: true,
      reason: 'End of the pilot',
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);

    const after = await myGrants(b.url, token);
    expect(after.status).toBe(200);
    expect(after.body.data.map((g: any) => g.institution.number)).toEqual([s2.number]);
  });
});
