import { z } from 'zod';

/** The longest window a chart may ask for: a year and a day (a leap year's). */
export const MAX_DAYS = 366;
/** The window when none is given: the last 30 days, today included. */
export const DEFAULT_DAYS = 30;

const day = z.iso.date().describe('YYYY-MM-DD, a calendar day in the deployment time zone');

/**
 * A window of days: `to` (default today) and either `from` or `days` (default: 30 days), `from` ≤
 * `to`, at most 366 days.
 */
export const rangeQuery = z.object({
  from: day.optional().describe('First day (default: `days` − 1 days before `to`)'),
  to: day.optional().describe('Last day, included (default: today)'),
  days: z.coerce.number().int().min(1).max(MAX_DAYS).optional().describe('How many days up to `to`, instead of `from` (default 30)'),
});

const window = {
  timeZone: z.string().describe('The deployment time zone the days are counted in (IANA name)'),
  from: z.string().describe('First day, YYYY-MM-DD'),
  to: z.string().describe('Last day, YYYY-MM-DD, included'),
};

export const readsQuery = rangeQuery.extend({ appId: z.uuid().optional().describe('Only this app') });

export const readsResponse = z
  .object({
    ...window,
    apps: z.array(z.object({ id: z.string(), name: z.string() })).describe('The apps named in `data`'),
    data: z
      .array(
        z.object({
          day: z.string(),
          appId: z.string().nullable().describe('Null: a client without an app (legacy key)'),
          requests: z.number().int().describe('Answered requests (2xx)'),
          records: z.number().int().describe('Records released by them (for a school admin: of their institutions)'),
        }),
      )
      .describe('Days × apps with reads; a day without reads is absent'),
  })
  .meta({ id: 'ReadsPerDay' });

export const APP_STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived'] as const;

export const dashboardResponse = z
  .object({
    ...window,
    appsByStatus: z.array(z.object({ status: z.enum(APP_STATUSES), count: z.number().int() })).describe('Every status, also with 0'),
    grants: z
      .array(
        z.object({
          day: z.string(),
          given: z.number().int().describe('New grants given this day, also those removed since (a switched-off grant switched on again is not new)'),
          inForce: z.number().int().describe('Grants in force at the end of this day (not those removed or switched off by then)'),
        }),
      )
      .describe('Every day of the window, from the grant history; the developer sandbox is not counted'),
    reads: z
      .array(z.object({ day: z.string(), requests: z.number().int(), records: z.number().int() }))
      .describe('Every day of the window: answered SS 12000 requests of all apps and the records they released'),
  })
  .meta({ id: 'OperatorDashboard' });
