/**
 * The embedded database is one process's: a second process on a data directory that a running
 * Schoolgate holds refuses with one line naming the holder, instead of writing into files the first
 * process overwrites (an import beside `npm start` reported success and its rows were gone).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, openDatabase } from '../../src/db/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const NODE = process.execPath;

const cli = (dataDir: string, ...args: string[]) =>
  spawnSync(NODE, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', DEMO: 'off' },
    timeout: 120_000,
  });

describe('the embedded database directory', () => {
  it('refuses a second process while one holds it, in one line, and works again once it is released', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-lock-'));
    const file = join(dataDir, 'users.csv');
    writeFileSync(file, 'email,name,institution_number\nada@school.example,Ada,001057\n');
    const held = await openDatabase({ dataDir });
    try {
      const second = cli(dataDir, 'users', 'import', file);
      expect(second.status).toBe(1);
      const lines = second.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`in use by process ${process.pid}`);
      expect(second.stdout).not.toContain('created');
      // In this process too: a second open of the same files is refused.
      await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DataDirInUseError);
    } finally {
      await held.close();
    }
    expect(existsSync(join(dataDir, 'schoolgate.lock'))).toBe(false);
    // Released: the next process gets it (a lock left by a dead process is taken over the same way).
    writeFileSync(join(dataDir, 'schoolgate.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, since: 'long ago' }));
    const reopened = await openDatabase({ dataDir });
    await reopened.close();
  }, 180_000);
});
