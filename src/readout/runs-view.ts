import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../db/schema.ts';

/**
 * The operator's view of the readout's runs (issue 13 point 6): what the web application's Readout
 * page shows. The readout records every run, with its whole `report.json`, in the database it shares
 * with the server (`readout_runs`, written by run.ts in the transaction that publishes the files), so
 * the server reads runs from there: failed runs too, and runs whose directories were pruned.
 *
 * Stored reports are read leniently: a report written by an older readout may lack a part (named
 * warnings, files); that part is then shown as empty rather than refusing the run.
 */

/** The categories of the readout's counts, in the order every view lists them. */
export const READOUT_CATEGORIES = ['schools', 'students', 'staff', 'guardians', 'groups', 'memberships'] as const;
export type ReadoutCategory = (typeof READOUT_CATEGORIES)[number];

const int = z.number().int().nonnegative();
/** A count as stored; anything else (a report of another shape) reads as 0. */
const storedInt = z.number().int().nonnegative().catch(0);
const storedTally = z.object({ kept: storedInt, excluded: z.record(z.string(), storedInt).catch({}) });
const storedDelta = z.object({
  firstRun: z.boolean(),
  people: z.object({ added: storedInt, updated: storedInt, removed: storedInt }),
  schools: z.object({ added: storedInt, updated: storedInt, removed: storedInt }),
  teams: z.object({ created: storedInt, renamed: storedInt, updated: storedInt, removed: storedInt }),
  memberships: z.object({ added: storedInt, removed: storedInt }),
});
const storedCounts = z.object(
  Object.fromEntries(READOUT_CATEGORIES.map((c) => [c, storedTally.optional().catch(undefined)])) as Record<
    ReadoutCategory,
    z.ZodCatch<z.ZodOptional<typeof storedTally>>
  >,
);
const storedWarning = z.object({
  code: z.string(),
  count: storedInt,
  message: z.string().catch(''),
  affects: z.array(z.string()).catch([]),
  examples: z.array(z.string()).catch([]),
});
const storedReport = z.object({
  fallbackReason: z.string().optional().catch(undefined),
  today: z.string().optional().catch(undefined),
  durationMs: storedInt.optional(),
  fetchMs: storedInt.optional(),
  processMs: storedInt.optional(),
  output: z
    .object({ schools: storedInt, people: storedInt, teams: storedInt, memberships: storedInt, files: z.record(z.string(), storedInt).catch({}) })
    .optional()
    .catch(undefined),
  delta: storedDelta.optional().catch(undefined),
  source: z
    .object({
      requests: storedInt.optional(),
      retries: storedInt.optional(),
      pages: storedInt.optional(),
      records: storedInt.optional(),
      tokenAuth: z.object({ used: z.string(), how: z.string() }).optional().catch(undefined),
      changed: z.record(z.string(), storedInt).optional().catch(undefined),
      deleted: z.record(z.string(), storedInt).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  namedWarnings: z.array(storedWarning).catch([]),
  warnings: z.array(z.string()).catch([]),
});

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

// ---- response schemas (one per route; named components of the OpenAPI document) ----

const keptSchema = z.object(Object.fromEntries(READOUT_CATEGORIES.map((c) => [c, int])) as Record<ReadoutCategory, typeof int>).meta({
  id: 'ReadoutKeptCounts',
  description: 'Kept records per category (schools, students, staff, guardians, classes and teams, memberships).',
});

const tallySchema = z.object({ kept: z.number().int(), excluded: z.record(z.string(), z.number().int()) });

/** One run in the list. The first fields are those of the list as it was before the web page. */
export const readoutRunSchema = z
  .object({
    id: z.string(),
    customer: z.string(),
    trigger: z.enum(['cli', 'schedule']),
    status: z.enum(['running', 'succeeded', 'failed']),
    mode: z.enum(['full', 'incremental']).nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    counts: z
      .object({
        schools: tallySchema,
        students: tallySchema,
        staff: tallySchema,
        guardians: tallySchema,
        groups: tallySchema,
        memberships: tallySchema,
        delta: z.unknown(),
      })
      .partial()
      .nullable(),
    error: z.string().nullable(),
    outputPath: z.string().nullable(),
    durationMs: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'How long the run took, as it measured itself (else from its start and end times); null while running.' }),
    change: z
      .enum(['first_run', 'changed', 'no_change'])
      .nullable()
      .meta({ description: 'What the published files changed against the last run: null for a run that published nothing.' }),
    kept: keptSchema.nullable(),
    warningCount: z.number().int().meta({ description: 'Named warnings of the run (what degraded).' }),
  })
  .meta({ id: 'ReadoutRun' });
export type ReadoutRunView = z.infer<typeof readoutRunSchema>;

export const readoutCustomerSchema = z
  .object({
    customer: z.string(),
    runs: z.number().int(),
    lastRun: z.object({ id: z.string(), startedAt: z.string(), status: z.enum(['running', 'succeeded', 'failed']) }),
  })
  .meta({ id: 'ReadoutCustomer' });

const changeCounts = z.object({ added: int, updated: int, removed: int });
export const readoutRunDetailSchema = z
  .object({
    run: readoutRunSchema,
    fallbackReason: z.string().nullable().meta({ description: 'Why the run read everything instead of the changes.' }),
    today: z.string().nullable().meta({ description: 'The local date the rules were applied at.' }),
    fetchMs: z.number().int().nullable(),
    processMs: z.number().int().nullable(),
    categories: z.array(
      z.object({
        category: z.enum(READOUT_CATEGORIES),
        kept: int,
        excluded: int,
        rules: z.array(z.object({ rule: z.string(), excluded: int })).meta({ description: 'Excluded per rule, most first.' }),
        keptBefore: int.nullable().meta({ description: 'Kept by the previous succeeded run (null: none).' }),
      }),
    ),
    previous: z
      .object({ id: z.string(), startedAt: z.string() })
      .nullable()
      .meta({ description: 'The customer’s succeeded run before this one, which the change is counted against.' }),
    delta: z
      .object({
        firstRun: z.boolean(),
        people: changeCounts,
        schools: changeCounts,
        teams: z.object({ created: int, renamed: int, updated: int, removed: int }),
        memberships: z.object({ added: int, removed: int }),
      })
      .nullable(),
    output: z.object({ schools: int, people: int, teams: int, memberships: int }).nullable(),
    files: z.array(z.object({ name: z.string(), rows: int })),
    warnings: z.array(z.object({ code: z.string(), count: int, message: z.string(), affects: z.array(z.string()), examples: z.array(z.string()) })),
    notes: z.array(z.string()).meta({ description: 'Other warnings of the rules (at most 200, then a count of the rest).' }),
    source: z
      .object({
        requests: int.nullable(),
        retries: int.nullable(),
        pages: int.nullable(),
        records: int.nullable(),
        tokenAuth: z.object({ used: z.string(), how: z.string() }).nullable(),
        changed: z.record(z.string(), int).nullable(),
        deleted: z.record(z.string(), int).nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'ReadoutRunDetail' });
export type ReadoutRunDetail = z.infer<typeof readoutRunDetailSchema>;

// ---- queries and presenters ----

type RunRow = {
  id: string;
  customer_key: string;
  trigger: 'cli' | 'schedule';
  status: 'running' | 'succeeded' | 'failed';
  mode: 'full' | 'incremental' | null;
  started_at: Date;
  finished_at: Date | null;
  counts: unknown;
  error: string | null;
  output_path: string | null;
  warning_count: number | string | null;
  measured_ms: number | string | null;
};

const iso = (d: Date | string) => new Date(d).toISOString();

/** Kept per category of stored counts, or null when the run published nothing. */
function keptOf(counts: unknown): ReadoutRunView['kept'] {
  if (!counts) return null;
  const c = storedCounts.safeParse(counts);
  if (!c.success) return null;
  return Object.fromEntries(READOUT_CATEGORIES.map((k) => [k, c.data[k]?.kept ?? 0])) as NonNullable<ReadoutRunView['kept']>;
}

/** Whether the published files changed against the last run, from the delta counts. */
function changeOf(delta: unknown): ReadoutRunView['change'] {
  const d = storedDelta.safeParse(delta);
  if (!d.success) return null;
  if (d.data.firstRun) return 'first_run';
  const all = [d.data.people, d.data.schools, d.data.teams, d.data.memberships].flatMap((x) => Object.values(x) as number[]);
  return all.some((n) => n > 0) ? 'changed' : 'no_change';
}

function present(r: RunRow): ReadoutRunView {
  const counts = (json(r.counts) as (Record<string, unknown> & { delta?: unknown }) | null) ?? null;
  return {
    id: String(r.id),
    customer: r.customer_key,
    trigger: r.trigger,
    status: r.status,
    mode: r.mode,
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at ? iso(r.finished_at) : null,
    counts: counts as ReadoutRunView['counts'],
    error: r.error,
    outputPath: r.output_path,
    durationMs:
      r.measured_ms !== null && r.measured_ms !== undefined
        ? Math.round(Number(r.measured_ms))
        : r.finished_at
          ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()
          : null,
    change: r.status === 'succeeded' ? changeOf(counts?.delta) : null,
    kept: r.status === 'succeeded' ? keptOf(counts) : null,
    warningCount: Number(r.warning_count ?? 0),
  };
}

function runsQuery(db: Kysely<DB>) {
  return db.selectFrom('readout_runs').select([
    'id',
    'customer_key',
    'trigger',
    'status',
    'mode',
    'started_at',
    'finished_at',
    'counts',
    'error',
    'output_path',
    // Only the number of named warnings leaves the database for the list, not the report.
    sql<number>`coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(report -> 'namedWarnings') = 'array' THEN report -> 'namedWarnings' END), 0)`.as(
      'warning_count',
    ),
    // The run's own measure of its duration (a monotonic clock), where its report has one.
    sql<string | null>`CASE WHEN jsonb_typeof(report -> 'durationMs') = 'number' THEN (report ->> 'durationMs')::numeric END`.as('measured_ms'),
  ]);
}

/** The latest runs, newest first: of one customer or all, of one status or any. */
export async function readoutRuns(
  db: Kysely<DB>,
  filter: { customer?: string; status?: 'running' | 'succeeded' | 'failed'; limit: number },
): Promise<ReadoutRunView[]> {
  let q = runsQuery(db)
    .orderBy('started_at', 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(filter.limit);
  if (filter.customer) q = q.where('customer_key', '=', filter.customer);
  if (filter.status) q = q.where('status', '=', filter.status);
  return (await q.execute()).map((r) => present(r as RunRow));
}

/** Every customer with runs: how many, and the last one. */
export async function readoutCustomers(db: Kysely<DB>): Promise<z.infer<typeof readoutCustomerSchema>[]> {
  // One row per customer: its last run, and (the window runs before DISTINCT ON) how many it has.
  const rows = await db
    .selectFrom('readout_runs as r')
    .distinctOn('r.customer_key')
    .select(['r.customer_key', 'r.id', 'r.started_at', 'r.status', sql<string>`count(*) OVER (PARTITION BY r.customer_key)`.as('runs')])
    .orderBy('r.customer_key')
    .orderBy('r.started_at', 'desc')
    .orderBy(sql`r.id`, 'desc')
    .execute();
  return rows.map((r) => ({ customer: r.customer_key, runs: Number(r.runs), lastRun: { id: String(r.id), startedAt: iso(r.started_at), status: r.status } }));
}

/** One run with its report as the operator reads it; undefined when there is no such run. */
export async function readoutRunDetail(db: Kysely<DB>, runId: string): Promise<ReadoutRunDetail | undefined> {
  const row = await runsQuery(db).select('report').where('id', '=', runId).executeTakeFirst();
  if (!row) return undefined;
  const run = present(row as RunRow);
  const report = storedReport.safeParse(json(row.report) ?? {});
  const r = report.success ? report.data : storedReport.parse({});
  const counts = storedCounts.safeParse(json(row.counts) ?? {});
  const before = await db
    .selectFrom('readout_runs')
    .select(['id', 'started_at', 'counts'])
    .where('customer_key', '=', row.customer_key)
    .where('status', '=', 'succeeded')
    .where((eb) => eb.or([eb('started_at', '<', row.started_at), eb.and([eb('started_at', '=', row.started_at), eb('id', '<', row.id)])]))
    .orderBy('started_at', 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(1)
    .executeTakeFirst();
  const keptBefore = before ? keptOf(json(before.counts)) : null;
  const published = run.status === 'succeeded';
  return {
    run,
    fallbackReason: r.fallbackReason ?? null,
    today: r.today ?? null,
    fetchMs: r.fetchMs ?? null,
    processMs: r.processMs ?? null,
    categories: published
      ? READOUT_CATEGORIES.map((category) => {
          const t = (counts.success ? counts.data[category] : undefined) ?? { kept: 0, excluded: {} };
          const rules = Object.entries(t.excluded)
            .map(([rule, excluded]) => ({ rule, excluded }))
            .sort((a, b) => b.excluded - a.excluded || (a.rule < b.rule ? -1 : 1));
          return { category, kept: t.kept, excluded: rules.reduce((s, x) => s + x.excluded, 0), rules, keptBefore: keptBefore?.[category] ?? null };
        })
      : [],
    previous: before ? { id: String(before.id), startedAt: iso(before.started_at) } : null,
    delta: r.delta ?? null,
    output: r.output ? { schools: r.output.schools, people: r.output.people, teams: r.output.teams, memberships: r.output.memberships } : null,
    files: Object.entries(r.output?.files ?? {})
      .map(([name, rows]) => ({ name, rows }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    warnings: r.namedWarnings,
    notes: r.warnings,
    source: r.source
      ? {
          requests: r.source.requests ?? null,
          retries: r.source.retries ?? null,
          pages: r.source.pages ?? null,
          records: r.source.records ?? null,
          tokenAuth: r.source.tokenAuth ?? null,
          changed: r.source.changed ?? null,
          deleted: r.source.deleted ?? null,
        }
      : null,
  };
}
