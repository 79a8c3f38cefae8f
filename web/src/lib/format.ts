import i18n from '../i18n.ts';

/** Date and time in the user's language (Intl), e.g. 22/11/2026 10:00 in Dutch. */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(i18n.resolvedLanguage ?? 'en', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A date without time in the user's language. */
export function formatDate(value: string | Date | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(i18n.resolvedLanguage ?? 'en', { dateStyle: 'medium' }).format(d);
}

/** A number in the user's language. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en').format(n);
}

/** Sort comparator for ISO date strings and text, for antd tables. */
export const byText = (a: string | null | undefined, b: string | null | undefined) =>
  (a ?? '').localeCompare(b ?? '', i18n.resolvedLanguage ?? 'en', { sensitivity: 'base' });

/**
 * The translation of a code that comes from data (an API code, a data category, an audit action):
 * known codes are translated, a code added later on the server shows as sent instead of as a missing key.
 */
export function known(key: string, fallback: string): string {
  return i18n.exists(key) ? i18n.t(key) : fallback;
}
