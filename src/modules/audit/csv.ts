import type { Language } from '../../db/schema.ts';
import { CSV_HEADERS, FRAME } from './events.ts';
import type { AuditWords } from './sentences.ts';
import type { AuditRow } from './presenters.ts';

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); OWASP also
// names tab and carriage return, which some programs strip before looking at the first character.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): a text that a spreadsheet would read as a formula gets a leading `'`
 * so it stays text; a cell with a comma, quote, line break or edge space is quoted, quotes doubled.
 */
export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, CRLF-terminated as RFC 4180 asks. */
export const csvLine = (cells: (string | null | undefined)[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** The header line in the reader's language, with a byte order mark so spreadsheets read UTF-8. */
export const csvHeader = (lang: Language): string => `\uFEFF${csvLine([...CSV_HEADERS[lang]])}`;

/** One audit entry as a CSV line (the columns of `CSV_HEADERS`; the action as its stable code, for sorting). */
export function csvRow(row: AuditRow, words: AuditWords, lang: Language): string {
  return csvLine([
    row.at.toISOString(),
    row.actor_label,
    row.action,
    words.sentence,
    words.appName,
    words.partnerName,
    words.institutions.map((i) => (i.name ? `${i.name} (${i.number})` : i.number)).join(', '),
    row.reason,
    words.changes.map((c) => FRAME[lang].labelled(c.label, `${c.before ?? '—'} → ${c.after ?? '—'}`)).join('; '),
  ]);
}
