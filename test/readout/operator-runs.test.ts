import { beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/seed/builders.ts';
import { useHarness, type TestClient } from '../support/harness.ts';
import { runScenario, type ReportFile, type RunsScenario } from './support/runs-scenario.ts';

/**
 * The readout's runs as the operator reads them through the API (issue 13 point 6): real runs of the
 * readout into the server's database (support/runs-scenario.ts), each answer checked against the
 * report.json the run published — read from its directory, not from the code that serves it.
 */
const harness = useHarness();
const PASSWORD = 'correct horse battery staple';
const CATEGORIES = ['schools', 'students', 'staff', 'guardians', 'groups', 'memberships'];

let scenario: RunsScenario;
let op: TestClient;

beforeAll(async () => {
  const { ctx, clock } = harness();
  await insertUser(ctx.db, { email: 'op@schoolgate.test', password: PASSWORD, displayName: 'Operator', kind: 'operator', emailVerified: true });
  await insertUser(ctx.db, { email: 'partner@example.test', password: PASSWORD, displayName: 'Partner', kind: 'partner', emailVerified: true });
  scenario = await runScenario(ctx.db, clock);
  op = harness().client();
  expect((await op.login('op@schoolgate.test', PASSWORD)).status).toBe(200);
}, 180_000);

const kept = (r: ReportFile) => Object.fromEntries(CATEGORIES.map((c) => [c, r.counts[c]!.kept]));

describe('GET /api/v1/operator/readout/runs', () => {
  it('lists the runs newest first with mode, what changed, status, duration and kept counts from each report', async () => {
    const res = await op.get('/api/v1/operator/readout/runs?customer=exempel');
    expect(res.status).toBe(200);
    const [full, delta, same] = scenario.reports as [ReportFile, ReportFile, ReportFile];
    expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([scenario.failedRunId, same.runId, delta.runId, full.runId]);
    expect(res.body.data.map((r: { status: string; mode: string | null; change: string | null }) => [r.status, r.mode, r.change])).toEqual([
      ['failed', null, null],
      ['succeeded', 'incremental', 'no_change'],
      ['succeeded', 'incremental', 'changed'],
      ['succeeded', 'full', 'first_run'],
    ]);
    // The change the list names agrees with the report's delta counts.
    expect(full.delta.firstRun).toBe(true);
    expect(Object.values(delta.delta.people).some((n) => n > 0)).toBe(true);
    expect([same.delta.people, same.delta.schools, same.delta.teams, same.delta.memberships].flatMap((x) => Object.values(x)).every((n) => n === 0)).toBe(true);
    for (const [i, report] of [same, delta, full].entries()) {
      const row = res.body.data[i + 1];
      expect(row.kept).toEqual(kept(report));
      expect(row.startedAt).toBe(report.startedAt);
      expect(row.finishedAt).toBe(report.finishedAt);
      expect(row.durationMs).toBe(report.durationMs);
      expect(row.warningCount).toBe(report.namedWarnings.length);
    }
    expect(full.namedWarnings.length).toBeGreaterThan(0);
    const failed = res.body.data[0];
    expect(failed).toMatchObject({ kept: null, warningCount: 0, outputPath: null });
    expect(failed.error).toMatch(/^source_unavailable: /);
    expect(failed.durationMs).toBe(Date.parse(failed.finishedAt) - Date.parse(failed.startedAt));
  });

  it('filters by status: the succeeded runs a chart of kept counts is drawn from', async () => {
    const res = await op.get('/api/v1/operator/readout/runs?customer=exempel&status=succeeded&limit=2');
    expect(res.status).toBe(200);
    expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([scenario.reports[2]!.runId, scenario.reports[1]!.runId]);
    // Every kept count is a whole number, as the chart shows it.
    for (const r of res.body.data) for (const c of CATEGORIES) expect(Number.isInteger(r.kept[c])).toBe(true);
    const all = await op.get('/api/v1/operator/readout/runs');
    expect(all.body.data.map((r: { customer: string }) => r.customer)).toEqual(['annan', 'exempel', 'exempel', 'exempel', 'exempel']);
  });

  it('refuses a bad filter with 400 naming it', async () => {
    for (const q of ['status=done', 'limit=0', 'customer=Not%20a%20key']) {
      const res = await op.get(`/api/v1/operator/readout/runs?${q}`);
      expect(res.status, q).toBe(400);
    }
  });
});

describe('GET /api/v1/operator/readout/customers', () => {
  it('names every customer with its number of runs and its last run', async () => {
    const res = await op.get('/api/v1/operator/readout/customers');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { customer: 'annan', runs: 1, lastRun: { id: scenario.otherFailedRunId, startedAt: expect.any(String), status: 'failed' } },
      { customer: 'exempel', runs: 4, lastRun: { id: scenario.failedRunId, startedAt: expect.any(String), status: 'failed' } },
    ]);
  });
});

describe('GET /api/v1/operator/readout/runs/:runId', () => {
  it('has kept and excluded per rule, the change since the last run, the files and the warnings of the report', async () => {
    const [full, delta] = scenario.reports as [ReportFile, ReportFile];
    const res = await op.get(`/api/v1/operator/readout/runs/${delta.runId}`);
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.run).toMatchObject({ id: delta.runId, customer: 'exempel', status: 'succeeded', mode: 'incremental', change: 'changed' });
    expect(d.today).toBe(delta.today);
    expect([d.fetchMs, d.processMs]).toEqual([delta.fetchMs, delta.processMs]);
    expect(d.fallbackReason).toBeNull();
    expect(d.previous).toEqual({ id: full.runId, startedAt: full.startedAt });
    expect(d.categories.map((c: { category: string }) => c.category)).toEqual(CATEGORIES);
    for (const c of d.categories) {
      const tally = delta.counts[c.category]!;
      expect(c.kept).toBe(tally.kept);
      expect(c.keptBefore).toBe(full.counts[c.category]!.kept);
      expect(c.excluded).toBe(Object.values(tally.excluded).reduce((a, b) => a + b, 0));
      expect(Object.fromEntries(c.rules.map((r: { rule: string; excluded: number }) => [r.rule, r.excluded]))).toEqual(tally.excluded);
      // Most excluded first.
      const n = c.rules.map((r: { excluded: number }) => r.excluded);
      expect(n).toEqual([...n].sort((a: number, b: number) => b - a));
    }
    // One pupil removed since the first run.
    expect(d.categories.find((c: { category: string }) => c.category === 'students').kept).toBe(full.counts.students!.kept - 1);
    expect(d.delta).toEqual(delta.delta);
    expect(d.delta.people).toEqual({ added: 0, updated: 5, removed: 2 });
    expect(d.output).toEqual({ schools: delta.output.schools, people: delta.output.people, teams: delta.output.teams, memberships: delta.output.memberships });
    expect(Object.fromEntries(d.files.map((f: { name: string; rows: number }) => [f.name, f.rows]))).toEqual(delta.output.files);
    expect(d.warnings).toEqual(delta.namedWarnings);
    expect(d.warnings.map((w: { code: string }) => w.code)).toEqual(expect.arrayContaining(['output.username_shared', 'source.endpoint_missing']));
    expect(d.notes).toEqual(delta.warnings);
  });

  it('says the first run is the first and has nothing to compare with', async () => {
    const [full] = scenario.reports as [ReportFile];
    const res = await op.get(`/api/v1/operator/readout/runs/${full.runId}`);
    expect(res.status).toBe(200);
    expect(res.body.previous).toBeNull();
    expect(res.body.delta.firstRun).toBe(true);
    expect(res.body.fallbackReason).toBe(full.fallbackReason);
    for (const c of res.body.categories) expect(c.keptBefore).toBeNull();
  });

  it('shows a failed run with its error and nothing published', async () => {
    const res = await op.get(`/api/v1/operator/readout/runs/${scenario.failedRunId}`);
    expect(res.status).toBe(200);
    expect(res.body.run.status).toBe('failed');
    expect(res.body.run.error).toMatch(/^source_unavailable: /);
    expect(res.body).toMatchObject({ categories: [], delta: null, files: [], warnings: [], output: null });
  });

  it('reads a report of an older readout that lacks parts, without failing', async () => {
    const { ctx } = harness();
    const counts = { students: { kept: 7, excluded: { 'student.ended': 2 } } };
    const row = await ctx.db
      .insertInto('readout_runs')
      .values({
        customer_key: 'gammal',
        trigger: 'cli',
        status: 'succeeded',
        mode: 'full',
        started_at: new Date('2026-01-01T00:00:00Z'),
        finished_at: new Date('2026-01-01T00:01:00Z'),
        counts: JSON.stringify(counts),
        report: JSON.stringify({ counts, warnings: ['one note'] }),
        output_path: '/srv/readout/gammal/runs/x',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await op.get(`/api/v1/operator/readout/runs/${row.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ warnings: [], files: [], delta: null, notes: ['one note'], output: null, source: null });
    expect(res.body.run).toMatchObject({ durationMs: 60_000, change: null, warningCount: 0, kept: { students: 7, schools: 0 } });
    expect(res.body.categories.find((c: { category: string }) => c.category === 'students')).toEqual({
      category: 'students',
      kept: 7,
      excluded: 2,
      rules: [{ rule: 'student.ended', excluded: 2 }],
      keptBefore: null,
    });
  });

  it('answers 404 for an unknown run and 400 for an id that is not one', async () => {
    const missing = await op.get('/api/v1/operator/readout/runs/999999');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('readout_run_not_found');
    expect((await op.get('/api/v1/operator/readout/runs/abc')).status).toBe(400);
    expect((await op.get('/api/v1/operator/readout/runs/0')).status).toBe(400);
  });
});

describe('who may read the runs', () => {
  it('only the operator: others get 401 or 403', async () => {
    const paths = ['/api/v1/operator/readout/runs', '/api/v1/operator/readout/customers', `/api/v1/operator/readout/runs/${scenario.reports[0]!.runId}`];
    const partner = harness().client();
    expect((await partner.login('partner@example.test', PASSWORD)).status).toBe(200);
    for (const p of paths) {
      expect((await harness().client().get(p)).status, p).toBe(401);
      expect((await partner.get(p)).status, p).toBe(403);
    }
  });
});
