import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './server-process.ts';

/** Debian's HAProxy (`apt-get install haproxy`). */
export const HAPROXY = '/usr/sbin/haproxy';

/** The reference configuration of the README's deployment. */
export const REFERENCE_CONFIG = join(ROOT, 'deploy', 'haproxy.cfg');

/** What the test puts in place of the reference's machine-specific lines. */
export interface TestAddresses {
  /** The port the proxy listens on (127.0.0.1, plain HTTP). */
  port: number;
  /** The Schoolgate processes' ports, in the order of the reference's `server` lines (names kept). */
  servers: number[];
  /** Path of the runtime API socket. */
  socket: string;
  /** Lines added at the end of the frontend (a log format for the test's bookkeeping). */
  frontend?: string[];
}

/**
 * The reference configuration with this machine's addresses: in `global`, logging to standard output
 * and the runtime API on `socket` instead of syslog, the Debian socket and the `haproxy` user; in the
 * frontend one plain-HTTP `bind` on 127.0.0.1 instead of the public ones (and without the HTTPS
 * redirect, which needs TLS); each `server` line with its address replaced and its parameters kept.
 * Everything else is the reference as written. Throws when a line it replaces is not there, so a
 * reference changed beyond what the test understands fails loudly instead of being tested half.
 */
export function testConfig(reference: string, at: TestAddresses): string {
  const out: string[] = [];
  let section = '';
  let binds = 0;
  let redirect = 0;
  let servers = 0;
  let logged = false;
  const endFrontend = () => {
    if (section.startsWith('frontend')) {
      out.push(`    bind 127.0.0.1:${at.port}`, ...(at.frontend ?? []).map((l) => `    ${l}`));
    }
  };
  for (const line of reference.split('\n')) {
    const text = line.trim();
    if (/^(global|defaults|frontend|backend|listen)\b/.test(text)) {
      endFrontend();
      section = text;
      out.push(line);
      if (text === 'global') out.push('    log stdout format raw local0', `    stats socket ${at.socket} mode 600 level admin`);
      continue;
    }
    if (section === 'global' && /^(log|stats socket|user|group|daemon|chroot)\b/.test(text)) {
      logged ||= text.startsWith('log');
      continue;
    }
    if (section.startsWith('frontend') && text.startsWith('bind ')) {
      binds++;
      continue;
    }
    if (section.startsWith('frontend') && text.startsWith('http-request redirect scheme https')) {
      redirect++;
      continue;
    }
    const server = /^server\s+(\S+)\s+\S+(.*)$/.exec(text);
    if (section.startsWith('backend') && server) {
      const port = at.servers[servers++];
      if (port === undefined) throw new Error(`the reference has more server lines than the test has processes (${at.servers.length})`);
      out.push(`    server ${server[1]} 127.0.0.1:${port}${server[2]}`);
      continue;
    }
    out.push(line);
  }
  endFrontend();
  if (!logged || !binds || !redirect)
    throw new Error(`deploy/haproxy.cfg no longer has the lines the test replaces (global log: ${logged}, bind: ${binds}, https redirect: ${redirect})`);
  if (servers !== at.servers.length) throw new Error(`deploy/haproxy.cfg has ${servers} server lines; the test runs ${at.servers.length} processes`);
  return out.join('\n');
}

/** One line of the test's request log (the format the test adds, see `LOG_FORMAT`). */
export interface LogLine {
  /** The client's X-Load-Id. */
  id: string;
  /** The process that answered last (`<NOSRV>` when none could). */
  server: string;
  status: number;
  /** Retries done; `redispatched` when one went to another process. */
  retries: number;
  redispatched: boolean;
  /** HAProxy's termination state (`--` for a normal end; `SH` the process closed before answering …). */
  termination: string;
}

/** Captures the client's X-Load-Id and logs one parseable line per request. */
export const LOG_FRONTEND = ['http-request capture req.hdr(x-load-id) len 64', 'log-format "LOAD %[capture.req.hdr(0)] %s %ST %rc %ts"'];

/** A running HAProxy. */
export interface Haproxy {
  url: string;
  child: ChildProcess;
  /** The request log so far, by X-Load-Id. */
  requests(): Map<string, LogLine>;
  output(): string;
  /** Sends one command to the runtime API and returns its answer. */
  command(cmd: string): Promise<string>;
  /** The status of each server of the backend (`UP`, `DOWN`, `MAINT`, `UP 1/2` …) and its current sessions. */
  servers(): Promise<Map<string, { status: string; sessions: number }>>;
  stop(): Promise<void>;
}

/** Checks the configuration with `haproxy -c` and starts HAProxy in the foreground on it. */
export async function startHaproxy(configPath: string, config: string, at: TestAddresses): Promise<Haproxy> {
  writeFileSync(configPath, config);
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', configPath], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused the generated configuration:\n${check.stdout}${check.stderr}\n${config}`);
  const child = spawn(HAPROXY, ['-db', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let pending = '';
  const log = new Map<string, LogLine>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /LOAD (\S+) (\S+) (-?\d+) (\+?)(\d+) (\S\S)/.exec(line);
      if (m && m[1] !== '-') {
        log.set(m[1]!, { id: m[1]!, server: m[2]!, status: Number(m[3]), redispatched: m[4] === '+', retries: Number(m[5]), termination: m[6]! });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const command = (cmd: string) =>
    new Promise<string>((ok, fail) => {
      const socket = connect(at.socket);
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('error', fail);
      socket.on('end', () => ok(answer));
      socket.write(`${cmd}\n`);
    });
  const haproxy: Haproxy = {
    url: `http://127.0.0.1:${at.port}`,
    child,
    requests: () => log,
    output: () => out,
    command,
    async servers() {
      const csv = (await command('show stat')).trim().split('\n');
      const header = csv[0]!.replace(/^# /, '').split(',');
      const col = (name: string) => header.indexOf(name);
      const states = new Map<string, { status: string; sessions: number }>();
      for (const row of csv.slice(1)) {
        const f = row.split(',');
        if (f[col('svname')] === 'FRONTEND' || f[col('svname')] === 'BACKEND') continue;
        states.set(f[col('svname')]!, { status: f[col('status')]!, sessions: Number(f[col('scur')]) });
      }
      return states;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  // Listening and the runtime API answering.
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
    try {
      await haproxy.servers();
      return haproxy;
    } catch {
      if (performance.now() > deadline) throw new Error(`haproxy did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Waits until the backend's server `name` has status `status` (as `show stat` says it); returns when, in ms since `since`. */
export async function waitForServer(haproxy: Haproxy, name: string, status: 'UP' | 'DOWN' | 'MAINT', since: number, limitMs = 30_000): Promise<number> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const state = (await haproxy.servers()).get(name);
    if (state?.status === status) return performance.now() - since;
    if (performance.now() > deadline) throw new Error(`haproxy server ${name} is ${state?.status}, not ${status}, after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The reference configuration's text. */
export const referenceConfig = () => readFileSync(REFERENCE_CONFIG, 'utf8');
