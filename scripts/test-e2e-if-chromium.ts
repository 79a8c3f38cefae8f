/**
 * Part of `npm test`: runs the browser end-to-end suite when Debian's Chromium is installed, and
 * says so plainly when it is not (install it with `apt-get install -y chromium`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`\nBrowser end-to-end tests SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium, then npm run test:e2e).`);
  process.exit(0);
}
console.log('\nBrowser end-to-end tests (Chromium):');
const result = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.e2e.config.ts'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
