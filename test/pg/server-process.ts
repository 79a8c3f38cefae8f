import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { SERVER_NODE_FLAGS } from '../../src/cli/_server-flags.ts';

/** The repository root (this file is test/pg/server-process.ts). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The pinned Node 24 of the project when installed, else the running one. */
export const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => ok(port));
    });
  });
}

/** A Schoolgate server running as its own OS process (`schoolgate start`). */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resident set size of the process now, bytes (Linux /proc). */
  rss(): number | undefined;
  /** CPU time (user + system) the process has used so far, milliseconds (Linux /proc). */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Spawns the server as `npm start` runs it (`node <server flags> --import tsx src/cli.ts start`) with
 * `env`, on `port` (a restart behind a load balancer keeps its address) or a free one. `extraFlags`
 * go on Node's command line after the server's own (V8 flags that NODE_OPTIONS refuses, for the bench).
 */
export async function spawnServer(env: Record<string, string>, port?: number, extraFlags: readonly string[] = []): Promise<ServerProcess> {
  port ??= await freePort();
  const child = spawn(NODE, [...SERVER_NODE_FLAGS, ...extraFlags, '--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DEMO: 'off', SANDBOX: 'off', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    rss: () => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    cpuMs: () => {
      try {
        // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name) are utime and stime in clock ticks.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls GET /readyz until it answers 200 (ready for traffic); fails with the process output if it exits or takes too long. */
export async function waitUntilReady(server: ServerProcess, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`server exited with ${server.child.exitCode}:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/readyz`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (performance.now() > deadline) throw new Error(`server not ready after ${limitMs} ms:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates a fresh database on the server of `adminUrl`; returns its URL and a function that drops it. */
export async function createFreshDatabase(adminUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
