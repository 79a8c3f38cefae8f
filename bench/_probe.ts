import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { testConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { generateWorld } from '../src/generator/index.ts';
import { createContext, closeContext } from '../src/runtime.ts';
import { ingestBatch } from '../src/modules/ss12000/ingest.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../src/seed/builders.ts';
import { principalFromRow, readerOnly } from '../src/oidc/bearer.ts';
import { buildScope } from '../src/modules/ss12000/scope.ts';
import { listPage } from '../src/modules/ss12000/read.ts';
import { endpointByType } from '../src/modules/ss12000/endpoints.ts';

const url = 'postgres://postgres@127.0.0.1:5432/schoolgate_probe';
const stateFile = '/work/probe/state.json';
if (process.env.PROBE_SETUP === '1') {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS schoolgate_probe');
  await admin.query('CREATE DATABASE schoolgate_probe');
  await admin.end();
  const database = await openDatabase({ databaseUrl: url, poolSize: 4 });
  const ctx = await createContext(testConfig({ DATABASE_URL: url }), { database, workers: false });
  const numbers = Array.from({ length: 200 }, (_, i) => String(500000 + i));
  for (const n of numbers) await ctx.db.insertInto('institutions').values({ number: n, name: `Skola ${n}`, active_from_year: 2000 }).execute();
  const world = generateWorld({ seed: 42, schools: 200, students: 60000, institutionNumbers: numbers, today: new Date().toISOString().slice(0, 10) });
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'bench', kind: 'system' });
  await sql`VACUUM ANALYZE`.execute(ctx.db);
  const partnerId = await insertPartner(ctx.db, { name: 'P', contactEmail: 'p@example.test' });
  const cats = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
  const appId = await insertApp(ctx.db, { partnerId, name: 'A', status: 'approved', apis: [{ apiCode: 'students', dataCategories: cats, purpose: 'b' }, { apiCode: 'staff', dataCategories: cats.filter((c) => c !== 'guardians'), purpose: 'b' }] });
  const client = await insertClient(ctx.db, { appId, name: 'A' });
  for (const n of numbers.filter((_, i) => i % 2 === 0)) {
    await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'students', institutionNumber: n });
    await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'staff', institutionNumber: n });
  }
  await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: 1_000_000_000 }).execute();
  writeFileSync(stateFile, JSON.stringify({ clientId: client.clientId, secret: client.secret }));
  await closeContext(ctx, { keepDatabase: true });
  await database.close();
  process.exit(0);
}

const { clientId } = JSON.parse(readFileSync(stateFile, 'utf8'));
const database = await openDatabase({ databaseUrl: url, poolSize: 4 });
const ctx = await createContext(testConfig({ DATABASE_URL: url }), { database, workers: false });
const r = await sql<{ r: any }>`SELECT ss12000_authorize(${clientId}::uuid, NULL::uuid, now(), 0::smallint) AS r`.execute(ctx.db);
const scope = buildScope(readerOnly(principalFromRow(ctx, r.rows[0]!.r, undefined)), r.rows[0]!.r.via, r.rows[0]!.r.units);
const captured: { sql: string; parameters: readonly unknown[] }[] = [];
const pool = new pg.Pool({ connectionString: url, max: 2 });
const k = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log: (e) => { if (e.level === 'query') captured.push(e.query as never); } });
const lit = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `'{${v.map((x) => `"${x}"`).join(',')}}'`;
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return `'${v.toISOString()}'`;
  return `'${String(v).replace(/'/g, "''")}'`;
};
const inline = (q: { sql: string; parameters: readonly unknown[] }) => q.sql.replace(/\$(\d+)/g, (_, n) => lit(q.parameters[Number(n) - 1]));
const after = process.env.PROBE_AFTER ?? '80000000-0000-0000-0000-000000000000';
const type = (process.env.PROBE_TYPE ?? 'persons') as 'persons';
const res = await listPage(k as never, scope, endpointByType[type], { filters: {}, expand: type === ('groups' as string) ? ['assignmentRoles'] : [], expandReferenceNames: false }, 100, [after, after]);
console.error('rows', res.rows.length);
const q = inline(captured[0]!).replace(/'80000000-0000-0000-0000-000000000000'/g, "(lpad(to_hex(:a), 3, '0') || '00000-0000-0000-0000-000000000000')");
writeFileSync(`/work/probe/ours-${type}.sql`, '\\set a random(0, 4000)\n' + q.replace(/\s+/g, ' ') + ';\n');
console.log(q.length);
await k.destroy();
await closeContext(ctx, { keepDatabase: true });
await database.close();
const U = lit(scope.allUnits);
const A = "(lpad(to_hex(:a), 3, '0') || '00000-0000-0000-0000-000000000000')::uuid";
writeFileSync('/work/probe/base-persons.sql', '\\set a random(0, 4000)\n' + `SELECT t.id, t.body, t.created_at, t.modified_at, t.id::text AS sort_value, (SELECT coalesce(json_agg(json_build_object('kind', r.kind, 'organisation_id', r.organisation_id)), '[]'::json) FROM ss12000_person_relations r WHERE r.person_id = t.id) AS rels FROM ss12000_persons t WHERE EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = t.id AND r.person_id > ${A} AND ( (r.kind = ANY('{enrolment,placement.child}'::text[]) AND r.organisation_id = ANY(${U}::uuid[])) OR (r.kind = ANY('{duty}'::text[]) AND r.organisation_id = ANY(${U}::uuid[])) OR (r.kind = ANY('{responsibleFor.enrolment,responsibleFor.placement,placement.owner}'::text[]) AND r.organisation_id = ANY(${U}::uuid[])))) AND t.id > ${A} ORDER BY t.id LIMIT 101;\n`);
writeFileSync('/work/probe/auth.sql', `SELECT ss12000_authorize('${clientId}'::uuid, NULL::uuid, date_trunc('minute', now()), (random()*7)::int::smallint);\n`);
