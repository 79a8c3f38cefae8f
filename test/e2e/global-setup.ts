import { existsSync } from 'node:fs';
import { buildWebIfStale } from '../../web/scripts/build-if-stale.ts';

/** The browser suite needs Chromium and the current web app (rebuilt when its sources changed). */
export default async function setup(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('The browser suite needs Chromium: apt-get install -y chromium');
  await buildWebIfStale();
}
