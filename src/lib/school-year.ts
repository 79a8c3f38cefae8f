/**
 * School years run from SCHOOL_YEAR_START (default 1 September) to the day before it a year later,
 * in the deployment's time zone. A school year is named by the calendar year it starts in, so in
 * July 2026 the current school year is 2025 (2025-09-01 … 2026-08-31).
 */
export interface SchoolYearSettings {
  /** MM-DD */
  start: string;
  timeZone: string;
}

/** The calendar date (YYYY-MM-DD) of `at` in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The school year (its starting calendar year) that `at` falls in. */
export function currentSchoolYear(at: Date, settings: SchoolYearSettings): number {
  const today = localDate(at, settings.timeZone);
  const year = Number(today.slice(0, 4));
  return today.slice(5) >= settings.start ? year : year - 1;
}

/** First and last calendar day of a school year, as YYYY-MM-DD. */
export function schoolYearBounds(schoolYear: number, settings: SchoolYearSettings): { first: string; last: string } {
  const first = `${schoolYear}-${settings.start}`;
  const next = new Date(`${schoolYear + 1}-${settings.start}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() - 1);
  return { first, last: next.toISOString().slice(0, 10) };
}
