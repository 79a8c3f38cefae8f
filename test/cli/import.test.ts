/**
 * `schoolgate users|institutions|rights import` through the real CLI process, against a temporary
 * data directory (or, with TEST_DATABASE_URL, a fresh PostgreSQL database): a bad file is refused
 * whole in one line an operator can act on (file, line, field), with a non-zero exit code and no
 * stack trace; a password is never printed, neither it nor its hash; an institution number twice in
 * one file is refused (not last-wins); `rights import` replaces or merges as `--mode` says;
 * `import --pre-enrolments`, `--boarders` and `--invoices` load their ingestion endpoint's batch
 * format all or nothing, with one audit row per load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.ts';
import { insertAccessGroup } from '../../src/seed/builders.ts';
import { cli, freshServerDatabase, type CliResult, type Target } from './cli-process.ts';

const SERVER = process.env.TEST_DATABASE_URL;
const work = mkdtempSync(join(tmpdir(), 'sg-import-cli-'));
let target: Target;
let dropDatabase = async () => {};

beforeAll(async () => {
  if (SERVER) {
    const db = await freshServerDatabase(SERVER, 'import');
    target = { kind: 'postgres', url: db.url };
    dropDatabase = db.drop;
  } else {
    target = { kind: 'pglite', dataDir: join(work, 'data') };
  }
  // The first command migrates the fresh database.
  expect(cli(target, ['migrate']).status).toBe(0);
});
afterAll(async () => {
  await dropDatabase();
  rmSync(work, { recursive: true, force: true });
});

const file = (name: string, content: string | Buffer) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

async function read<T>(query: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await openDatabase(target.kind === 'pglite' ? { dataDir: target.dataDir } : { databaseUrl: target.url, poolSize: 1 });
  try {
    return await query(database.db);
  } finally {
    await database.close();
  }
}

/** Refused in exactly one line, naming the command; no stack frame anywhere in the output. */
function expectOneLine(result: CliResult, pattern: RegExp) {
  expect(result.status, result.stderr).toBe(1);
  expect(result.errorLines, result.stderr).toHaveLength(1);
  expect(result.errorLines[0]).toMatch(pattern);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe('');
}

const PASSWORD = 'Vx7-unique-horse-battery';

describe('schoolgate imports through the CLI', () => {
  it('hashes a password column and never prints it or its hash, not even when the file is refused', async () => {
    const ok = cli(target, ['users', 'import', file('pw.csv', `sisUserId,email,displayName,password\nu1,ada@school.example,Ada,${PASSWORD}\n`)]);
    expect(ok.errorLines).toEqual([]);
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe('{"created":1,"updated":0}');
    for (const out of [ok.stdout, ok.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain('$argon2');
    }
    const stored = await read((db) => db.selectFrom('users').select('password_hash').where('sis_user_id', '=', 'u1').executeTakeFirstOrThrow());
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);

    // A refused file with passwords in it: the refusal names rows and fields, never the values.
    const refused = cli(target, [
      'users',
      'import',
      file('pw-bad.json', JSON.stringify([{ sisUserId: 'u2', email: 'ada@school.example', displayName: 'Ada Two', password: PASSWORD }])),
    ]);
    expectOneLine(refused, /^schoolgate users import: .*pw-bad\.json: item 1, email: ada@school\.example belongs to another account$/);
    const weak = cli(target, ['users', 'import', file('pw-weak.csv', 'sisUserId,email,displayName,password\nu3,bo@school.example,Bo,Zq9tiny\n')]);
    expectOneLine(weak, /pw-weak\.csv: line 2, password: password too weak \(at least 10 characters\)$/);
    for (const out of [refused.stdout, refused.stderr, weak.stdout, weak.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain('Zq9tiny');
      expect(out).not.toContain('$argon2');
    }
  }, 300_000);

  it('refuses a duplicate e-mail, a NUL, an invalid code point, a ragged CSV, truncated JSON and a missing file in one line each, writing nothing', async () => {
    const users = () => read((db) => db.selectFrom('users').select('sis_user_id').orderBy('sis_user_id').execute());
    const before = await users();
    const cases: [string, string, RegExp][] = [
      // Another account's address (u1 holds it), on create and on update.
      [
        'dup-email.csv',
        'sisUserId,email,displayName\nu9,ada@school.example,Nine\n',
        /dup-email\.csv: line 2, email: ada@school\.example belongs to another account$/,
      ],
      [
        'dup-in-file.csv',
        'sisUserId,email,displayName\nu7,x@school.example,X\nu8,X@school.example,Y\n',
        /line 3, email: x@school\.example is in the file twice \(first on line 2\)$/,
      ],
      ['nul.csv', 'sisUserId,email,displayName\nu4,nul@school.example,Ca\0rl\n', /nul\.csv: line 2, displayName: contains a NUL character$/],
      [
        'nul.json',
        JSON.stringify([{ sisUserId: 'u4', email: 'nul@school.example', displayName: 'Ca\u0000rl' }]),
        /nul\.json: item 1, displayName: contains a NUL character$/,
      ],
      [
        'surrogate.json',
        '[{"sisUserId":"u5","email":"s@school.example","displayName":"Bad \\ud800 name"}]',
        /item 1, displayName: contains an invalid code point/,
      ],
      ['ragged.csv', 'sisUserId,email,displayName\nu6,r@school.example,Ok\nu7,r2@school.example\n', /ragged\.csv: line 3 has 2 fields; the header has 3$/],
      ['truncated.json', '[{"sisUserId":"u8","email":"t@school.example"', /truncated\.json: is not valid JSON \(truncated or damaged\?\)/],
    ];
    for (const [name, content, pattern] of cases) {
      const result = cli(target, ['users', 'import', file(name, content)]);
      expectOneLine(result, pattern);
      expect(result.errorLines[0]).toMatch(/^schoolgate users import: /);
    }
    const missing = cli(target, ['users', 'import', join(work, 'nowhere.csv')]);
    expectOneLine(missing, /^schoolgate users import: .*nowhere\.csv: no such file$/);
    const notUtf8 = cli(target, ['users', 'import', file('latin1.csv', Buffer.from('sisUserId,email,displayName\nu9,l@school.example,Ren\xe9\n', 'latin1'))]);
    expectOneLine(notUtf8, /latin1\.csv: is not UTF-8 text$/);
    // Updating u1 to another account's address is refused too (u2 is created first).
    expect(cli(target, ['users', 'import', file('u2.csv', 'sisUserId,email,displayName\nu2,bea@school.example,Bea\n')]).status).toBe(0);
    expectOneLine(
      cli(target, ['users', 'import', file('steal.csv', 'sisUserId,email,displayName\nu1,bea@school.example,Ada\n')]),
      /steal\.csv: line 2, email: bea@school\.example belongs to another account$/,
    );
    expect((await users()).map((u) => u.sis_user_id)).toEqual([...before.map((u) => u.sis_user_id), 'u2']);
  }, 300_000);

  it('schoolgate import (SS 12000 JSON): a missing or truncated file is one line naming it', () => {
    const missing = cli(target, ['import', join(work, 'persons-missing.json')]);
    expect(missing.status).toBe(2);
    expect(missing.errorLines).toEqual([`schoolgate import: ${join(work, 'persons-missing.json')}: no such file`]);
    const truncated = cli(target, ['import', file('persons.json', '{"data": [{"id": "0b6c3a5e-2f4d-4e1a-9c7b-1d2e3f4a5b6c", "givenName": "A')]);
    expect(truncated.status).toBe(2);
    expect(truncated.errorLines).toHaveLength(1);
    expect(truncated.errorLines[0]).toMatch(/^schoolgate import: .*persons\.json: is not valid JSON \(truncated or damaged\?\): /);
    expect(`${missing.stderr}${truncated.stderr}`).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('refuses an institution number twice in one file with both lines, instead of keeping the last', async () => {
    const result = cli(target, [
      'institutions',
      'import',
      file('inst.csv', 'number,name,town,activeFromYear\n123456,Sint-Jozef,Gent,2010\n234567,De Linde,Aalst,2010\n123456,Sint-Jozef Renamed,Gent,2010\n'),
    ]);
    expectOneLine(result, /inst\.csv: line 4, number: 123456 is in the file twice \(first on line 2\)$/);
    expect(await read((db) => db.selectFrom('institutions').select('number').where('number', 'in', ['123456', '234567']).execute())).toEqual([]);
    const ok = cli(target, [
      'institutions',
      'import',
      file('inst-ok.csv', 'number,name,town,activeFromYear\n123456,Sint-Jozef,Gent,2010\n234567,De Linde,Aalst,2010\n'),
    ]);
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe('{"upserted":2}');
  }, 300_000);

  it('rights import: --mode replace (the default) makes a user’s rights of a school year the file’s; --mode merge only adds', async () => {
    const rights = () =>
      read((db) =>
        db
          .selectFrom('admin_rights as r')
          .innerJoin('users as u', 'u.id', 'r.user_id')
          .select(['u.sis_user_id', 'r.module_right', 'r.institution_number', 'r.school_year'])
          .where('u.sis_user_id', 'in', ['u1', 'u2'])
          .orderBy('u.sis_user_id')
          .orderBy('r.module_right')
          .execute(),
      );
    const header = 'sisUserId,moduleRight,institutionNumber,accessGroupId,schoolYear\n';
    const two = file('rights-two.csv', `${header}u1,iLeerlingen,123456,,2026\nu1,iPersoneel,234567,,2026\nu2,iBasis,123456,,2026\n`);
    const one = file('rights-one.csv', `${header}u1,iBasis,123456,,2026\n`);
    const help = cli(target, ['rights', 'import', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--mode replace  (default)');
    expect(help.stdout).toContain('--mode merge');

    expect(cli(target, ['rights', 'import', two]).stdout.trim()).toBe('{"mode":"replace","users":2,"rights":3,"removed":0}');
    const merged = cli(target, ['rights', 'import', one, '--mode', 'merge']);
    expect(merged.stdout.trim()).toBe('{"mode":"merge","users":1,"rights":1,"removed":0}');
    expect(await rights()).toEqual([
      { sis_user_id: 'u1', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
      { sis_user_id: 'u1', module_right: 'iLeerlingen', institution_number: '123456', school_year: 2026 },
      { sis_user_id: 'u1', module_right: 'iPersoneel', institution_number: '234567', school_year: 2026 },
      { sis_user_id: 'u2', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
    ]);
    // Replace (the default): u1's 2026 rights become the file's one; u2, not in the file, keeps its own.
    const replaced = cli(target, ['rights', 'import', one]);
    expect(replaced.stdout.trim()).toBe('{"mode":"replace","users":1,"rights":1,"removed":2}');
    expect(await rights()).toEqual([
      { sis_user_id: 'u1', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
      { sis_user_id: 'u2', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
    ]);
    const badMode = cli(target, ['rights', 'import', one, '--mode', 'append']);
    expect(badMode.status).toBe(2);
    expect(badMode.errorLines).toEqual(['schoolgate rights import: --mode takes replace or merge']);

    // The rights are the API catalog's (Informat's by default): another vendor's right is refused in
    // one line naming the row and the catalog's rights, and nothing is written.
    const foreign = cli(target, ['rights', 'import', file('rights-foreign.csv', `${header}u1,iBasis,123456,,2026\nu1,LeerlingAdministratie,123456,,2026\n`)]);
    expectOneLine(
      foreign,
      /^schoolgate rights import: \S+rights-foreign\.csv: line 3, moduleRight: "LeerlingAdministratie" is not an admin right of the API catalog; its rights are: iAfwezigheden, iBasis, iInternen, iLeerlingen, iLessenrooster, iPersoneel, iPuntenboek, invoicing_admin$/,
    );
    const onInstitution = cli(target, ['rights', 'import', file('rights-target.csv', `${header}u1,invoicing_admin,123456,,2026\n`)]);
    expectOneLine(
      onInstitution,
      /^schoolgate rights import: \S+rights-target\.csv: line 2, moduleRight: "invoicing_admin" grants the API invoices, granted per access group: give accessGroupId/,
    );
    expect(await rights()).toEqual([
      { sis_user_id: 'u1', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
      { sis_user_id: 'u2', module_right: 'iBasis', institution_number: '123456', school_year: 2026 },
    ]);
  }, 300_000);

  it('import --pre-enrolments: the ingestion batch format, all or nothing with one audit row; a bad file or record is one line', async () => {
    expect(cli(target, ['institutions', 'import', file('pe-inst.csv', 'number,name,town,activeFromYear\n345678,De Vlinder,Brugge,2010\n')]).status).toBe(0);
    const [A, B, C] = ['0d9a4d4e-1111-4a11-8a11-000000000001', '0d9a4d4e-1111-4a11-8a11-000000000002', '0d9a4d4e-1111-4a11-8a11-000000000003'];
    const record = (id: string, over: Record<string, unknown> = {}) => ({
      id,
      institution: { institutionNumber: '345678' },
      schoolYear: 2027,
      grade: '1',
      status: 'submitted',
      submittedDate: '2026-10-01',
      child: { givenName: 'Lotte', familyName: 'Peeters' },
      guardians: [{ givenName: 'An', familyName: 'Peeters', relation: 'parent', email: 'an@example.be' }],
      ...over,
    });
    const stored = async () =>
      (await read((db) => db.selectFrom('pre_enrolments').select(['id', 'status', 'body']).orderBy('id').execute())).map((r) => ({
        id: r.id,
        grade: r.body.grade,
        status: r.status,
      }));
    const loads = () =>
      read((db) => db.selectFrom('audit_log').select(['actor_label', 'after']).where('subject_type', '=', 'pre_enrolments').orderBy('id').execute());

    // Two files, one batch: the endpoint's body and a bare array.
    const first = cli(target, [
      'import',
      '--pre-enrolments',
      file('pe-batch.json', JSON.stringify({ upsert: [record(A), record(B, { grade: '2' })] })),
      file('pe-array.json', JSON.stringify([record(C, { status: 'accepted', decisionDate: '2026-11-01' })])),
    ]);
    expect(first.errorLines).toEqual([]);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('pre-enrolments: created 3, updated 0, unchanged 0, deleted 0\n');
    expect(await stored()).toEqual([
      { id: A, grade: '1', status: 'submitted' },
      { id: B, grade: '2', status: 'submitted' },
      { id: C, grade: '1', status: 'accepted' },
    ]);
    const again = cli(target, ['import', '--pre-enrolments', join(work, 'pe-batch.json'), join(work, 'pe-array.json')]);
    expect(again.stdout).toContain('pre-enrolments: created 0, updated 0, unchanged 3, deleted 0\nNothing changed.');
    expect(await loads()).toHaveLength(1);
    expect((await loads())[0]!.actor_label).toBe('schoolgate import');

    // Refused whole, one line each, nothing written: bad records (exit 1), bad files (exit 2).
    const cases: [string, string, number, RegExp][] = [
      [
        'pe-unknown.json',
        JSON.stringify({ upsert: [record(A, { grade: '3' }), record(B, { institution: { institutionNumber: '999999' } })] }),
        1,
        /^schoolgate import: \S+pe-unknown\.json: upsert item 2, institution\.institutionNumber: No institution 999999 \(import it first\)\.$/,
      ],
      ['pe-status.json', JSON.stringify([record(A, { status: 'maybe' })]), 1, /^schoolgate import: \S+pe-status\.json: upsert item 1, status: /],
      [
        'pe-nul.json',
        JSON.stringify([record(A, { child: { givenName: 'Lo\u0000tte', familyName: 'Peeters' } })]),
        2,
        /^schoolgate import: \S+pe-nul\.json: upsert item 1, child\.givenName: contains a NUL character$/,
      ],
      ['pe-delete.json', JSON.stringify({ delete: ['not-an-id'] }), 2, /^schoolgate import: \S+pe-delete\.json: delete item 1: /],
      ['pe-ss12000.json', JSON.stringify({ persons: [] }), 2, /^schoolgate import: \S+pe-ss12000\.json: .*"persons"/],
      ['pe-string.json', '"hello"', 2, /^schoolgate import: \S+pe-string\.json: not a pre-enrolment batch/],
      ['pe-truncated.json', '{"upsert": [{"id": "0d9a', 2, /^schoolgate import: \S+pe-truncated\.json: is not valid JSON \(truncated or damaged\?\)/],
    ];
    for (const [name, content, status, pattern] of cases) {
      const result = cli(target, ['import', '--pre-enrolments', file(name, content)]);
      expect([name, result.status, result.errorLines]).toEqual([name, status, [expect.stringMatching(pattern)]]);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at /m);
    }
    expect((await stored()).map((r) => r.grade)).toEqual(['1', '2', '1']);
    expect(await loads()).toHaveLength(1);

    // A deletion goes to the deletions feed with its institution, in a second load with its own audit row.
    const gone = cli(target, ['import', '--pre-enrolments', file('pe-gone.json', JSON.stringify({ delete: [B] }))]);
    expect(gone.stdout).toContain('pre-enrolments: created 0, updated 0, unchanged 0, deleted 1\n');
    expect((await stored()).map((r) => r.id)).toEqual([A, C]);
    expect(await read((db) => db.selectFrom('pre_enrolment_deletions').select(['id', 'institution_number']).execute())).toEqual([
      { id: B, institution_number: '345678' },
    ]);
    expect(await loads()).toHaveLength(2);
  }, 300_000);

  it('import --boarders: persons first, then the stays all or nothing with one audit row; an unknown person or a bad file is one line', async () => {
    expect(
      cli(target, ['institutions', 'import', file('bo-inst.csv', 'number,name,town,activeFromYear\n456789,Internaat Ter Duinen,Koksijde,2010\n')]).status,
    ).toBe(0);
    const [P1, P2, NOBODY] = ['1e2f3a4b-2222-4b22-8b22-000000000001', '1e2f3a4b-2222-4b22-8b22-000000000002', '1e2f3a4b-2222-4b22-8b22-00000000dead'];
    const people = cli(target, [
      'import',
      file(
        'bo-persons.json',
        JSON.stringify({ persons: [P1, P2].map((id, i) => ({ id, givenName: ['Lotte', 'Noor'][i], familyName: 'Peeters', securityMarking: 'Ingen' })) }),
      ),
    ]);
    expect(people.status, people.stderr).toBe(0);
    const [S1, S2] = ['1e2f3a4b-3333-4c33-8c33-000000000001', '1e2f3a4b-3333-4c33-8c33-000000000002'];
    const stay = (id: string, person: string, over: Record<string, unknown> = {}) => ({
      id,
      institution: { institutionNumber: '456789' },
      person: { id: person },
      boardingHouse: { name: 'Internaat Ter Duinen' },
      room: '1.04',
      startDate: '2026-09-01',
      arrangement: { nights: ['monday', 'tuesday', 'wednesday', 'thursday'], weekends: 'home' },
      guardians: [{ givenName: 'An', familyName: 'Peeters', relation: 'parent', phone: '+32 470 11 22 33' }],
      ...over,
    });
    const stored = () =>
      read((db) => db.selectFrom('boarders').select(['id', 'person_id', 'body']).orderBy('id').execute()).then((rows) =>
        rows.map((r) => ({ id: r.id, person: r.person_id, room: (r.body as { room?: string }).room })),
      );
    const loads = () => read((db) => db.selectFrom('audit_log').select(['actor_label']).where('subject_type', '=', 'boarders').execute());

    const first = cli(target, [
      'import',
      '--boarders',
      file('bo-batch.json', JSON.stringify({ upsert: [stay(S1, P1)] })),
      file('bo-array.json', JSON.stringify([stay(S2, P2, { room: '2.11' })])),
    ]);
    expect(first.errorLines).toEqual([]);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('boarders: created 2, updated 0, unchanged 0, deleted 0\n');
    expect(await stored()).toEqual([
      { id: S1, person: P1, room: '1.04' },
      { id: S2, person: P2, room: '2.11' },
    ]);
    const again = cli(target, ['import', '--boarders', join(work, 'bo-batch.json'), join(work, 'bo-array.json')]);
    expect(again.stdout).toContain('boarders: created 0, updated 0, unchanged 2, deleted 0\nNothing changed.');
    expect(await loads()).toEqual([{ actor_label: 'schoolgate import' }]);

    const cases: [string, string, number, RegExp][] = [
      // The second file's first record names a person the store does not have: the line names that file.
      [
        'bo-nobody.json',
        JSON.stringify([stay(S1, P1, { room: '9.99' }), stay(S2, NOBODY)]),
        1,
        /^schoolgate import: \S+bo-nobody\.json: upsert item 2, person\.id: No person 1e2f3a4b-2222-4b22-8b22-00000000dead in the SS 12000 store \(load the person first\)\.$/,
      ],
      [
        'bo-nights.json',
        JSON.stringify([stay(S1, P1, { arrangement: { nights: ['monday', 'monday'], weekends: 'home' } })]),
        1,
        /bo-nights\.json: upsert item 1, arrangement\.nights: lists a night twice$/,
      ],
      [
        'bo-nul.json',
        JSON.stringify([stay(S1, P1, { room: 'k\u0000' })]),
        2,
        /^schoolgate import: \S+bo-nul\.json: upsert item 1, room: contains a NUL character$/,
      ],
      ['bo-string.json', '42', 2, /^schoolgate import: \S+bo-string\.json: not a boarder batch .* nor an array of boarders$/],
    ];
    for (const [name, content, status, pattern] of cases) {
      const result = cli(target, ['import', '--boarders', file(name, content)]);
      expect([name, result.status, result.errorLines]).toEqual([name, status, [expect.stringMatching(pattern)]]);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at /m);
    }
    expect((await stored()).map((r) => r.room)).toEqual(['1.04', '2.11']);
    expect(await loads()).toHaveLength(1);

    // Two data APIs at once are refused: each is its own batch.
    const both = cli(target, ['import', '--boarders', '--invoices', join(work, 'bo-batch.json')]);
    expect(both.status).toBe(2);
    expect(both.errorLines).toEqual([expect.stringMatching(/^schoolgate import: one of --pre-enrolments, --boarders, --invoices at a time/)]);

    const gone = cli(target, ['import', '--boarders', file('bo-gone.json', JSON.stringify({ delete: [S2] }))]);
    expect(gone.stdout).toContain('boarders: created 0, updated 0, unchanged 0, deleted 1\n');
    expect((await stored()).map((r) => r.id)).toEqual([S1]);
    expect(await read((db) => db.selectFrom('boarder_deletions').select(['id', 'institution_number']).execute())).toEqual([
      { id: S2, institution_number: '456789' },
    ]);
    expect(await loads()).toHaveLength(2);
  }, 300_000);

  it('import --invoices: per access group, all or nothing with one audit row; an institution outside the group or totals that do not add up are one line', async () => {
    expect(
      cli(target, [
        'institutions',
        'import',
        file('inv-inst.csv', 'number,name,town,activeFromYear\n567890,De Regenboog,Ieper,2010\n678901,Het Anker,Poperinge,2010\n'),
      ]).status,
    ).toBe(0);
    const group = '2f3a4b5c-4444-4d44-8d44-000000000001';
    await read((db) => insertAccessGroup(db, { id: group, name: 'Facturatie Westhoek', institutionNumbers: ['567890'] }));
    const [I1, I2] = ['2f3a4b5c-5555-4e55-8e55-000000000001', '2f3a4b5c-5555-4e55-8e55-000000000002'];
    const invoice = (id: string, over: Record<string, unknown> = {}) => ({
      id,
      invoiceNumber: `2026-${id.slice(-3)}`,
      accessGroup: { id: group },
      institution: { institutionNumber: '567890' },
      schoolYear: 2026,
      student: { givenName: 'Lotte', familyName: 'Peeters' },
      debtor: { id: '2f3a4b5c-6666-4f66-8f66-000000000001', kind: 'guardian', givenName: 'An', familyName: 'Peeters' },
      status: 'open',
      issueDate: '2026-09-15',
      dueDate: '2026-10-15',
      totalNet: 3600,
      totalVat: 0,
      totalGross: 3600,
      lines: [{ description: 'Warme maaltijden', quantity: 8, unitPrice: 450, vatRate: 0, net: 3600, vat: 0 }],
      ...over,
    });
    const stored = () =>
      read((db) => db.selectFrom('invoices').select(['id', 'access_group_id', 'institution_number', 'body']).orderBy('id').execute()).then((rows) =>
        rows.map((r) => ({ id: r.id, group: r.access_group_id, institution: r.institution_number, status: (r.body as { status: string }).status })),
      );
    const loads = () => read((db) => db.selectFrom('audit_log').select(['actor_label']).where('subject_type', '=', 'invoices').execute());

    const first = cli(target, [
      'import',
      '--invoices',
      file('inv-batch.json', JSON.stringify({ upsert: [invoice(I1)] })),
      file('inv-array.json', JSON.stringify([invoice(I2, { status: 'paid', paidDate: '2026-10-01', amountPaid: 3600 })])),
    ]);
    expect(first.errorLines).toEqual([]);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('invoices: created 2, updated 0, unchanged 0, deleted 0\n');
    expect(await stored()).toEqual([
      { id: I1, group, institution: '567890', status: 'open' },
      { id: I2, group, institution: '567890', status: 'paid' },
    ]);
    const again = cli(target, ['import', '--invoices', join(work, 'inv-batch.json'), join(work, 'inv-array.json')]);
    expect(again.stdout).toContain('invoices: created 0, updated 0, unchanged 2, deleted 0\nNothing changed.');
    expect(await loads()).toEqual([{ actor_label: 'schoolgate import' }]);

    const cases: [string, string, number, RegExp][] = [
      // 678901 exists but is not a member of the access group.
      [
        'inv-outside.json',
        JSON.stringify([invoice(I1, { status: 'cancelled' }), invoice(I2, { institution: { institutionNumber: '678901' } })]),
        1,
        new RegExp(
          `^schoolgate import: \\S+inv-outside\\.json: upsert item 2, institution\\.institutionNumber: Institution 678901 is not a member of access group ${group}\\.$`,
        ),
      ],
      [
        'inv-totals.json',
        JSON.stringify({ upsert: [invoice(I1, { totalNet: 3500, totalGross: 3500 })] }),
        1,
        /inv-totals\.json: upsert item 1, totalNet: must be the sum of the lines’ net \(3600\)$/,
      ],
      ['inv-delete.json', JSON.stringify({ delete: ['I1'] }), 2, /^schoolgate import: \S+inv-delete\.json: delete item 1: /],
      ['inv-ss12000.json', JSON.stringify({ persons: [] }), 2, /^schoolgate import: \S+inv-ss12000\.json: .*"persons"/],
    ];
    for (const [name, content, status, pattern] of cases) {
      const result = cli(target, ['import', '--invoices', file(name, content)]);
      expect([name, result.status, result.errorLines]).toEqual([name, status, [expect.stringMatching(pattern)]]);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at /m);
    }
    expect((await stored()).map((r) => r.status)).toEqual(['open', 'paid']);
    expect(await loads()).toHaveLength(1);

    const gone = cli(target, ['import', '--invoices', file('inv-gone.json', JSON.stringify({ delete: [I1] }))]);
    expect(gone.stdout).toContain('invoices: created 0, updated 0, unchanged 0, deleted 1\n');
    expect((await stored()).map((r) => r.id)).toEqual([I2]);
    expect(await read((db) => db.selectFrom('invoice_deletions').select(['id', 'access_group_id', 'institution_number']).execute())).toEqual([
      { id: I1, access_group_id: group, institution_number: '567890' },
    ]);
    expect(await loads()).toHaveLength(2);
  }, 300_000);
});
