/**
 * Builds web/dist when it is missing or older than its sources (`npm start` runs this first, so the
 * served web app is never behind the code; a fresh build takes a few seconds, an up-to-date one none).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = fileURLToPath(new URL('../', import.meta.url));

/** Files outside web/ that the web app imports, relative to the repository root. */
const SHARED_SOURCES = ['src/lib/purposes.ts'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when web/dist/index.html is at least as new as every file of the app's sources. */
export function webIsBuilt(): boolean {
  const index = join(webDir, 'dist', 'index.html');
  if (!existsSync(index)) return false;
  const sources = Math.max(
    newestMtime(join(webDir, 'src')),
    statSync(join(webDir, 'index.html')).mtimeMs,
    statSync(join(webDir, 'vite.config.ts')).mtimeMs,
    // Server files the web app imports (the one implementation of a text's language fallback).
    ...SHARED_SOURCES.map((f) => statSync(join(webDir, '..', f)).mtimeMs),
  );
  return statSync(index).mtimeMs >= sources;
}

export async function buildWebIfStale(): Promise<void> {
  if (webIsBuilt()) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    // A production install without dev dependencies: ship web/dist built elsewhere.
    console.warn('web/dist is missing or stale and vite is not installed: the API works, the web app may be missing or old.');
    return;
  }
  // Called from inside vitest too, where NODE_ENV is 'test': the served app must be a production build.
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await vite.build({ configFile: join(webDir, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = previous;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildWebIfStale();
