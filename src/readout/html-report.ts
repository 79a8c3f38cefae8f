import type { ReadoutReport } from './run.ts';
import type { Category, Tally } from './select.ts';

/**
 * The run report for people: one self-contained HTML page written beside `report.json` (no scripts,
 * no external styles, fonts or images, and a Content-Security-Policy that forbids loading any), so it
 * can be mailed, archived or opened from a file share as it is. Everything that came from the source
 * or the configuration (names, ids, messages, rule details) is escaped.
 */

/** One earlier run of the customer, for the chart of kept counts. */
export interface RunPoint {
  startedAt: string;
  counts: Partial<Record<Category, Tally>>;
}

const CATEGORIES: Category[] = ['schools', 'students', 'staff', 'guardians', 'groups', 'memberships'];
const COLOURS: Record<Category, string> = {
  schools: '#8c564b',
  students: '#1f77b4',
  staff: '#ff7f0e',
  guardians: '#2ca02c',
  groups: '#9467bd',
  memberships: '#7f7f7f',
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML content and attribute values; also NUL and other control characters, which HTML does not allow. */
export function esc(v: unknown): string {
  // eslint-disable-next-line no-control-regex
  return String(v ?? '').replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `&#xFFFD;`);
}
const n = (v: number) => v.toLocaleString('en-US');

function table(head: string[], rows: (string | number)[][], numeric: number[] = []): string {
  if (!rows.length) return '<p class="none">none</p>';
  const cell = (v: string | number, i: number, tag: string) =>
    `<${tag}${numeric.includes(i) ? ' class="num"' : ''}>${typeof v === 'number' ? n(v) : v}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell(esc(h), i, 'th')).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((v, i) => cell(v, i, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * Kept counts over the runs as an inline SVG line chart, one line per category, each scaled to its
 * own maximum (students and memberships are orders of magnitude above schools); the table under it
 * has the numbers.
 */
function chart(points: RunPoint[]): string {
  if (points.length < 2) return '<p class="none">The chart needs two runs or more; this is the first.</p>';
  const w = 640;
  const h = 200;
  const pad = 24;
  const x = (i: number) => pad + (i * (w - 2 * pad)) / (points.length - 1);
  const lines = CATEGORIES.map((c) => {
    const vals = points.map((p) => p.counts[c]?.kept ?? 0);
    const max = Math.max(1, ...vals);
    const y = (v: number) => h - pad - (v * (h - 2 * pad)) / max;
    const d = vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLOURS[c]}" stroke-width="2" points="${d}"><title>${esc(c)}: ${vals.map(n).join(' → ')}</title></polyline>`;
  }).join('');
  const legend = CATEGORIES.map((c, i) => `<text x="${pad + i * 100}" y="14" fill="${COLOURS[c]}" font-size="12">${esc(c)}</text>`).join('');
  const axis = `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/>`;
  const labels = [0, points.length - 1]
    .map(
      (i) =>
        `<text x="${x(i)}" y="${h - 6}" font-size="11" text-anchor="${i ? 'end' : 'start'}">${esc(points[i]!.startedAt.slice(0, 16).replace('T', ' '))}</text>`,
    )
    .join('');
  return `<svg role="img" aria-label="kept counts over the last ${points.length} runs" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${legend}${axis}${lines}${labels}</svg>`;
}

/** The HTML page of a run's report; `history`: the customer's earlier succeeded runs, oldest first (this one is added). */
export function renderReportHtml(r: ReadoutReport, history: RunPoint[] = []): string {
  const points = [...history, { startedAt: r.startedAt, counts: r.counts }];
  const d = r.delta;
  const counts = table(
    ['', 'kept', 'excluded', 'excluded by rule'],
    CATEGORIES.map((c) => {
      const t = r.counts[c];
      const ex = Object.entries(t.excluded).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
      const total = ex.reduce((s, [, v]) => s + v, 0);
      return [esc(c), t.kept, total, ex.length ? ex.map(([k, v]) => `<code>${esc(k)}</code> ${n(v)}`).join('<br>') : '—'];
    }),
    [1, 2],
  );
  const change = d.firstRun
    ? '<p>First run for this customer: everything is new.</p>'
    : table(
        ['', 'added', 'updated', 'removed'],
        [
          ['people', d.people.added, d.people.updated, d.people.removed],
          ['schools', d.schools.added, d.schools.updated, d.schools.removed],
          ['classes and teams', d.teams.created, `${n(d.teams.updated)} (and ${n(d.teams.renamed)} renamed)`, d.teams.removed],
          ['memberships', d.memberships.added, '—', d.memberships.removed],
        ],
        [1, 2, 3],
      );
  const files = table(
    ['file', 'rows'],
    Object.entries(r.output.files)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([f, rows]) => [`<code>${esc(f)}</code>`, rows]),
    [1],
  );
  const named = table(
    ['warning', 'count', 'what happened', 'could not be applied', 'examples'],
    r.namedWarnings.map((w) => [
      `<code>${esc(w.code)}</code>`,
      w.count,
      esc(w.message),
      w.affects.map(esc).join('<br>') || '—',
      w.examples.map((e) => `<code>${esc(e)}</code>`).join(' ') || '—',
    ]),
    [1],
  );
  const source = r.source as unknown as Record<string, unknown>;
  const sourceRows = Object.entries(source)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => [esc(k), typeof v === 'number' ? n(v) : esc(v)]);
  const auth = r.source.tokenAuth ? [['tokenAuth', esc(`${r.source.tokenAuth.used} (${r.source.tokenAuth.how})`)]] : [];
  const perEntity = (what: 'changed' | 'deleted') => {
    const m = source[what] as Record<string, number> | undefined;
    return m
      ? [
          [
            esc(what),
            esc(
              Object.entries(m)
                .map(([e, v]) => `${e} ${n(v)}`)
                .join(', '),
            ),
          ],
        ]
      : [];
  };
  const history_ = table(
    ['run started', ...CATEGORIES],
    points
      .slice()
      .reverse()
      .map((p) => [esc(p.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')), ...CATEGORIES.map((c) => p.counts[c]?.kept ?? 0)]),
    CATEGORIES.map((_, i) => i + 1),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Readout ${esc(r.customer)}: run ${esc(r.runId)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}.none{color:#777}code{font-size:.9em}
.warn{background:#fff7e0;border:1px solid #f0c36d;padding:.5rem}
</style>
</head>
<body>
<h1>Readout ${esc(r.customer)}</h1>
<p>Run <code>${esc(r.runId)}</code>, ${esc(r.mode)} read${r.fallbackReason ? ` (${esc(r.fallbackReason)})` : ''}; rules as of ${esc(r.today)}.
Started ${esc(r.startedAt)}, finished ${esc(r.finishedAt)}: ${n(r.durationMs)} ms (reading the source ${n(r.fetchMs)} ms, processing ${n(r.processMs)} ms).</p>
${r.namedWarnings.length ? `<p class="warn">${n(r.namedWarnings.length)} named warning${r.namedWarnings.length === 1 ? '' : 's'}: the run degraded where the source fell short (see Warnings).</p>` : ''}
<h2>Kept and excluded, per rule</h2>
${counts}
<p>Written: ${n(r.output.schools)} schools, ${n(r.output.people)} people, ${n(r.output.teams)} classes and teams, ${n(r.output.memberships)} memberships.</p>
<h2>Change since the last run</h2>
${change}
<h2>Kept counts over the last runs</h2>
${chart(points)}
${history_}
<h2>Files</h2>
${files}
<h2>Warnings</h2>
${named}
${r.warnings.length ? `<h3>Other notes (${n(r.warnings.length)})</h3><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
<h2>Source</h2>
${table(['', ''], [...sourceRows, ...auth, ...perEntity('changed'), ...perEntity('deleted')])}
${
  Object.keys(r.unknownEnums).length
    ? `<h3>Values outside the spec's lists</h3>${table(
        ['field=value', 'records'],
        Object.entries(r.unknownEnums).map(([k, v]) => [`<code>${esc(k)}</code>`, v]),
        [1],
      )}`
    : ''
}
${
  Object.keys(r.skippedRecords).length
    ? `<h3>Records skipped</h3>${table(
        ['reason', 'records'],
        Object.entries(r.skippedRecords).map(([k, v]) => [esc(k), v]),
        [1],
      )}`
    : ''
}
</body>
</html>
`;
}
