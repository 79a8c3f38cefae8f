import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { requireEndUser } from '../end-users/session.ts';
import { disclosureReaderFor, requirePersonForReader } from './policies.ts';
import { presentPersonHit, presentReport } from './presenters.ts';
import { findPerson, searchPersons } from './queries.ts';
import { disclosureQuery, disclosureReport, personHit, personParams, personSearchQuery } from './schemas.ts';
import { buildReport, reportPeriod } from './service.ts';

/**
 * Disclosure reports (GDPR Art. 15(1)(c)): for a person of the SS 12000 store, which apps received
 * which categories of their data, when, and under which grant — in the school back-office (school
 * admins of the person's institutions, the operator) and in "My connected apps" (the person).
 *
 * The report is DERIVED, never written per person per read: the data API logs one row per request
 * with what it released per institution (`ss12000_access_log.released`: institution, API, entity
 * type, records, categories), and a write per released person would cost the API its speed. The
 * rule: a log row disclosed category C of person P when
 * - the row succeeded and released records (`records > 0`) with category C at an institution I
 *   (rows logged before `released` existed are not counted: they do not say what they released);
 * - on the row's day (deployment time zone), P had a relation at I (start/end dates of
 *   `ss12000_person_relations`; open ends count as open);
 * - in a role the row's API releases: boarders API → a stay at that boarding school (any period: the
 *   boarders API serves past and coming stays alike); invoices API → an invoice naming the person as
 *   its pupil or its debtor (by SS 12000 person id), credited to that invoice's access group and
 *   institution (any school year, as for stays); students API → a student relation (enrolment,
 *   placement.child, groupMembership), or a guardian relation (responsibleFor.*, placement.owner)
 *   when C's set includes `guardians`; staff API → a duty;
 * - and the entity type carries person data in that role (`PERSON_ENTITIES` in queries.ts;
 *   organisations, syllabuses and programmes never).
 * "Received" therefore means "may have been included in the pages read while the person was at
 * that institution": the log does not name persons. Relations are only as old as the SIS keeps
 * them: a relation the SIS deleted (instead of ending it) no longer counts.
 *
 * A school admin's report covers only their institutions (each school answers for its own grants);
 * the operator's and the person's own cover all of the person's institutions.
 */
export default async function disclosureRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const tags = ['disclosures'];

  app.get(
    '/school/persons',
    {
      // The operator also reads these; the handler turns away partners and SIS users without user management.
      config: { access: 'signed_in' },
      schema: {
        tags,
        summary: 'Find a person (student, guardian, staff) at your institutions by name, to open their disclosure report',
        querystring: personSearchQuery,
        response: { 200: z.object({ data: z.array(personHit) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const reader = await disclosureReaderFor(ctx, request.actor);
      const rows = await searchPersons(ctx.db, request.query.q, reader.institutions, 50);
      return { data: rows.map(presentPersonHit) };
    },
  );

  app.get(
    '/school/persons/:personId/disclosures',
    {
      config: { access: 'signed_in' },
      schema: {
        tags,
        summary: "Which apps received which categories of this person's data, when, under which grant (your institutions only)",
        params: personParams,
        querystring: disclosureQuery,
        response: { 200: disclosureReport, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const reader = await disclosureReaderFor(ctx, request.actor);
      const person = await requirePersonForReader(ctx.db, reader, request.params.personId);
      const period = reportPeriod(ctx, request.query);
      return presentReport(person, period, await buildReport(ctx, person.id, reader.institutions, period), 'back_office');
    },
  );

  app.get(
    '/my/disclosures',
    {
      config: { access: 'end_user' },
      schema: {
        tags: ['my apps'],
        summary: 'Which apps received which categories of your data, when, and under which grant',
        querystring: disclosureQuery,
        response: { 200: disclosureReport, ...errors(400, 401) },
      },
    },
    async (request) => {
      const session = await requireEndUser(ctx, request);
      const person = (await findPerson(ctx.db, session.personId))!;
      const period = reportPeriod(ctx, request.query);
      return presentReport(person, period, await buildReport(ctx, person.id, null, period), 'end_user');
    },
  );
}
