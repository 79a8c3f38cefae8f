import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { endpoints } from '../src/modules/ss12000/endpoints.ts';
import { listPage, parseListRequest } from '../src/modules/ss12000/read.ts';
import { loadScope, type ClientIdentity } from '../src/modules/ss12000/scope.ts';
import { ROOT } from '../test/pg/server-process.ts';

/** A bench client whose hot statements are explained: its id and what it was granted. */
export interface ExplainedClient {
  label: string;
  clientId: string;
  institutionNumbers: string[];
  categories: { students: string[]; staff: string[] };
}

/** A parameter's value as an SQL literal, for `EXECUTE name(...)` (bench only: values of our own statements). */
function literalOf(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return pg.escapeLiteral(`{${v.map((e) => (e === null ? 'NULL' : `"${String(e).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`);
  if (v instanceof Date) return pg.escapeLiteral(v.toISOString());
  if (typeof v === 'object') return pg.escapeLiteral(JSON.stringify(v));
  return pg.escapeLiteral(String(v));
}

/** One explained statement, as the summary table shows it. */
export interface ExplainedStatement {
  label: string;
  planningMs: number;
  executionMs: number;
  /** Shared buffers hit and read by the whole plan (8 kB pages): the work, free of the machine's noise. */
  buffers: number;
  rows: number;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements the server sends for the bench's hot requests (issue
 * 16: show that a page's work follows its scope): the statement text is the server's own, captured
 * from `listPage` with the client's live scope (`loadScope`, the same units `ss12000_authorize`
 * sends), not a copy, and prepared as the server prepares it. Each is explained three times and the
 * last is kept (warm caches, as under load).
 * The text plans go to `.bench/explain-<scale>x.txt`; the summary is returned.
 */
export async function explainHotStatements(databaseUrl: string, scale: number, clients: ExplainedClient[]): Promise<ExplainedStatement[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  let captured: CompiledQuery | undefined;
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured = event.query;
    },
  });
  const out: ExplainedStatement[] = [];
  const text: string[] = [];
  let statements = 0;
  try {
    const requests = ['persons?limit=100', 'groups?limit=100&expand=assignmentRoles', 'duties?limit=100'];
    for (const client of clients) {
      const identity: ClientIdentity = {
        clientId: client.clientId,
        appId: null,
        partnerId: null,
        grants: client.institutionNumbers.flatMap((n) => [
          { apiCode: 'students', institutionNumber: n, accessGroupId: null },
          { apiCode: 'staff', institutionNumber: n, accessGroupId: null },
        ]),
        dataCategories: client.categories,
      } as ClientIdentity;
      const scope = await loadScope(db, identity);
      for (const request of requests) {
        const [path, search] = request.split('?') as [string, string];
        const def = endpoints.find((e) => e.path === path)!;
        const { query, limit, after } = parseListRequest(def, search);
        captured = undefined;
        await listPage(db, scope, def, query, limit, after);
        const statement = captured as CompiledQuery | undefined;
        if (!statement) throw new Error(`no statement captured for ${request}`);
        // As the server runs it: a prepared statement (src/db/prepared.ts) executed often enough for
        // PostgreSQL to choose between its generic and a custom plan (after five executions), then
        // explained. An unnamed EXPLAIN would show the custom plan only — and the generic plan is the
        // one that went wrong at 500 units (scope.ts, `uuids`).
        const name = `bench_explain_${statements++}`;
        await pool.query(`PREPARE ${name} AS ${statement.sql}`);
        const args = statement.parameters.map(literalOf);
        const execute = `EXECUTE ${name}${args.length ? `(${args.join(', ')})` : ''}`;
        for (let i = 0; i < 6; i++) await pool.query(execute);
        let plan: any;
        for (let i = 0; i < 3; i++) {
          const r = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${execute}`);
          plan = (r.rows[0] as { 'QUERY PLAN': any[] })['QUERY PLAN'][0];
        }
        const textPlan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${execute}`);
        const counts = await pool.query<{ generic_plans: string; custom_plans: string }>(
          'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1',
          [name],
        );
        const label = `${client.label} /${request}`;
        out.push({
          label,
          planningMs: plan['Planning Time'],
          executionMs: plan['Execution Time'],
          buffers: (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0),
          rows: plan.Plan['Actual Rows'],
        });
        text.push(
          `== ${label} (${scale}×; plans so far: ${counts.rows[0]?.generic_plans} generic, ${counts.rows[0]?.custom_plans} custom)\n${textPlan.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n')}\n`,
        );
      }
    }
  } finally {
    await db.destroy();
  }
  const dir = resolve(ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, `explain-${scale}x.txt`), text.join('\n'));
  return out;
}
