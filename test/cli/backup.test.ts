/**
 * `schoolgate backup` and `schoolgate restore`, through the real CLI and the real server, on the
 * embedded database (PGlite in a temporary data directory) or, with TEST_DATABASE_URL, on fresh
 * databases of the PostgreSQL server (pg_dump/pg_restore). What an operator relies on: everything
 * comes back (data, grants, audit, client secrets: an app's client_credentials work against the
 * restored server), every session ends (documented), and a bad file or a busy or non-empty target
 * is refused in one line before anything changes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { DEMO_CLIENT, DEMO_PASSWORD } from '../../src/seed/demo.ts';
import { cli, freshServerDatabase, startServerProcess, type Target } from './cli-process.ts';

const SERVER = process.env.TEST_DATABASE_URL;
const work = mkdtempSync(join(tmpdir(), 'sg-backup-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  rmSync(work, { recursive: true, force: true });
});

async function newTarget(label: string): Promise<Target> {
  if (!SERVER) return { kind: 'pglite', dataDir: join(work, label) };
  const db = await freshServerDatabase(SERVER, label);
  cleanups.push(db.drop);
  return { kind: 'postgres', url: db.url };
}

async function withDatabase<T>(target: Target, work: (db: Database['db']) => Promise<T>): Promise<T> {
  const database = await openDatabase(target.kind === 'pglite' ? { dataDir: target.dataDir } : { databaseUrl: target.url, poolSize: 1 });
  try {
    return await work(database.db);
  } finally {
    await database.close();
  }
}

/** Counts read straight from the database (no server running on it). */
async function counts(target: Target) {
  const database = await openDatabase(target.kind === 'pglite' ? { dataDir: target.dataDir } : { databaseUrl: target.url, poolSize: 1 });
  try {
    const count = async (table: 'grants' | 'audit_log' | 'sessions' | 'end_user_sessions' | 'users' | 'client_secrets' | 'ss12000_persons') =>
      Number(
        (
          await database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const last = await database.db.selectFrom('audit_log').select(['action', 'after']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    return {
      grants: await count('grants'),
      audit: await count('audit_log'),
      sessions: await count('sessions'),
      endUserSessions: await count('end_user_sessions'),
      oidc: (await database.db.selectFrom('oidc_payloads').select('type').orderBy('type').execute()).map((r) => r.type),
      users: await count('users'),
      secrets: await count('client_secrets'),
      persons: await count('ss12000_persons'),
      lastAudit: last,
    };
  } finally {
    await database.close();
  }
}

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: 'operator@schoolgate.demo', password: DEMO_PASSWORD }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

const sessionStatus = async (url: string, cookie: string) => (await fetch(`${url}/api/v1/auth/session`, { headers: { cookie } })).status;

/** A client_credentials token for the demo app, then its live grants with it. */
async function clientGrants(url: string): Promise<{ tokenStatus: number; grantsStatus?: number; grants?: unknown[] }> {
  const res = await fetch(`${url}/oidc/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${DEMO_CLIENT.clientId}:${DEMO_CLIENT.secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) return { tokenStatus: res.status };
  const { access_token } = (await res.json()) as { access_token: string };
  const grants = await fetch(`${url}/api/v1/me/grants`, { headers: { authorization: `Bearer ${access_token}` } });
  return { tokenStatus: 200, grantsStatus: grants.status, grants: ((await grants.json()) as { data: unknown[] }).data };
}

describe(`schoolgate backup and restore (${SERVER ? 'PostgreSQL server' : 'embedded PGlite'})`, () => {
  it('round-trips data, grants, audit and client secrets; ends every session; refuses bad files and busy or non-empty targets', async () => {
    const source = await newTarget('source');
    expect(cli(source, ['seed', '--demo']).status).toBe(0);

    // A signed-in operator and a working app on the source.
    const first = await startServerProcess(source);
    let cookie: string;
    let grantsBefore: unknown[];
    try {
      cookie = await signIn(first.url);
      expect(await sessionStatus(first.url, cookie)).toBe(200);
      const before = await clientGrants(first.url);
      expect(before).toMatchObject({ tokenStatus: 200, grantsStatus: 200 });
      grantsBefore = before.grants!;
      expect(grantsBefore.length).toBeGreaterThan(0);
      if (source.kind === 'pglite') {
        // The data directory is the running server's: a copy now could miss its latest writes.
        const busy = cli(source, ['backup', join(work, 'busy.backup')]);
        expect(busy.status).toBe(1);
        expect(busy.errorLines).toHaveLength(1);
        expect(busy.errorLines[0]).toMatch(/^schoolgate backup: the embedded database in .* is in use by process \d+/);
        const restoreBusy = cli(source, ['restore', '--force', join(work, 'busy.backup')]);
        expect(restoreBusy.status).toBe(1);
      }
    } finally {
      await first.stop();
    }
    // An end user's session and oidc-provider's stored artefacts, as a sign-in through an app leaves them.
    await withDatabase(source, async (db) => {
      const person = await db.selectFrom('ss12000_persons').select('id').limit(1).executeTakeFirstOrThrow();
      const expires = new Date(Date.now() + 3_600_000);
      await db
        .insertInto('end_user_sessions')
        .values({ token_hash: 'h'.repeat(64), person_id: person.id, csrf_token: 'c', expires_at: expires })
        .execute();
      for (const type of ['Session', 'RefreshToken', 'Grant']) {
        await db
          .insertInto('oidc_payloads')
          .values({ id: `${type}-1`, type, payload: JSON.stringify({ kind: type }), grant_id: 'g1', expires_at: expires })
          .execute();
      }
    });
    const original = await counts(source);
    expect(original.sessions).toBeGreaterThan(0);
    expect(original.oidc).toEqual(['Grant', 'RefreshToken', 'Session']);

    const file = join(work, 'schoolgate.backup');
    const backup = cli(source, ['backup', file]);
    expect(backup.errorLines).toEqual([]);
    expect(backup.status).toBe(0);
    expect(backup.stdout).toMatch(/^Backed up the (embedded|PostgreSQL) database/);
    const again = cli(source, ['backup', file]);
    expect(again.status).toBe(1);
    expect(again.errorLines).toEqual([`schoolgate backup: ${file} exists already; choose another name or pass --force to overwrite it`]);

    // Bad files are refused before anything is touched, in one line each.
    const bytes = readFileSync(file);
    const truncated = join(work, 'truncated.backup');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const damaged = join(work, 'damaged.backup');
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10] = flipped[flipped.length - 10]! ^ 0xff;
    writeFileSync(damaged, flipped);
    const foreign = join(work, 'foreign.backup');
    writeFileSync(foreign, 'PGDMP not ours\n');
    const target = await newTarget('target');
    for (const [bad, message] of [
      [truncated, /is truncated: \d+ of its \d+ bytes of data are there$/],
      [damaged, /is damaged: its data does not match the checksum it was written with$/],
      [foreign, /is not a Schoolgate backup \(made by `schoolgate backup`\)$/],
      [join(work, 'missing.backup'), /missing\.backup does not exist$/],
    ] as const) {
      const refused = cli(target, ['restore', bad]);
      expect(refused.status, bad).toBe(1);
      expect(refused.errorLines, bad).toHaveLength(1);
      expect(refused.errorLines[0]).toMatch(message);
      expect(refused.stdout).toBe('');
    }

    const restored = cli(target, ['restore', file]);
    expect(restored.errorLines).toEqual([]);
    expect(restored.status).toBe(0);
    // Staff sessions, the end user's session, oidc-provider's Session and RefreshToken.
    const ended = original.sessions + original.endUserSessions + 2;
    expect(restored.stdout).toContain(`${ended} session(s) ended`);

    // Everything came back; every session ended; the restore is in the audit log.
    const after = await counts(target);
    expect(after).toMatchObject({
      grants: original.grants,
      users: original.users,
      secrets: original.secrets,
      persons: original.persons,
      sessions: 0,
      endUserSessions: 0,
      oidc: ['Grant'],
    });
    expect(after.audit).toBe(original.audit + 1);
    expect(after.lastAudit.action).toBe('database.restored');
    expect(after.lastAudit.after).toMatchObject({ file: 'schoolgate.backup', sessionsEnded: ended });

    // A non-empty target needs --force; with it, the target is replaced (not merged into).
    const nonEmpty = cli(target, ['restore', file]);
    expect(nonEmpty.status).toBe(1);
    expect(nonEmpty.errorLines).toHaveLength(1);
    expect(nonEmpty.errorLines[0]).toMatch(/pass --force to replace/);
    const forced = cli(target, ['restore', '--force', file]);
    expect(forced.errorLines).toEqual([]);
    expect(forced.status).toBe(0);
    const afterForce = await counts(target);
    expect(afterForce.audit).toBe(original.audit + 1);
    expect(afterForce.grants).toBe(original.grants);

    // The restored server: the app's secret still works and sees the same grants; the old session is over.
    const second = await startServerProcess(target);
    try {
      const now = await clientGrants(second.url);
      expect(now).toMatchObject({ tokenStatus: 200, grantsStatus: 200 });
      expect(now.grants).toEqual(grantsBefore);
      expect(await sessionStatus(second.url, cookie)).toBe(401);
      const fresh = await signIn(second.url);
      expect(await sessionStatus(second.url, fresh)).toBe(200);
      if (target.kind === 'pglite') {
        const busy = cli(target, ['restore', '--force', file]);
        expect(busy.status).toBe(1);
        expect(busy.errorLines).toHaveLength(1);
        expect(busy.errorLines[0]).toMatch(/is in use by process \d+/);
      } else {
        const busy = cli(target, ['restore', '--force', file]);
        expect(busy.status).toBe(1);
        expect(busy.errorLines).toHaveLength(1);
        expect(busy.errorLines[0]).toMatch(/other session\(s\) are connected to the target database; stop the Schoolgate servers using it first$/);
      }
    } finally {
      await second.stop();
    }

    // A backup of one kind is not restored into the other.
    const otherKind: Target = SERVER ? { kind: 'pglite', dataDir: join(work, 'other') } : { kind: 'postgres', url: 'postgres://127.0.0.1:1/none' };
    const crossed = cli(otherKind, ['restore', file]);
    expect(crossed.status).toBe(1);
    expect(crossed.errorLines).toHaveLength(1);
    expect(crossed.errorLines[0]).toMatch(SERVER ? /is a backup of a PostgreSQL server/ : /is a backup of an embedded database/);
  }, 600_000);
});
