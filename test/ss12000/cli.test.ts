import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as generate } from '../../src/cli/generate.ts';
import { run as importFiles } from '../../src/cli/import.ts';
import { isValidCivicNo } from '../../src/generator/personnummer.ts';

/** `schoolgate generate` and `schoolgate import` as an operator runs them, on an embedded database on disk. */
const dir = mkdtempSync(join(tmpdir(), 'sg-ss12000-cli-'));
const saved = { ...process.env };
let out: string[] = [];
let err: string[] = [];

beforeAll(() => {
  process.env.DATA_DIR = join(dir, 'data');
  process.env.LOG_LEVEL = 'silent';
  delete process.env.DATABASE_URL;
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
});
afterAll(() => {
  process.env = saved;
  vi.restoreAllMocks();
});

describe('schoolgate generate / import', () => {
  it('generates the same world for the same seed, with valid personnummer, tied to given institutions', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const args = ['--schools', '3', '--students', '60', '--seed', '42', '--today', '2026-11-22', '--institutions', '001057,001058'];
    expect(await generate([...args, '--out', a])).toBe(0);
    expect(await generate([...args, '--out', b])).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    const world = JSON.parse(readFileSync(a, 'utf8'));
    const units = world.organisations.filter((o: { organisationType: string }) => o.organisationType === 'Skolenhet');
    expect(units.map((u: { organisationCode: string }) => u.organisationCode).slice(0, 2)).toEqual(['001057', '001058']);
    expect(world.persons.every((p: { civicNo: { value: string } }) => isValidCivicNo(p.civicNo.value))).toBe(true);
    expect(await generate(['--schools', 'many'])).toBe(2);
  });

  it('imports SS 12000 JSON once, then changes nothing; a bad file is refused with the field named', async () => {
    const file = join(dir, 'a.json');
    out = [];
    expect(await importFiles([file])).toBe(0);
    expect(out.join('\n')).toMatch(/created: organisations 7/);
    out = [];
    expect(await importFiles([file])).toBe(0);
    expect(out.join('\n')).toContain('Nothing changed.');
    const bad = join(dir, 'persons.json');
    writeFileSync(
      bad,
      JSON.stringify({ data: [{ id: '6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e', givenName: 'Anna', familyName: 'Berg', securityMarking: 'Hemlig' }] }),
    );
    err = [];
    expect(await importFiles([bad])).toBe(1);
    expect(err.join('\n')).toContain('upsert.persons.0.securityMarking');
  }, 120_000);
});
