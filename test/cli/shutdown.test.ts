/**
 * Issue 12: `npm start` stopped with SIGTERM (what a process manager, a container runtime or a
 * rolling restart sends) stops accepting, finishes the request in flight, and leaves nothing
 * running — npm itself does not pass the signal on to a grandchild, so the start script `exec`s node.
 * Through the real `npm start` on a fresh embedded database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from './cli-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'schoolgate-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Processes (other than this one) whose environment names our data directory: the server and anything it started. */
function processesOfThisServer(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`DATA_DIR=${dataDir}`)) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** One HTTP/1.1 request written in two parts, `between` running after the first: the answer's status line, or the socket's error. */
async function requestInTwoParts(port: number, between: () => Promise<void>): Promise<string> {
  const body = JSON.stringify({ email: 'nobody@school.example', password: 'not the password' });
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const ended = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', (e) => resolve(`error: ${e.message}`));
  });
  socket.write(
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  await between();
  socket.write(body.slice(10));
  return ended;
}

describe('npm start and SIGTERM', () => {
  it('finishes the request in flight, refuses new connections, and leaves no process behind', async () => {
    const port = await freePort();
    // `--ignore-scripts`: no web build first (prestart); the start script itself is what is tested.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DEMO: 'off',
        SANDBOX: 'off',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const npmExited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; ; i++) {
        if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}:\n${output}`);
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        if (i > 2400) throw new Error(`not ready after 120 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const running = processesOfThisServer();
      expect(running.length).toBeGreaterThan(0);

      let refused = '';
      const status = await requestInTwoParts(port, async () => {
        // The signal goes to npm, as `kill <pid of npm start>` or a container stop would send it.
        npm.kill('SIGTERM');
        // Stopped accepting: a new connection is refused while the first request is still unanswered.
        for (let i = 0; i < 100 && !refused; i++) {
          await new Promise((r) => setTimeout(r, 50));
          refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            () => '',
            (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
          );
        }
      });
      expect(refused).toBe('ECONNREFUSED');
      // The request in flight was answered in full (a wrong password), not cut off.
      expect(status).toBe('HTTP/1.1 401 Unauthorized');

      const code = await Promise.race([npmExited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(code).not.toBe('timeout');
      // Nothing left: neither npm nor the node server it started.
      for (let i = 0; i < 100 && processesOfThisServer().length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(processesOfThisServer()).toEqual([]);
    } finally {
      for (const pid of processesOfThisServer()) process.kill(pid, 'SIGKILL');
    }
  }, 180_000);
});
