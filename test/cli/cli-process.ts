import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The real `schoolgate` command line in a child process, for the CLI tests: what an operator runs,
 * with what it prints and its exit code.
 */
export const ROOT = join(import.meta.dirname, '../..');

/** Where a CLI process keeps its database: an embedded data directory, or a PostgreSQL database. */
export type Target = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

export const targetEnv = (target: Target): Record<string, string> =>
  target.kind === 'pglite' ? { DATA_DIR: target.dataDir, DATABASE_URL: '' } : { DATABASE_URL: target.url };

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stderr's lines, without the runtime's own warning (oidc-provider warns on a Node older than it wants). */
  errorLines: string[];
}

// No developer sandbox at start: these tests compare what their own commands wrote.
const baseEnv = () => ({ ...process.env, LOG_LEVEL: 'silent', DEMO: 'off', SANDBOX: 'off', SCHOOLGATE_DEBUG: '' });

export function cli(target: Target, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...baseEnv(), ...targetEnv(target), ...env },
    timeout: 180_000,
  });
  const errorLines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('oidc-provider WARNING'));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, errorLines };
}

/** A TCP port nothing listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** `schoolgate start` as its own process, until /readyz answers. */
export async function startServerProcess(target: Target): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: { ...baseEnv(), ...targetEnv(target), PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`schoolgate start exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`schoolgate start not ready after 120 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A fresh, empty database on the PostgreSQL server of TEST_DATABASE_URL, and how to drop it. */
export async function freshServerDatabase(baseUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sg_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  url.search = '';
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
