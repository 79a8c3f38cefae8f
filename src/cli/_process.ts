import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * What a command's process needs from its start: Node options (V8's heap sizes are fixed when the
 * process starts; nothing can change them later) and environment variables read when the process
 * starts (glibc's `MALLOC_ARENA_MAX`).
 */
export interface ProcessOptions {
  /** Node options, before the script (e.g. `--max-semi-space-size=4`). */
  readonly nodeFlags: readonly string[];
  /** Environment variables the process must start with. */
  readonly env: Readonly<Record<string, string>>;
}

/** Set in the process {@link rerunWith} starts: it has its options, and runs the command itself. */
export const PROCESS_OPTIONS_SET = 'SCHOOLGATE_PROCESS_OPTIONS_SET';

/** Whether this process was started with its command's options (by {@link rerunWith}, or by a harness that set them). */
export function hasProcessOptions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[PROCESS_OPTIONS_SET] === '1';
}

/** The environment a process with `options` starts with: this one's, the options' and the mark. */
export function processEnv(options: ProcessOptions, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...options.env, [PROCESS_OPTIONS_SET]: '1' };
}

/** Signals passed on to the child: it stops the way it would have stopped on its own. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs the same script with the same arguments again, in a child process started with `options`,
 * its standard streams this process's; resolves to the child's exit code (128 + the signal's number
 * when a signal ended it). SIGINT, SIGTERM and SIGHUP sent to this process are passed on to the
 * child (a terminal's Ctrl-C reaches both; the child's own handlers must bear a second one), and
 * this process waits for the child to end.
 *
 * @param argv The script and its arguments (default: this process's).
 */
export function rerunWith(options: ProcessOptions, argv: readonly string[] = process.argv.slice(1)): Promise<number> {
  const child = spawn(process.execPath, [...options.nodeFlags, ...process.execArgv, ...argv], { stdio: 'inherit', env: processEnv(options) });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
