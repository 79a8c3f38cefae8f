import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/identity-providers.ts';
import { loadConfig } from '../../../src/config.ts';
import { closeContext, createContext } from '../../../src/runtime.ts';
import { createBoardWithSchool } from './fixtures.ts';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.ts';

/** `schoolgate identity-providers` as an operator runs it on the server, on an embedded database on disk. */
const dir = mkdtempSync(join(tmpdir(), 'sg-idp-cli-'));
const env = { DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', DEMO: 'off', PUBLIC_URL: 'https://schoolgate.example' } as NodeJS.ProcessEnv;
let out: string[] = [];
let err: string[] = [];
let idp: UpstreamIdp;
let boardId: string;

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  idp = await startUpstreamIdp('https://schoolgate.example/signin/upstream/callback');
  const ctx = await createContext(loadConfig(env), { workers: false });
  try {
    boardId = (await createBoardWithSchool(ctx, 'Ystads kommun')).boardId;
  } finally {
    await closeContext(ctx);
  }
}, 180_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await idp?.stop();
});

describe('schoolgate identity-providers', () => {
  it('adds, lists, updates and removes, reading the secret from a file and never printing it', async () => {
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${idp.clientSecret}\n`);
    out = [];
    const added = await run(
      [
        'add',
        '--board',
        boardId,
        '--name',
        'Ystad login',
        '--issuer',
        idp.issuer,
        '--client-id',
        idp.clientId,
        '--client-secret-file',
        secretFile,
        '--claim',
        'eppn',
      ],
      env,
    );
    expect(added, err.join('\n')).toBe(0);
    expect(out.join('\n')).toContain('https://schoolgate.example/signin/upstream/callback');
    const id = /identity provider ([0-9a-f-]{36})/.exec(out.join('\n'))![1]!;

    out = [];
    expect(await run(['list'], env)).toBe(0);
    expect(out.join('\n')).toContain(`${id}  Ystad login  board "Ystads kommun"`);
    expect(out.join('\n')).toContain('passwords allowed');
    expect(out.join('\n')).not.toContain(idp.clientSecret);

    out = [];
    expect(await run(['update', id, '--passwords', 'disabled', '--claim', 'civic_no'], env)).toBe(0);
    out = [];
    expect(await run(['list'], env)).toBe(0);
    expect(out.join('\n')).toContain('claim civic_no  passwords disabled');

    out = [];
    expect(await run(['boards'], env)).toBe(0);
    expect(out.join('\n')).toContain(`${boardId}  Ystads kommun`);
    expect(out.join('\n')).toContain(`provider ${id}`);

    expect(await run(['remove', id], env)).toBe(0);
    err = [];
    expect(await run(['remove', id], env)).toBe(1);
    expect(err.join('\n')).toContain('identity_provider_not_found');
  }, 120_000);

  it('refuses bad input with the flag or field named, and prints usage', async () => {
    err = [];
    expect(
      await run(
        [
          'add',
          '--board',
          boardId,
          '--name',
          'x',
          '--issuer',
          idp.issuer,
          '--client-id',
          'c',
          '--client-secret-file',
          join(dir, 'secret'),
          '--claim',
          'nickname',
        ],
        env,
      ),
    ).toBe(2);
    expect(err.join('\n')).toContain('--claim');
    err = [];
    expect(
      await run(
        [
          'add',
          '--board',
          boardId,
          '--name',
          'x',
          '--issuer',
          'ftp://idp.example',
          '--client-id',
          'c',
          '--client-secret-file',
          join(dir, 'secret'),
          '--claim',
          'email',
        ],
        env,
      ),
    ).toBe(1);
    expect(err.join('\n')).toContain('invalid_issuer (body.issuer)');
    err = [];
    expect(await run(['remove', 'not-an-id'], env)).toBe(2);
    expect(await run(['frobnicate'], env)).toBe(2);
    expect(await run(['add', '--secret', 'on-the-command-line'], env)).toBe(2);
    out = [];
    expect(await run([], env)).toBe(0);
    expect(out.join('\n')).toContain('Usage: schoolgate identity-providers');
  }, 120_000);
});
