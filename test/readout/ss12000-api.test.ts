import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { parseReadoutConfig, type CustomerConfig } from '../../src/readout/config.ts';
import { runReadout, type ReadoutDeps } from '../../src/readout/run.ts';
import { useHarness } from '../support/harness.ts';
import { createApp, ensureInstitutions, grantAll } from '../ss12000/support.ts';
import { readCsv } from './support/setup.ts';

/**
 * The readout against this project's own SS 12000 API on a generated world: over HTTP only, with a
 * client-credentials token from /oidc/token, exactly as it reads IST EduCloud.
 */
const harness = useHarness();
const NUMBERS = ['410001', '410002', '410003', '410004'];
const GRANTED = NUMBERS.slice(0, 3);
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
let world: World;
let customer: CustomerConfig;
let deps: ReadoutDeps;

beforeAll(async () => {
  const { ctx, url, clock } = harness();
  world = generateWorld({ seed: 11, schools: 4, students: 240, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
  const all = ['identity', 'civic_number', 'addresses', 'phone_numbers', 'private_email', 'guardians'];
  const app = await createApp(ctx, { students: all, staff: all });
  await grantAll(ctx, app.clientId, 'students', GRANTED);
  await grantAll(ctx, app.clientId, 'staff', GRANTED);
  // The readout re-reads the last five minutes of changes on purpose; the load lies before that.
  clock.advance(30 * 60_000);
  customer = parseReadoutConfig({
    customers: [
      {
        key: 'schoolgate',
        source: {
          baseUrl: `${url}/ss12000/v2.0`,
          tokenUrl: `${url}/oidc/token`,
          clientId: app.clientId,
          clientSecret: app.secret,
          tokenAuth: 'post',
          pageSize: 50,
          retryBaseMs: 1,
        },
        outputDir: mkdtempSync(join(tmpdir(), 'readout-sg-')),
      },
    ],
  }).customers[0]!;
  deps = { db: ctx.db, clock, sleep: async () => {} };
}, 120_000);

describe('readout against the real SS 12000 API of this project on a generated world', () => {
  it('reads everything over HTTP and keeps only what the rules and the grants allow', async () => {
    const r = await runReadout(customer, deps);
    expect(r.error).toBeUndefined();
    const report = r.report!;
    expect(report.source.pages).toBeGreaterThan(6);
    expect(report.source.tokenFetches).toBeGreaterThanOrEqual(1);

    const granted = new Set(world.organisations.filter((o) => o.organisationType === 'Skolenhet' && GRANTED.includes(o.organisationCode!)).map((o) => o.id));
    const byId = new Map(world.persons.map((p) => [p.id, p]));
    const dir = join(customer.outputDir, 'current', 'sds');
    const orgs = readCsv(join(dir, 'orgs.csv')).rows.map((o) => o.sourcedId!);
    expect(orgs.length).toBeGreaterThan(0);
    for (const o of orgs) expect(granted.has(o), `school ${o} not granted`).toBe(true);

    const users = readCsv(join(dir, 'users.csv')).rows;
    const roles = readCsv(join(dir, 'roles.csv')).rows;
    expect(roles.filter((r) => r.role === 'student').length).toBeGreaterThan(50);
    for (const u of users) {
      const p = byId.get(u.sourcedId!)!;
      expect(p, u.sourcedId).toBeDefined();
      expect(['Skyddad folkbokföring', 'Sekretessmarkering']).not.toContain(p.securityMarking);
    }
    for (const r of roles.filter((x) => x.role === 'student')) expect(granted.has(r.orgSourcedId!)).toBe(true);

    // The generator puts protected identities and people registered abroad in the world: the rules saw them.
    expect(report.counts.students.excluded['student.protected_identity']).toBeGreaterThan(0);
    expect(report.counts.students.kept).toBe(new Set(roles.filter((r) => r.role === 'student').map((r) => r.userSourcedId)).size);
    const classes = readCsv(join(dir, 'classes.csv')).rows;
    expect(classes.length).toBeGreaterThan(0);
    const groupIds = new Set(world.groups.map((g) => g.id));
    for (const c of classes) expect(groupIds.has(c.sourcedId!.split('.')[0]!)).toBe(true);
    expect(readCsv(join(dir, 'enrollments.csv')).rows.length).toBeGreaterThan(0);
  }, 120_000);

  it('a second run reads only the changes and reports them', async () => {
    const { ctx, clock } = harness();
    clock.advance(3600_000);
    const kept = readCsv(join(customer.outputDir, 'current', 'sds', 'classes.csv')).rows[0]!;
    const group = world.groups.find((g) => g.id === kept.sourcedId!.split('.')[0]!)!;
    await ingestBatch(ctx, { upsert: { groups: [{ ...group, displayName: `${group.displayName} (ny)` }] } }, SYSTEM);
    const r = await runReadout(customer, deps);
    expect(r.error).toBeUndefined();
    expect(r.report!.mode).toBe('incremental');
    expect(r.report!.source.changed).toMatchObject({ groups: 1, persons: 0 });
    expect(r.report!.delta.teams.renamed).toBeGreaterThanOrEqual(1);
    expect(r.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 0 });
  }, 120_000);
});
