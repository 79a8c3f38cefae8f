/**
 * `npm test`: the unit and integration suite (`vitest run`), then the browser suite whatever the
 * first one's result (scripts/test-e2e-if-chromium.ts, which says so when it skips), so one failure
 * does not hide the other suite's. Exits non-zero when either failed. Extra arguments go to the
 * first suite (`npm test -- test/oidc`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;

const suite = run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
const browser = run(process.execPath, ['--import', 'tsx', 'scripts/test-e2e-if-chromium.ts']);
const verdict = (status: number) => (status === 0 ? 'passed' : `FAILED (exit ${status})`);
// The same check as test-e2e-if-chromium.ts, which exits 0 when it skips.
const browserVerdict = existsSync('/usr/bin/chromium') ? verdict(browser) : 'SKIPPED (no /usr/bin/chromium)';
console.log(`\nnpm test: unit and integration suite ${verdict(suite)}; browser suite ${browserVerdict}.`);
process.exit(suite !== 0 ? suite : browser);
