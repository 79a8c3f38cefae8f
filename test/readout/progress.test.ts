import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressPrinter, type ProgressEvent } from '../../src/readout/progress.ts';
import { runReadout } from '../../src/readout/run.ts';
import { openWorld, type ReadoutWorld } from './support/setup.ts';

/** Progress of a run: what it reports while reading, and how it is shown on a terminal and in a log. */
const page = (path: string, pages: number, records: number, elapsedMs: number, etaSeconds?: number): ProgressEvent => ({
  kind: 'page',
  path,
  pages,
  records,
  totalRecords: records,
  elapsedMs,
  perSecond: 100,
  etaSeconds,
});

describe('readout progress', () => {
  it('in a log: plain lines, one per endpoint and at most one every few seconds in between', () => {
    const out: string[] = [];
    const p = progressPrinter({ write: (s: string) => out.push(s), isTTY: false });
    p(page('/persons', 1, 500, 0, 120));
    p(page('/persons', 2, 1000, 1000, 110));
    p(page('/persons', 3, 1500, 6000, 100));
    p(page('/duties', 1, 40, 6500));
    p({ kind: 'phase', phase: 'rules applied', elapsedMs: 7000 });
    expect(out).toEqual([
      'readout: reading /persons: 1 page, 500 records (500 in all, 100/s, about 120 s left)\n',
      'readout: reading /persons: 3 pages, 1,500 records (1,500 in all, 100/s, about 100 s left)\n',
      'readout: reading /persons: 3 pages, 1,500 records (1,500 in all, 100/s, about 100 s left) done\n',
      'readout: reading /duties: 1 page, 40 records (40 in all, 100/s) done\n',
      'readout: rules applied (7.0 s)\n',
    ]);
    expect(out.join('')).not.toContain('\r');
  });

  it('on a terminal: one line rewritten in place, ended when the endpoint is done', () => {
    let text = '';
    const p = progressPrinter({ write: (s: string) => (text += s), isTTY: true });
    p(page('/persons', 1, 500, 0));
    p(page('/persons', 2, 1000, 100));
    p({ kind: 'phase', phase: 'fetched', elapsedMs: 200 });
    expect(text).toBe(
      '\r\x1b[Kreading /persons: 1 page, 500 records (500 in all, 100/s)' +
        '\r\x1b[Kreading /persons: 2 pages, 1,000 records (1,000 in all, 100/s)' +
        '\r\x1b[Kreading /persons: 2 pages, 1,000 records (1,000 in all, 100/s) done\n' +
        'fetched (0.2 s)\n',
    );
  });

  describe('a run', () => {
    let w: ReadoutWorld;
    beforeAll(async () => {
      w = await openWorld();
    }, 60_000);
    afterAll(async () => {
      await w?.close();
    });

    it('reports every page of every endpoint, the phases, and from the second full read an estimate of the time left', async () => {
      const events: ProgressEvent[] = [];
      const first = await runReadout(w.customer, { ...w.deps, onProgress: (e) => events.push(e) });
      expect(first.status).toBe('succeeded');
      const pages = events.filter((e) => e.kind === 'page');
      expect([...new Set(pages.map((e) => e.path))]).toEqual(['/organisations', '/persons', '/duties', '/groups', '/activities', '/syllabuses']);
      const totals = pages.map((e) => e.totalRecords);
      expect(totals).toEqual([...totals].sort((a, b) => a - b));
      expect(pages.at(-1)!.totalRecords).toBe(first.report!.source.records);
      expect(pages.every((e) => e.etaSeconds === undefined)).toBe(true); // nothing to estimate from yet
      expect(events.filter((e) => e.kind === 'phase').map((e) => e.phase)).toEqual(
        expect.arrayContaining(['state loaded', 'fetched', 'rules applied', 'sds written', 'oneroster written']),
      );

      events.length = 0;
      expect((await runReadout(w.customer, { ...w.deps, onProgress: (e) => events.push(e) }, { full: true })).status).toBe('succeeded');
      const again = events.filter((e) => e.kind === 'page');
      expect(again.every((e) => e.etaSeconds !== undefined)).toBe(true);
      expect(again.at(-1)!.etaSeconds).toBe(0);
    });
  });
});
