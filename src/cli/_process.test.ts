import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { READOUT_PROCESS } from '../readout/process.ts';

const ROOT = join(import.meta.dirname, '../..');

/**
 * A probe loaded into every Node process of a command line (through NODE_OPTIONS, which children
 * inherit): each appends its pid, parent pid, Node options and MALLOC_ARENA_MAX to a file.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function probe() {
  const dir = mkdtempSync(join(tmpdir(), 'cli-process-'));
  dirs.push(dir);
  const out = join(dir, 'processes.ndjson');
  const file = join(dir, 'probe.cjs');
  writeFileSync(
    file,
    `require('node:fs').appendFileSync(${JSON.stringify(out)}, JSON.stringify({ pid: process.pid, ppid: process.ppid, execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX ?? null }) + '\\n');`,
  );
  // Once per process: the probe also runs in a process's module-loader thread (tsx's hooks).
  const read = () => [
    ...new Map(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { pid: number; ppid: number; execArgv: string[]; arenas: string | null })
        .map((p) => [p.pid, p]),
    ).values(),
  ];
  return { file, read, dir };
}

/** Runs `schoolgate …` as a user would (the TypeScript entry with tsx), with the probe loaded. */
function schoolgate(args: string[], probeFile: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probeFile}` };
  delete env.MALLOC_ARENA_MAX;
  delete env.SCHOOLGATE_PROCESS_OPTIONS_SET;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe("a command's process options", () => {
  it('readout run runs in a child started with the readout’s Node options and environment, and exits with its code', async () => {
    const p = probe();
    const r = await schoolgate(['readout', 'run', '--customer', 'nobody', '--config', join(p.dir, 'missing.yaml')], p.file);
    // The child ran the command: a configuration error is exit code 2, passed on by the parent.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml/);
    const [parent, child, ...rest] = p.read();
    expect(rest).toEqual([]);
    expect(child!.ppid).toBe(parent!.pid);
    expect(parent!.execArgv).not.toContain('--max-semi-space-size=4');
    expect(child!.execArgv).toContain('--max-semi-space-size=4');
    expect(child!.execArgv).toEqual(expect.arrayContaining([...READOUT_PROCESS.nodeFlags]));
    expect(parent!.arenas).toBeNull();
    expect(child!.arenas).toBe('2');
  });

  it('other commands run in the process that was started', async () => {
    const p = probe();
    const r = await schoolgate(['readout', 'explain', '--customer', 'nobody', '--person', 'x', '--config', join(p.dir, 'missing.yaml')], p.file);
    expect(r.code).toBe(2);
    expect(p.read()).toHaveLength(1);
  });
});
