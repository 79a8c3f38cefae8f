import type {
  Absence,
  Activity,
  Attendance,
  AttendanceEvent,
  AttendanceSchedule,
  CalendarEvent,
  Duty,
  Group,
  Person,
  Placement,
} from '../modules/ss12000/schemas.ts';
import { localMoment, type Draws } from './timetable.ts';

/**
 * The attendance of a generated world (issue 17), drawn from its timetable: for every lesson that
 * took place before `today` (in the wall-clock dates of the deployment's time zone) one attendance
 * record per pupil of the lesson's groups, reported by the activity's teacher; absences reported by
 * a guardian (sickness, a day) or leave granted by the school (a day or two), which the lessons they
 * cover count as valid absence with the reason; now and then a pupil late or away without leave
 * (invalid absence, no reason); and check-ins and check-outs of the children of placements (preschool,
 * leisure-time centre) on the school days of the same period, and each placement's weekly schedule
 * of hours (approved, now and then with a temporary one requested). Pupils with protected identity are among
 * them like everyone else: what they reveal is the release policy's business, not the generator's.
 */

/** The attendance's part of a world. */
export interface AttendanceRecords {
  attendances: Attendance[];
  absences: Absence[];
  attendanceEvents: AttendanceEvent[];
  attendanceSchedules: AttendanceSchedule[];
}

export interface AttendanceOptions {
  /** IANA time zone of the deployment (`TZ`), the timetable's. */
  timeZone: string;
  /** The first day (YYYY-MM-DD) whose lessons are reported: earlier ones are left without attendance. */
  from: string;
  /** Today (YYYY-MM-DD): lessons from this day on have not taken place, so they have no attendance yet. */
  today: string;
  /** Whose words: Swedish (the default) or Flemish. */
  language: 'se' | 'be';
}

/** Reasons a guardian gives for a sick day, and the reason of granted leave, per language. */
const REASONS: Record<AttendanceOptions['language'], { sick: readonly string[]; leave: readonly string[] }> = {
  se: { sick: ['Sjukdom', 'Tandläkarbesök', 'Läkarbesök'], leave: ['Familjeresa', 'Begravning', 'Idrottstävling'] },
  be: { sick: ['Ziekte', 'Tandarts', 'Doktersbezoek'], leave: ['Familiale gebeurtenis', 'Begrafenis', 'Sportwedstrijd'] },
};

const ref = (x: { id: string }) => ({ id: x.id });
/** The local calendar date of an RFC 3339 moment written in local time with its offset. */
const localDate = (moment: string) => moment.slice(0, 10);
const minutesBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 60_000);

export function generateAttendance(
  world: { persons: Person[]; groups: Group[]; activities: Activity[]; duties: Duty[]; placements: Placement[]; calendarEvents: CalendarEvent[] },
  options: AttendanceOptions,
  rnd: Draws,
): AttendanceRecords {
  const out: AttendanceRecords = { attendances: [], absences: [], attendanceEvents: [], attendanceSchedules: [] };
  const words = REASONS[options.language];
  const persons = new Map(world.persons.map((p) => [p.id, p]));
  const groups = new Map(world.groups.map((g) => [g.id, g]));
  const activities = new Map(world.activities.map((a) => [a.id, a]));
  const dutyPerson = new Map(world.duties.flatMap((d) => (d.person ? [[d.id, d.person.id] as const] : [])));
  const past = world.calendarEvents.filter((e) => localDate(e.startTime) >= options.from && localDate(e.startTime) < options.today);
  const days = [...new Set(past.map((e) => localDate(e.startTime)))].sort();

  // The pupils of each activity (members of its groups), and the unit each pupil is enrolled at.
  const pupilsOf = (a: Activity) => [...new Set(a.groups.flatMap((g) => (groups.get(g.id)?.groupMemberships ?? []).map((m) => m.person.id)))];
  const pupils = new Set(past.flatMap((e) => pupilsOf(activities.get(e.activity.id)!)));
  const unitOf = (pupil: string) => persons.get(pupil)?.enrolments?.[0]?.enroledAt.id;

  // Absences first: the lessons they cover count as valid absence with the absence's reason.
  const away = new Map<string, { day: string; reason: string }[]>();
  for (const pupil of [...pupils].sort()) {
    const unit = unitOf(pupil);
    if (!unit || !days.length) continue;
    const guardian = persons.get(pupil)?.responsibles?.[0]?.person.id;
    for (let n = rnd.int(0, 2); n > 0; n--) {
      const leave = rnd.chance(0.3);
      const first = rnd.int(0, days.length - 1);
      const span = days.slice(first, first + (leave ? rnd.int(1, 2) : 1));
      const reason = rnd.pick(leave ? words.leave : words.sick);
      const last = span[span.length - 1]!;
      out.absences.push({
        id: rnd.uuid(),
        startTime: localMoment(span[0]!, '00:00', options.timeZone),
        endTime: localMoment(last, '23:59', options.timeZone),
        type: leave ? 'Beviljad ledighet' : 'Anmäld frånvaro',
        student: { id: pupil },
        organisation: { id: unit },
        ...(!leave && guardian ? { registeredBy: { id: guardian } } : {}),
      });
      const list = away.get(pupil) ?? [];
      for (const day of span) list.push({ day, reason });
      away.set(pupil, list);
    }
  }

  for (const event of past) {
    if (event.cancelled) continue;
    const activity = activities.get(event.activity.id)!;
    const length = event.teachingLengthStudent ?? minutesBetween(event.startTime, event.endTime);
    const reporter = activity.teachers?.[0] ? dutyPerson.get(activity.teachers[0].duty.id) : undefined;
    const excused = new Set((event.studentExceptions ?? []).filter((x) => !x.participates).map((x) => x.student.id));
    for (const pupil of pupilsOf(activity)) {
      const record: Attendance = {
        id: rnd.uuid(),
        calendarEvent: ref(event),
        student: { id: pupil },
        isReported: true,
        reportedTimestamp: event.endTime,
        ...(reporter ? { reporter: { id: reporter } } : {}),
      };
      const absence = away.get(pupil)?.find((x) => x.day === localDate(event.startTime));
      if (excused.has(pupil)) {
        // Not expected at this lesson (an exception of the timetable): another school activity.
        Object.assign(record, { attendanceMinutes: 0, otherAttendanceMinutes: length });
      } else if (absence) {
        Object.assign(record, { attendanceMinutes: 0, validAbsenceMinutes: length, absenceReason: absence.reason });
      } else if (rnd.chance(0.01)) {
        Object.assign(record, { attendanceMinutes: 0, invalidAbsenceMinutes: length });
      } else if (rnd.chance(0.03)) {
        const late = rnd.int(5, 20);
        Object.assign(record, { attendanceMinutes: length - late, invalidAbsenceMinutes: late });
      } else {
        record.attendanceMinutes = length;
      }
      out.attendances.push(record);
    }
  }

  // Check-ins and check-outs of the children of placements (preschool, leisure-time centre), on the
  // days they were not away: at the placement's group, else the child's class at the unit (where a
  // leisure-time centre registers them). Preschool from the morning, the centre after lessons.
  const classOf = new Map<string, string>();
  for (const g of world.groups) for (const m of g.groupMemberships ?? []) classOf.set(`${m.person.id}:${g.organisation.id}`, g.id);
  for (const p of world.placements) {
    const group = p.group?.id ?? classOf.get(`${p.child.id}:${p.placedAt.id}`);
    if (!group) continue;
    const preschool = p.schoolType === 'FS';
    const by = p.owners?.[0] ? { registeredBy: { id: p.owners[0].id } } : {};
    for (const day of days) {
      if (day < p.startDate || (p.endDate && day > p.endDate) || away.get(p.child.id)?.some((x) => x.day === day)) continue;
      const at = (from: number, to: number) => `${String(rnd.int(from, to)).padStart(2, '0')}:${String(rnd.int(0, 59)).padStart(2, '0')}`;
      const inAt = preschool ? at(7, 8) : at(13, 14);
      const outAt = preschool ? at(15, 16) : at(16, 17);
      out.attendanceEvents.push(
        { id: rnd.uuid(), time: localMoment(day, inAt, options.timeZone), eventType: 'In', person: { id: p.child.id }, group: { id: group }, ...by },
        { id: rnd.uuid(), time: localMoment(day, outAt, options.timeZone), eventType: 'Ut', person: { id: p.child.id }, group: { id: group }, ...by },
      );
    }
  }

  // Each placement's weekly hours, approved by the school when the placement began; a few families
  // have asked for other hours for a while (temporary, requested).
  const WEEK = ['Måndag', 'Tisdag', 'Onsdag', 'Torsdag', 'Fredag'] as const;
  for (const p of world.placements) {
    const start = p.startDate;
    const long = rnd.chance(0.6);
    const guardian = p.owners?.[0];
    const schedule = (from: string, to: string | undefined, temporary: boolean, state: 'Godkänt' | 'Begärt'): AttendanceSchedule => ({
      id: rnd.uuid(),
      placement: ref(p),
      numberOfWeeks: 1,
      startDate: from,
      ...(to ? { endDate: to } : {}),
      ...(temporary ? { temporary: true } : {}),
      state: [{ state, registeredAt: localMoment(from, '09:00', options.timeZone), ...(guardian ? { registeredBy: { id: guardian.id } } : {}) }],
      scheduleEntries: WEEK.filter((_, i) => long || i < 4).map((dayOfWeek) => ({
        weekOffset: 0,
        dayOfWeek,
        startTime: long ? '07:30' : '08:15',
        endTime: long ? '16:30' : '14:00',
      })),
    });
    out.attendanceSchedules.push(schedule(start, p.endDate, false, 'Godkänt'));
    // A temporary schedule has an end (the spec requires it): two weeks from today.
    const twoWeeks = new Date(Date.parse(`${options.today}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
    if (rnd.chance(0.1) && p.endDate === undefined) out.attendanceSchedules.push(schedule(options.today, twoWeeks, true, 'Begärt'));
  }
  return out;
}
