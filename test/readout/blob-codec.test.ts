import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ndjsonLines, NdjsonParts, type Codec, type Parts } from '../../src/readout/run.ts';

/**
 * A state blob is written a part (~4 MB) at a time and read back in chunks of any size: every line
 * must come back, in order, whichever way it was compressed — also past the first part, which the
 * readout's small test worlds never reach (a zstd frame per part would read back as the first part alone).
 */
describe('state blobs of several parts', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** ~14 MB of distinct lines: four parts. */
  const lines = Array.from({ length: 120_000 }, (_, i) => `"users.csv"\tU${i},line ${i} ${'x'.repeat(100 + (i % 37))}`);

  async function* chunks(b: Buffer, size: number) {
    for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size);
  }
  const bytesOf = (parts: Parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : readFileSync(p.file))));

  for (const codec of ['zstd', 'gzip'] as Codec[]) {
    for (const where of ['file', 'buffers'] as const) {
      it(`${codec}, into ${where}: every line back, in order, read in chunks of 2 MB or whole`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'readout-blob-'));
        dirs.push(dir);
        const out = new NdjsonParts(where === 'file' ? join(dir, 'blob') : undefined, codec);
        out.push('"header"');
        for (const l of lines) {
          out.push(l);
          if (out.behind) await out.settle();
        }
        const parts = await out.finish();
        const blob = bytesOf(parts);
        expect(blob.length).toBe(out.bytes);
        // The first bytes say how it was compressed.
        expect(blob.subarray(0, 2).toString('hex')).toBe(codec === 'gzip' ? '1f8b' : '28b5');
        for (const input of [chunks(blob, 2 << 20), blob]) {
          const back: string[] = [];
          for await (const l of ndjsonLines(input, (h) => h === '"header"')) back.push(l);
          expect(back.length).toBe(lines.length);
          expect(back).toEqual(lines);
        }
      }, 60_000);
    }
  }
});
