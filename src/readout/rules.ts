import { LRUCache } from 'lru-cache';
import type { Activity, Duty, Enrolment, Group, GroupMembership, Organisation, Person, Responsible } from './model.ts';

/**
 * The rules of DOMAIN.md §5 (seed 003, Eventful's readout from IST EduCloud) as small pure
 * functions. Each returns a {@link Check}: which rule, whether it passed and why, so that the report
 * can count exclusions per rule and `readout explain` can say rule by rule why something was kept.
 */
export interface RuleContext {
  /** The customer's local date, YYYY-MM-DD. */
  today: string;
  toleranceDays: number;
  municipalityCode?: string;
  schoolTypes?: string[];
}

export interface Check {
  /** Stable counting key, e.g. `student.enrolment.ended`. */
  rule: string;
  ok: boolean;
  detail: string;
}

export interface Verdict {
  kept: boolean;
  checks: Check[];
  /** The first failed rule: what the exclusion is counted under. */
  excludedBy?: string;
}

export function verdict(checks: Check[]): Verdict {
  const failed = checks.find((c) => !c.ok);
  return { kept: !failed, checks, excludedBy: failed?.rule };
}

/** Adds days to a YYYY-MM-DD date (calendar arithmetic in UTC; no time-zone drift). */
const addDaysCache = new LRUCache<string, string>({ max: 1000 });
export function addDays(day: string, days: number): string {
  // The rules ask for the same few dates (today ± tolerance) hundreds of thousands of times.
  const key = `${day}|${days}`;
  const hit = addDaysCache.get(key);
  if (hit) return hit;
  const out = addDaysUncached(day, days);
  addDaysCache.set(key, out);
  return out;
}
function addDaysUncached(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The customer's local calendar date at `now`. */
export function localDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The date rule shared by schools, enrolments, duties, guardians' relations and groups: start set
 * and not after today, end empty or after today. The tolerance moves "today" by that many days in
 * the record's favour: a start up to N days ahead counts as started, an end fewer than N days ago
 * counts as not yet ended (with N = 0 this is exactly the seed's rule).
 */
export function dateWindow(prefix: string, start: string | undefined, end: string | undefined, ctx: RuleContext): Check {
  const t = ctx.toleranceDays;
  if (!start) return { rule: `${prefix}.start_missing`, ok: false, detail: 'start date is not set' };
  const latestStart = addDays(ctx.today, t);
  if (start > latestStart) {
    return { rule: `${prefix}.not_started`, ok: false, detail: `starts ${start}, after ${ctx.today}${t ? ` + ${t} days tolerance (${latestStart})` : ''}` };
  }
  if (end) {
    const endAfter = addDays(ctx.today, -t);
    if (end <= endAfter) {
      return { rule: `${prefix}.ended`, ok: false, detail: `ended ${end}, not after ${ctx.today}${t ? ` − ${t} days tolerance (${endAfter})` : ''}` };
    }
  }
  const inTol = start > ctx.today || (end !== undefined && end <= ctx.today);
  return { rule: `${prefix}.dates`, ok: true, detail: `${start} – ${end ?? 'open'}${inTol ? ' (kept by the tolerance)' : ''}` };
}

const PROTECTED = new Set(['Skyddad folkbokföring', 'Sekretessmarkering']);

/**
 * "Får inte ha skyddad identitet": protected identity covers both protected population
 * registration and a secrecy marking (the seed's wording is the wider one; DOMAIN.md names the former).
 */
export function notProtected(prefix: string, p: Pick<Person, 'securityMarking'>): Check {
  return PROTECTED.has(p.securityMarking)
    ? { rule: `${prefix}.protected_identity`, ok: false, detail: `security marking "${p.securityMarking}"` }
    : { rule: `${prefix}.protected_identity`, ok: true, detail: `security marking "${p.securityMarking}"` };
}

const SWEDEN = new Set(['', 'SE', 'SWE', 'SVERIGE', 'SWEDEN']);

/** "Folkbokförd i annat land": emigrated status, or a population-register address outside Sweden. */
export function registeredInSweden(p: Pick<Person, 'personStatus' | 'addresses'>): Check {
  const rule = 'student.registered_abroad';
  if (p.personStatus === 'Utvandrad') return { rule, ok: false, detail: 'person status "Utvandrad" (emigrated)' };
  const reg = p.addresses.find((a) => a.type === 'Folkbokföring');
  const country = (reg?.country ?? '').trim().toUpperCase();
  if (reg && !SWEDEN.has(country)) return { rule, ok: false, detail: `registered address in ${reg.country}` };
  return { rule, ok: true, detail: reg ? `registered in ${reg.country || 'Sweden'}` : 'no foreign registration' };
}

/** Extens "Aktiv enhet = 1" and "Till LMS = Y", only when the source carries them. */
export function unitFlags(prefix: string, o: Pick<Organisation, 'flags'>): Check[] {
  const out: Check[] = [];
  if (o.flags.activeUnit !== undefined)
    out.push({ rule: `${prefix}.active_unit`, ok: o.flags.activeUnit, detail: `active unit = ${o.flags.activeUnit ? 1 : 0}` });
  if (o.flags.toLms !== undefined) out.push({ rule: `${prefix}.to_lms`, ok: o.flags.toLms, detail: `to LMS = ${o.flags.toLms ? 'Y' : 'N'}` });
  return out;
}

/** A school: a school unit, current, in the customer's municipality and school types, flagged for export. */
export function schoolRules(o: Organisation, ctx: RuleContext): Verdict {
  const checks: Check[] = [
    { rule: 'school.unit', ok: o.organisationType === 'Skolenhet', detail: `organisation type "${o.organisationType || 'unknown'}"` },
    dateWindow('school', o.startDate, o.endDate, ctx),
  ];
  if (ctx.municipalityCode) {
    checks.push({
      rule: 'school.municipality',
      ok: o.municipalityCode === ctx.municipalityCode,
      detail: `municipality ${o.municipalityCode ?? 'not set'}; customer reads ${ctx.municipalityCode} only`,
    });
  }
  if (ctx.schoolTypes?.length) {
    const hit = o.schoolTypes.filter((t) => ctx.schoolTypes!.includes(t));
    checks.push({
      rule: 'school.school_type',
      ok: hit.length > 0,
      detail: `school types ${o.schoolTypes.join(', ') || 'none'}; customer reads ${ctx.schoolTypes.join(', ')}`,
    });
  }
  checks.push(...unitFlags('school', o));
  return verdict(checks);
}

/** One enrolment: at a kept school, not cancelled, dates in the window. */
export function enrolmentRule(e: Enrolment, keptSchools: ReadonlySet<string>, ctx: RuleContext): Check {
  if (!e.schoolUnitId || !keptSchools.has(e.schoolUnitId)) {
    return { rule: 'student.enrolment.school_not_kept', ok: false, detail: `enrolment at ${e.schoolUnitId ?? 'no school'}, which is not a kept school` };
  }
  if (e.cancelled) return { rule: 'student.enrolment.cancelled', ok: false, detail: `enrolment at ${e.schoolUnitId} was cancelled` };
  const w = dateWindow('student.enrolment', e.startDate, e.endDate, ctx);
  return { ...w, detail: `enrolment at ${e.schoolUnitId}: ${w.detail}` };
}

/** A student: not protected, not registered abroad, at least one current enrolment at a kept school. */
export function studentRules(p: Person, keptSchools: ReadonlySet<string>, ctx: RuleContext): Verdict & { enrolments: Enrolment[] } {
  const checks: Check[] = [notProtected('student', p), registeredInSweden(p)];
  const results = p.enrolments.map((e) => ({ e, c: enrolmentRule(e, keptSchools, ctx) }));
  const ok = results.filter((r) => r.c.ok);
  if (ok.length) checks.push(...ok.map((r) => r.c));
  else if (results.length) checks.push(...results.map((r) => r.c));
  else checks.push({ rule: 'student.enrolment.none', ok: false, detail: 'no enrolments' });
  return { ...verdict(checks), enrolments: ok.map((r) => r.e) };
}

/** How duties are read beyond the seed's rules (mapping decisions of the customer's configuration). */
export interface DutyOptions {
  /** The kept school units below an organisation (a `Skola` above its units); empty for none. Unset: duties count only at a school unit. */
  unitsBelow?: (orgId: string) => string[];
  /** Whether a title is mapped to `exclude` (such duties make no one staff). */
  excludedTitle?: (title: string | undefined) => boolean;
}

/**
 * One duty: at a kept school (or, with {@link DutyOptions.unitsBelow}, at an organisation above kept
 * school units, then it counts for each of them), a title not mapped to `exclude`, dates in the window.
 * `units` are the kept schools it counts for.
 */
export function dutyRule(d: Duty, keptSchools: ReadonlySet<string>, ctx: RuleContext, o: DutyOptions = {}): Check & { units: string[] } {
  let units: string[] = [];
  let via = '';
  if (d.dutyAt && keptSchools.has(d.dutyAt)) units = [d.dutyAt];
  else if (d.dutyAt && o.unitsBelow) {
    units = o.unitsBelow(d.dutyAt);
    via = units.length ? ` (an organisation above school units: counts for ${units.join(', ')})` : '';
  }
  if (!units.length) {
    return { rule: 'staff.duty.school_not_kept', ok: false, detail: `duty ${d.id} at ${d.dutyAt ?? 'no unit'}, which is not a kept school`, units };
  }
  if (o.excludedTitle?.(d.dutyRole)) {
    return { rule: 'staff.duty.role_excluded', ok: false, detail: `duty ${d.id}: title "${d.dutyRole ?? 'none'}" is mapped to exclude`, units: [] };
  }
  const w = dateWindow('staff.duty', d.startDate, d.endDate, ctx);
  return { ...w, detail: `duty ${d.id} (${d.dutyRole ?? 'no role'}) at ${d.dutyAt}${via}: ${w.detail}`, units: w.ok ? units : [] };
}

/** Staff: not protected, at least one current duty at a kept school. `duties`: the kept ones, one per school unit they count for. */
export function staffRules(p: Person, duties: Duty[], keptSchools: ReadonlySet<string>, ctx: RuleContext, o: DutyOptions = {}): Verdict & { duties: Duty[] } {
  const checks: Check[] = [notProtected('staff', p)];
  const results = duties.map((d) => ({ d, c: dutyRule(d, keptSchools, ctx, o) }));
  const ok = results.filter((r) => r.c.ok);
  if (ok.length) checks.push(...ok.map(({ c }) => ({ rule: c.rule, ok: c.ok, detail: c.detail })));
  else checks.push(...results.map(({ c }) => ({ rule: c.rule, ok: c.ok, detail: c.detail })));
  return { ...verdict(checks), duties: ok.flatMap((r) => r.c.units.map((u) => (u === r.d.dutyAt ? r.d : { ...r.d, dutyAt: u }))) };
}

/**
 * A guardian: not protected, responsible for at least one kept student, and the relation current
 * where the source dates it (SS 12000 v2.1 responsibles carry no dates; some sources add them).
 */
export function guardianRules(
  p: Person,
  relations: { studentId: string; relation: Responsible }[],
  keptStudents: { has(id: string): boolean },
  ctx: RuleContext,
): Verdict & { studentIds: string[] } {
  const checks: Check[] = [notProtected('guardian', p)];
  const studentIds: string[] = [];
  const per: Check[] = [];
  for (const { studentId, relation } of relations) {
    if (!keptStudents.has(studentId)) {
      per.push({ rule: 'guardian.student_not_kept', ok: false, detail: `student ${studentId} is not kept` });
      continue;
    }
    if (relation.startDate || relation.endDate) {
      const w = dateWindow('guardian.relation', relation.startDate, relation.endDate, ctx);
      per.push({ ...w, detail: `relation to ${studentId}: ${w.detail}` });
      if (!w.ok) continue;
    } else {
      per.push({ rule: 'guardian.student_kept', ok: true, detail: `guardian (${relation.relationType ?? 'relation'}) of kept student ${studentId}` });
    }
    studentIds.push(studentId);
  }
  checks.push(...(studentIds.length ? per.filter((c) => c.ok) : per));
  return { ...verdict(checks), studentIds };
}

export const EXPORTED_GROUP_TYPES = ['Undervisning', 'Klass', 'Mentor', 'Avdelning', 'Personalgrupp'];

/** A group (classes are groups of type Klass): kept school, exported type, dates, to-LMS, syllabus for teaching groups. */
export function groupRules(g: Group, syllabusIds: string[], keptSchools: ReadonlySet<string>, ctx: RuleContext): Verdict {
  const checks: Check[] = [
    {
      rule: 'group.school_not_kept',
      ok: !!g.organisationId && keptSchools.has(g.organisationId),
      detail: `belongs to ${g.organisationId ?? 'no unit'}${g.organisationId && keptSchools.has(g.organisationId) ? ' (kept)' : ', which is not a kept school'}`,
    },
    { rule: 'group.type', ok: EXPORTED_GROUP_TYPES.includes(g.groupType), detail: `group type "${g.groupType || 'unknown'}"` },
    dateWindow('group', g.startDate, g.endDate, ctx),
  ];
  if (g.flags.toLms !== undefined) checks.push({ rule: 'group.to_lms', ok: g.flags.toLms, detail: `to LMS = ${g.flags.toLms ? 'Y' : 'N'}` });
  if (g.groupType === 'Undervisning') {
    checks.push({
      rule: 'group.no_syllabus',
      ok: syllabusIds.length > 0,
      detail: syllabusIds.length
        ? `course/subject via activity: ${syllabusIds.join(', ')}`
        : 'teaching group without a course or subject (no activity with a syllabus)',
    });
  }
  return verdict(checks);
}

/** A membership counts while its own dates (if any) are current. */
export function membershipRule(m: GroupMembership, ctx: RuleContext): Check {
  if (!m.startDate && !m.endDate) return { rule: 'membership.dates', ok: true, detail: 'undated membership' };
  // An undated start means "as long as the group": only the end can exclude it.
  return dateWindow('membership', m.startDate ?? '0000-01-01', m.endDate, ctx);
}

/** An activity links teachers and a syllabus to a group while it is current. */
export function activityCurrent(a: Activity, ctx: RuleContext): boolean {
  if (!a.startDate) return !a.endDate || a.endDate > addDays(ctx.today, -ctx.toleranceDays);
  return dateWindow('activity', a.startDate, a.endDate, ctx).ok;
}

/**
 * One source id as an id of the output files: letters, digits and `-` stay, every other character
 * becomes `_` and its UTF-8 bytes in hex (`_` itself too), so the result holds only `[A-Za-z0-9_-]`,
 * two different ids never meet, and the same id gives the same output id on every run. UUIDs and the
 * usual SIS ids come out unchanged.
 */
export function outputId(id: string): string {
  if (/^[A-Za-z0-9-]+$/.test(id)) return id;
  let out = '';
  for (const ch of id) {
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Several source ids as one output id: each by {@link outputId}, joined by `.` (which no part contains). */
export function compositeId(...parts: string[]): string {
  return parts.map(outputId).join('.');
}

/** A team is one (groupId, syllabusId) pair; a new syllabus on a group is a new team. Its id is an output id. */
export function teamId(groupId: string, syllabusId?: string): string {
  return syllabusId ? compositeId(groupId, syllabusId) : outputId(groupId);
}
