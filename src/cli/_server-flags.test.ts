import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './_server-flags.ts';

describe('the server process’s Node options', () => {
  it('npm start runs the server with them, as the harnesses that measure it do', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    // `exec`: node replaces npm's shell, so the SIGTERM npm passes on reaches the server.
    const start = pkg.scripts.start!.split(/\s+/);
    expect(start.slice(0, 2)).toEqual(['exec', 'node']);
    for (const flag of SERVER_NODE_FLAGS) expect(start.slice(0, start.indexOf('src/cli.ts'))).toContain(flag);
  });
});
