/**
 * Progress of a run for the people who watch it: pages and records read per endpoint, the rate, an
 * estimate of the time left (from the record count of the customer's last run), and the phases after
 * the read. On a terminal one line is rewritten in place; elsewhere (a log, cron mail) plain lines
 * are written, one per endpoint read and at most one every few seconds in between.
 */
export type ProgressEvent =
  | { kind: 'page'; path: string; pages: number; records: number; totalRecords: number; elapsedMs: number; perSecond: number; etaSeconds?: number }
  | { kind: 'phase'; phase: string; elapsedMs: number };

/** Where progress goes: a stream, and whether it is a terminal. */
export interface ProgressOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

const PLAIN_EVERY_MS = 5000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
function line(e: Extract<ProgressEvent, { kind: 'page' }>): string {
  const eta = e.etaSeconds !== undefined ? `, about ${fmt(e.etaSeconds)} s left` : '';
  return `reading ${e.path}: ${fmt(e.pages)} page${e.pages === 1 ? '' : 's'}, ${fmt(e.records)} records (${fmt(e.totalRecords)} in all, ${fmt(e.perSecond)}/s${eta})`;
}

/** A progress callback writing to `out` (see the module comment for the two styles). */
export function progressPrinter(out: ProgressOutput): (e: ProgressEvent) => void {
  let current: Extract<ProgressEvent, { kind: 'page' }> | undefined;
  let lastPlain = -Infinity;
  let open = false; // a TTY line not yet ended
  const endPath = () => {
    if (!current) return;
    if (out.isTTY) {
      out.write(`\r\x1b[K${line(current)} done\n`);
      open = false;
    } else out.write(`readout: ${line(current)} done\n`);
    current = undefined;
  };
  return (e) => {
    if (e.kind === 'phase') {
      endPath();
      if (open) out.write('\n');
      open = false;
      out.write(`${out.isTTY ? '' : 'readout: '}${e.phase} (${(e.elapsedMs / 1000).toFixed(1)} s)\n`);
      return;
    }
    if (current && current.path !== e.path) endPath();
    current = e;
    if (out.isTTY) {
      out.write(`\r\x1b[K${line(e)}`);
      open = true;
    } else if (e.elapsedMs - lastPlain >= PLAIN_EVERY_MS) {
      lastPlain = e.elapsedMs;
      out.write(`readout: ${line(e)}\n`);
    }
  };
}
