import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as cli } from '../../src/cli/readout.ts';
import { loadReadoutConfig, parseReadoutConfig, ReadoutConfigError, resolveSecret } from '../../src/readout/config.ts';
import { startReadoutScheduler } from '../../src/readout/serve.ts';
import { openWorld, type ReadoutWorld } from './support/setup.ts';

const valid = {
  customers: [
    {
      key: 'exempel',
      source: {
        baseUrl: 'https://api.example.se/source/SE00100/v2.0',
        tokenUrl: 'https://auth.example.se/token',
        clientId: 'eventful',
        clientSecret: { env: 'EXEMPEL_SECRET' },
      },
      outputDir: 'out/exempel',
    },
  ],
};

describe('readout configuration', () => {
  it('fills the defaults of the seed', () => {
    const c = parseReadoutConfig(valid, '/srv/readout').customers[0]!;
    expect(c).toMatchObject({
      toleranceDays: 14,
      exportAddress: false,
      exportCivicNo: false,
      schedule: '0 18 * * *',
      timeZone: 'Europe/Stockholm',
      formats: ['sds', 'oneroster'],
      outputDir: '/srv/readout/out/exempel',
    });
    expect(c.source).toMatchObject({ tokenAuth: 'auto', arrayParams: 'repeat' });
    expect(c.mapping).toEqual({ dutiesOnParentOrganisations: true, courseField: 'syllabus', staffRoles: {}, unknownStaffRole: 'staff' });
  });

  it('lists every problem with its path', () => {
    const bad = {
      customers: [
        {
          ...valid.customers[0],
          key: 'Bad Key',
          municipalityCode: '180',
          toleranceDays: -1,
          timeZone: 'Mars/Base',
          schedule: 'daily',
          extra: 1,
          mapping: { staffRoles: { Lärare: 'nurse' }, courseField: 'not a field' },
        },
        { ...valid.customers[0], source: { ...valid.customers[0]!.source, baseUrl: 'not a url', clientSecret: { env: '1BAD' } } },
      ],
    };
    let message = '';
    try {
      parseReadoutConfig(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(ReadoutConfigError);
      message = (e as Error).message;
    }
    for (const path of [
      'customers.0.key',
      'customers.0.municipalityCode',
      'customers.0.toleranceDays',
      'customers.0.timeZone',
      'customers.0.schedule',
      'customers.1.source.baseUrl',
      'customers.1.source.clientSecret.env',
      'customers.0.mapping.staffRoles.Lärare',
      'customers.0.mapping.courseField',
    ]) {
      expect(message).toContain(`  ${path}:`);
    }
    expect(message).toMatch(/Unrecognized key.*extra/);
    expect(() => parseReadoutConfig({ customers: [valid.customers[0], valid.customers[0]] })).toThrow(/customers\.1\.key: duplicate key "exempel"/);
  });

  it('reads YAML and JSON files and resolves secrets from the environment without echoing them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'readout-config-'));
    writeFileSync(
      join(dir, 'r.yaml'),
      `customers:\n  - key: exempel\n    source:\n      baseUrl: https://api.example.se/v2.0\n      tokenUrl: https://auth.example.se/token\n      clientId: eventful\n      clientSecret: { env: EXEMPEL_SECRET }\n    outputDir: out\n    exportCivicNo: true\n`,
    );
    writeFileSync(join(dir, 'r.json'), JSON.stringify(valid));
    writeFileSync(join(dir, 'broken.yaml'), 'customers: [\n');
    const y = loadReadoutConfig(join(dir, 'r.yaml'));
    expect(y.customers[0]!.exportCivicNo).toBe(true);
    expect(y.customers[0]!.outputDir).toBe(join(dir, 'out'));
    expect(loadReadoutConfig(join(dir, 'r.json')).customers[0]!.key).toBe('exempel');
    expect(() => loadReadoutConfig(join(dir, 'broken.yaml'))).toThrow(/is not valid YAML/);
    expect(() => loadReadoutConfig(join(dir, 'missing.yaml'))).toThrow(/Cannot read readout configuration/);
    const example = loadReadoutConfig(join(import.meta.dirname, '../../src/readout/readout.example.yaml')).customers[0]!;
    expect(example.source.arrayParams).toBe('brackets');
    expect(example.source.tokenAuth).toBe('auto');
    expect(example.mapping).toMatchObject({ dutiesOnParentOrganisations: true, courseField: 'syllabus', unknownStaffRole: 'staff' });
    expect(example.mapping.staffRoles.Vaktmästare).toBe('exclude');
    expect(resolveSecret({ env: 'X_SECRET' }, { X_SECRET: 'abc' })).toBe('abc');
    expect(() => resolveSecret({ env: 'X_SECRET' }, {})).toThrow('Environment variable X_SECRET (client secret) is not set');
  });
});

describe('schoolgate readout (CLI) and readout serve', () => {
  let w: ReadoutWorld;
  let configFile: string;
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL, EXEMPEL_SECRET: process.env.EXEMPEL_SECRET };

  beforeAll(async () => {
    w = await openWorld();
    const dir = mkdtempSync(join(tmpdir(), 'readout-cli-'));
    configFile = join(dir, 'readout.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        customers: [
          {
            key: 'exempel',
            source: {
              baseUrl: w.source.baseUrl,
              tokenUrl: w.source.tokenUrl,
              clientId: 'eventful',
              clientSecret: { env: 'EXEMPEL_SECRET' },
              arrayParams: 'brackets',
              retryBaseMs: 1,
              maxRetries: 1,
            },
            outputDir: join(dir, 'out'),
          },
        ],
      }),
    );
    // The CLI opens the deployment database: an embedded one in a fresh directory here.
    process.env.DATA_DIR = join(dir, 'data');
    delete process.env.DATABASE_URL;
    process.env.EXEMPEL_SECRET = 's3cret';
  }, 60_000);
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await w?.close();
  });

  it('run, explain and runs', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => out.push(String(s)) > 0);
    try {
      expect(await cli(['run', '--customer', 'exempel', '--config', configFile])).toBe(0);
      expect(out.join('\n')).toMatch(
        /students {2}kept 7; excluded: student\.enrolment\.ended 1, student\.enrolment\.school_not_kept 1, student\.protected_identity 1, student\.registered_abroad 1\n/,
      );
      // The human report is named, and is there.
      const report = /\n {2}report: {4}(\S+report\.html)$/m.exec(out.join('\n'))?.[1];
      expect(report && readFileSync(report, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<h1>Readout exempel<\/h1>/);
      expect(await cli(['explain', '--customer', 'exempel', '--person', 'ST-ABROAD', '--config', configFile])).toBe(0);
      expect(out.join('\n')).toMatch(/✗ student\.registered_abroad: person status "Utvandrad"/);
      expect(await cli(['runs'])).toBe(0);
      expect(out.join('\n')).toMatch(/\texempel\t.*\tsucceeded\tfull\t/);
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
  }, 120_000);

  it('bad usage and unknown customers exit 2 with a message', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await cli(['run', '--customer', 'nobody', '--config', configFile])).toBe(2);
      expect(err.join('\n')).toContain('Unknown customer "nobody"; known: exempel');
      expect(await cli(['frobnicate'])).toBe(2);
      expect(err.join('\n')).toContain('Unknown readout command: frobnicate');
      expect(await cli(['--help'])).toBe(0);
      expect(await cli(['run', '--customer', 'exempel', '--config', join(tmpdir(), 'no-such-readout.yaml')])).toBe(2);
      expect(err.join('\n')).toContain('Cannot read readout configuration');
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
  }, 60_000);

  it('serve: one cron schedule per customer in its time zone, and a fired schedule records a run', async () => {
    const config = parseReadoutConfig({
      customers: [
        {
          ...(JSON.parse((await import('node:fs')).readFileSync(configFile, 'utf8')) as typeof valid).customers[0],
          outputDir: w.outputDir,
          schedule: '30 18 * * 1-5',
          timeZone: 'Europe/Stockholm',
        },
      ],
    });
    const results: string[] = [];
    const scheduler = await startReadoutScheduler(
      config,
      w.database,
      { ...w.deps, env: { EXEMPEL_SECRET: 's3cret' } },
      { onRun: (c, r) => results.push(`${c}:${r instanceof Error ? r.message : r.status}`) },
    );
    try {
      const schedules = await scheduler.boss.getSchedules();
      expect(schedules.map((s) => ({ name: s.name, cron: s.cron, tz: s.options?.tz ?? (s as { timezone?: string }).timezone }))).toEqual([
        { name: 'readout.exempel', cron: '30 18 * * 1-5', tz: 'Europe/Stockholm' },
      ]);
      expect(await scheduler.trigger('exempel')).toBeTruthy();
      // Wait for the worker to report the finished run (bounded by the test timeout, not by a timer assertion).
      while (results.length === 0) await new Promise((r) => setTimeout(r, 200));
      const run = await w.database.db.selectFrom('readout_runs').select(['status', 'trigger']).where('trigger', '=', 'schedule').executeTakeFirst();
      expect(run).toEqual({ status: 'succeeded', trigger: 'schedule' });
      expect(results).toEqual(['exempel:succeeded']);
    } finally {
      await scheduler.stop();
    }
  }, 120_000);
});
