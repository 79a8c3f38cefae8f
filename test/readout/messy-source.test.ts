import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerConfigInput } from '../../src/readout/config.ts';
import { explain } from '../../src/readout/explain.ts';
import { runReadout, type ReadoutReport, type RunResult } from '../../src/readout/run.ts';
import { MessySource, type Quirk } from './messy-source.ts';
import { openWorld, readCsv, type ReadoutWorld } from './support/setup.ts';
import { staffRolePairs, validateOneRoster, validateSds } from './support/validate.ts';

/**
 * The readout against each habit of the messy source (messy-source.ts), one row per behaviour:
 * a full run, a delta run after changes made 20 minutes after the first run's watermark, and a run
 * with no change. Every run must succeed, publish files the SDS and OneRoster validators accept
 * (support/validate.ts, written from the formats, not from the writers), say in its report what
 * degraded, and see exactly the changes made.
 */
const EVERYONE = ['G-ST2', 'G-ST3', 'G-ST4', 'G-ST5', 'G-ST6', 'ST-BARE', 'ST1', 'ST2', 'ST3', 'ST4', 'ST5', 'ST6', 'T1', 'T2', 'T3'];
const NO_TEACHERS = EVERYONE.filter((u) => !u.startsWith('T'));
/** The staff role pairs (SDS → OneRoster) the README documents for the one staff-role table. */
const PAIRS = new Set(['teacher→teacher', 'principal→principal', 'administrator→administrator', 'teacherAssistant→aide', 'advisor→counselor', 'staff→aide']);

interface Row {
  quirks: Quirk[];
  mapping?: CustomerConfigInput['mapping'];
  source?: Partial<CustomerConfigInput['source']>;
  users?: string[];
  /** The mode of the delta run: `full` when the source's delta feed cannot be used. */
  deltaMode?: 'incremental' | 'full';
  /** Warnings the full run must name. */
  warns?: string[];
  /** And no others. */
  onlyWarns?: boolean;
  full?: (r: ReadoutReport, w: ReadoutWorld) => void | Promise<void>;
}

const codes = (r: ReadoutReport) => r.namedWarnings.map((x) => x.code);
const current = (w: ReadoutWorld, ...p: string[]) => join(w.outputDir, 'current', ...p);

const TABLE: Record<string, Row> = {
  // The seed world has one person status outside the spec's list, and nothing else to say.
  'a well-behaved source': { quirks: [], warns: ['source.unknown_value'], onlyWarns: true },
  '/v2 base path': {
    quirks: ['v2BasePath'],
    full: (_r, w) => expect(w.customer.source.baseUrl).toMatch(/\/v2$/),
  },
  'form-only token endpoint (422 on basic), tokenAuth auto': {
    quirks: ['formOnlyToken'],
    source: { tokenAuth: 'auto' },
    warns: ['source.token_auth_fallback'],
    full: (r) =>
      expect(r.source.tokenAuth).toEqual({ used: 'post', how: expect.stringMatching(/refused client_secret_basic \(HTTP 422\).*set source\.tokenAuth: post/) }),
  },
  'discovery document lists client_secret_post, tokenAuth auto': {
    quirks: ['discoveryPostOnly'],
    source: { tokenAuth: 'auto' },
    full: (r, w) => {
      expect(r.source.tokenAuth).toEqual({ used: 'post', how: 'the discovery document lists client_secret_post' });
      expect(w.source.log.filter((l) => l.url === '/oauth2/token' && l.status !== 200)).toEqual([]);
    },
  },
  'offset page tokens that forget the filters': { quirks: ['offsetPageTokens'], deltaMode: 'full' },
  'timestamps without a zone': {
    quirks: ['zonelessTimestamps'],
    warns: ['source.timestamps_without_zone'],
    full: (r) => expect(r.source.zonelessTimestamps).toBeGreaterThan(0),
  },
  'duties on the parent Skola': {
    quirks: ['dutiesOnSkola'],
    warns: ['mapping.duty_counted_for_school_units'],
    full: async (r, w) => {
      expect(r.counts.staff).toEqual({ kept: 3, excluded: { 'staff.protected_identity': 1, 'staff.duty.ended': 1 } });
      const t1 = await explain(w.customer, w.deps, 'T1');
      expect(t1.text).toMatch(
        /as staff: KEPT\n.*\n\s+✓ staff\.duty\.dates: duty D-T1 \(Lärare\) at SKOLA-N \(an organisation above school units: counts for S-NORTH\)/,
      );
    },
  },
  'duties on the parent Skola, mapping off': {
    quirks: ['dutiesOnSkola'],
    mapping: { dutiesOnParentOrganisations: false },
    users: NO_TEACHERS,
    warns: ['mapping.duties_on_parent_organisations_off'],
    full: async (r, w) => {
      expect(r.counts.staff.kept).toBe(0);
      const t1 = await explain(w.customer, w.deps, 'T1');
      expect(t1.text).toContain('as staff: EXCLUDED by staff.duty.school_not_kept');
      expect(t1.text).toContain('✗ staff.duty.school_not_kept: duty D-T1 at SKOLA-N, which is not a kept school');
    },
  },
  'activity subject instead of syllabus, mapping.courseField: subject': {
    quirks: ['subjectNotSyllabus'],
    mapping: { courseField: 'subject' },
    full: (r, w) => {
      expect(r.counts.groups.excluded).toEqual({ 'group.no_syllabus': 1, 'group.type': 1, 'group.school_not_kept': 1 });
      expect(readCsv(current(w, 'sds', 'classes.csv')).rows.map((c) => c.title)).toContain('Ma 7 Matematik');
    },
  },
  'activity subject instead of syllabus, default mapping': {
    quirks: ['subjectNotSyllabus'],
    warns: ['source.non_spec_field'],
    full: (r) => {
      expect(r.counts.groups.excluded['group.no_syllabus']).toBe(4);
      expect(r.namedWarnings.find((x) => x.code === 'source.non_spec_field')?.message).toMatch(/mapping\.courseField: subject/);
    },
  },
  'missing endpoints (404/501)': {
    quirks: ['missingEndpoints'],
    warns: ['source.endpoint_missing'],
    full: (r, w) => {
      expect(r.namedWarnings.find((x) => x.code === 'source.endpoint_missing')).toMatchObject({ examples: ['/syllabuses'] });
      expect(readCsv(current(w, 'sds', 'classes.csv')).rows).toHaveLength(6);
    },
  },
  '/deletedEntities answering {"data": []}': { quirks: ['deletedEntitiesArray'], deltaMode: 'full' },
  'duplicates across pages': {
    quirks: ['duplicatesAcrossPages'],
    warns: ['source.duplicate_records'],
    full: (r) => expect(r.source.duplicates).toBeGreaterThan(0),
  },
  '429 with Retry-After': {
    quirks: ['rateLimited'],
    full: (r, w) => {
      expect(r.source.retries).toBeGreaterThan(0);
      expect(w.sleeps).toContain(2000);
    },
  },
  '5xx mid-crawl': { quirks: ['serverErrorMidCrawl'], full: (r) => expect(r.source.retries).toBeGreaterThan(0) },
  'truncated JSON body': {
    quirks: ['truncatedBody'],
    warns: ['source.unreadable_body'],
    full: (r) => expect(r.source.unreadableBodies).toBeGreaterThan(0),
  },
  'a page token that never ends': { quirks: ['endlessPageToken'], warns: ['source.page_loop'] },
  'a staff title no table knows': {
    quirks: ['unknownStaffTitle'],
    warns: ['mapping.unknown_staff_title'],
    full: (_r, w) => {
      const sds = readCsv(current(w, 'sds', 'roles.csv')).rows.find((x) => x.userSourcedId === 'T2');
      const or = readCsv(current(w, 'oneroster', 'roles.csv')).rows.find((x) => x.userSourcedId === 'T2');
      expect([sds?.role, or?.role]).toEqual(['staff', 'aide']);
    },
  },
  'a staff title mapped to exclude': {
    quirks: ['unknownStaffTitle'],
    mapping: { staffRoles: { Vaktmästare: 'exclude' } },
    users: EVERYONE.filter((u) => u !== 'T2'),
    full: (r) => expect(r.counts.staff.excluded['staff.duty.role_excluded']).toBe(1),
  },
  'guardians sharing an e-mail address': {
    quirks: ['sharedGuardianEmail'],
    warns: ['output.username_shared'],
    full: (_r, w) => {
      const users = readCsv(current(w, 'oneroster', 'users.csv')).rows;
      expect(users.find((u) => u.sourcedId === 'G-ST3')!.username).toBe('familjen@example.se');
      expect(users.find((u) => u.sourcedId === 'G-ST4')!.username).toMatch(/^familjen\+[0-9a-f]{8}@example\.se$/);
    },
  },
  'everything at once': {
    quirks: [
      'v2BasePath',
      'formOnlyToken',
      'offsetPageTokens',
      'zonelessTimestamps',
      'dutiesOnSkola',
      'subjectNotSyllabus',
      'missingEndpoints',
      'deletedEntitiesArray',
      'rateLimited',
      'serverErrorMidCrawl',
      'truncatedBody',
      'endlessPageToken',
      'unknownStaffTitle',
      'sharedGuardianEmail',
    ],
    source: { tokenAuth: 'auto' },
    mapping: { courseField: 'subject' },
    deltaMode: 'full',
  },
};

describe.each(Object.entries(TABLE))('messy source: %s', (_name, row) => {
  let w: ReadoutWorld;
  const runs: RunResult[] = [];

  /** The published sets of the last run pass both validators (the delta against the run before). */
  const expectAccepted = () => {
    const last = runs.at(-1)!;
    const previous = runs.at(-2)?.outputPath;
    expect(validateSds(current(w, 'sds'))).toEqual([]);
    expect(validateOneRoster(current(w, 'oneroster'), current(w, 'oneroster-delta'), previous && join(previous, 'oneroster'))).toEqual([]);
    for (const pair of staffRolePairs(current(w, 'sds'), current(w, 'oneroster'))) expect(PAIRS).toContain(pair);
    expect(last.outputPath).toBe(join(w.outputDir, 'runs', readdirSync(join(w.outputDir, 'runs')).sort().at(-1)!));
  };
  const usernames = () => Object.fromEntries(readCsv(current(w, 'sds', 'users.csv')).rows.map((u) => [u.sourcedId, u.username]));
  let firstUsernames: Record<string, string>;

  beforeAll(async () => {
    w = await openWorld({
      makeSource: (clock) => new MessySource(clock, row.quirks),
      sourceConfig: row.source,
      customer: row.mapping ? { mapping: row.mapping } : {},
    });
    // The source's records were last changed an hour before the first run (a filter that is not honoured shows).
    w.clock.advance(3600_000);
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('full run: succeeds, files accepted, the report names what degraded', async () => {
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    runs.push(r);
    const report = r.report!;
    expect(report.mode).toBe('full');
    expect(
      readCsv(current(w, 'sds', 'users.csv'))
        .rows.map((u) => u.sourcedId)
        .sort(),
    ).toEqual(row.users ?? EVERYONE);
    for (const code of row.warns ?? []) expect(codes(report)).toContain(code);
    if (row.onlyWarns) expect(codes(report)).toEqual(row.warns);
    for (const x of report.namedWarnings) expect(x.count).toBeGreaterThan(0);
    await row.full?.(report, w);
    expectAccepted();
    firstUsernames = usernames();
  });

  it('delta run: sees exactly the changes made just after the last watermark', async () => {
    // Changes 20 minutes after the first run read the source, then the night passes.
    w.clock.advance(20 * 60_000);
    w.source.remove('persons', 'ST6');
    w.source.update('groups', 'GR-7B', (g) => (g.displayName = '7B (Ny)'));
    for (const id of ['ST1', 'ST2', 'ST3', 'ST4', 'ST5']) w.source.update('persons', id, (p) => (p.givenName = `${String(p.givenName)} Ny`));
    w.clock.advance(24 * 3600_000);
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    runs.push(r);
    const report = r.report!;
    expect(report.mode).toBe(row.deltaMode ?? 'incremental');
    if (report.mode === 'full') expect(report.fallbackReason).toMatch(/full read and diff$/);
    expect(report.delta.people).toEqual({ added: 0, updated: 5, removed: 2 });
    expect(report.delta.teams).toMatchObject({ renamed: 1, removed: 0 });
    expectAccepted();
    const delta = readCsv(current(w, 'oneroster-delta', 'users.csv')).rows;
    expect(delta.filter((u) => u.status === 'tobedeleted').map((u) => u.sourcedId)).toEqual(expect.arrayContaining(['ST6', 'G-ST6']));
  });

  it('no-change run: nothing in the delta set but its manifest, usernames as before', async () => {
    w.clock.advance(24 * 3600_000);
    const r = await runReadout(w.customer, w.deps);
    expect(r.error).toBeUndefined();
    runs.push(r);
    const d = r.report!.delta;
    expect([d.people, d.teams, d.memberships, d.schools]).toEqual([
      { added: 0, updated: 0, removed: 0 },
      { created: 0, renamed: 0, updated: 0, removed: 0 },
      { added: 0, removed: 0 },
      { added: 0, updated: 0, removed: 0 },
    ]);
    expect(readdirSync(current(w, 'oneroster-delta'))).toEqual(['manifest.csv']);
    const manifest = readCsv(current(w, 'oneroster-delta', 'manifest.csv')).rows.filter((m) => m.propertyName!.startsWith('file.'));
    expect(new Set(manifest.map((m) => m.value))).toEqual(new Set(['absent']));
    expectAccepted();
    const now = usernames();
    for (const [id, name] of Object.entries(now)) if (firstUsernames[id]) expect(name).toBe(firstUsernames[id]);
  });
});
