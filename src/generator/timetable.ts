import type { Activity, CalendarEvent, Group, Organisation, Person, Resource, Room, SchoolUnitOffering } from '../modules/ss12000/schemas.ts';

/**
 * The timetable of a generated world (issue 17): rooms and resources per school unit, what each unit
 * offers, and the lessons — a fixed weekly pattern per activity, repeated on every school day of a
 * period — as SS 12000 calendar events. Times are wall-clock times of the deployment's time zone,
 * written as RFC 3339 moments with that zone's offset on the day (so a lesson at 08:15 stays at 08:15
 * across the change to and from summer time). Weekends and the usual school holidays are skipped.
 */

/** What the timetable generator draws from: the world's seeded PRNG. */
export interface Draws {
  int(min: number, max: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
  uuid(): string;
}

/** The timetable's part of a world. */
export interface Timetable {
  rooms: Room[];
  resources: Resource[];
  schoolUnitOfferings: SchoolUnitOffering[];
  calendarEvents: CalendarEvent[];
}

export interface TimetableOptions {
  /** IANA time zone of the deployment (`TZ`), in which lessons start at their wall-clock times. */
  timeZone: string;
  /** First and last day (YYYY-MM-DD, inclusive) that lessons are generated for. */
  from: string;
  to: string;
  /** Whose school holidays: Swedish (the default) or Flemish. */
  holidays: 'se' | 'be';
}

/** Lesson periods of a school day: wall-clock start and length in minutes. */
const PERIODS = [
  { start: '08:15', minutes: 50 },
  { start: '09:10', minutes: 50 },
  { start: '10:20', minutes: 50 },
  { start: '11:15', minutes: 50 },
  { start: '12:50', minutes: 50 },
  { start: '13:45', minutes: 50 },
  { start: '14:50', minutes: 50 },
] as const;
const WEEKDAYS = 5;

const DAY = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');
const dayMs = (date: string) => Date.parse(`${date}T00:00:00Z`);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** ISO 8601 week number of a calendar date. */
function isoWeek(date: string): number {
  const d = new Date(dayMs(date));
  // The Thursday of the date's week decides the year the week belongs to.
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7));
  return Math.ceil(((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY + 1) / 7);
}

/**
 * School holidays, approximately (cheap rather than exact: Easter moves, municipalities differ):
 * Sweden — autumn break (week 44), Christmas (21 Dec – 6 Jan), winter break (week 9), Easter (week 15),
 * 1 May and 6 June; Flanders — autumn break (week 44), Christmas (22 Dec – 4 Jan), spring break
 * (week 9), Easter (weeks 14–15), 1 May and 11 November.
 */
function isHoliday(date: string, holidays: TimetableOptions['holidays']): boolean {
  const md = date.slice(5);
  const week = isoWeek(date);
  if (holidays === 'be') {
    return week === 44 || week === 9 || week === 14 || week === 15 || md >= '12-22' || md <= '01-04' || md === '05-01' || md === '11-11';
  }
  return week === 44 || week === 9 || week === 15 || md >= '12-21' || md <= '01-06' || md === '05-01' || md === '06-06';
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Minutes `timeZone` is ahead of UTC at the moment `utcMs`. */
function offsetMinutes(utcMs: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - utcMs) / 60_000);
}

/** The RFC 3339 moment of wall-clock `time` on `date` in `timeZone`, with the zone's offset that day. */
export function localMoment(date: string, time: string, timeZone: string): string {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const wall = dayMs(date) + (h * 60 + m) * 60_000;
  // The offset at the wall time read as UTC is at most one change away; asking again at the
  // corrected moment settles it (a wall time in the skipped hour lands after it).
  let offset = offsetMinutes(wall, timeZone);
  offset = offsetMinutes(wall - offset * 60_000, timeZone);
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${date}T${pad(h)}:${pad(m)}:00${zone}`;
}

/** `HH:MM` plus minutes. */
const later = (time: string, minutes: number) => {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const total = h * 60 + m + minutes;
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
};

const ref = (x: { id: string }) => ({ id: x.id });

/** Names of rooms and resources in the world's language. */
const WORDS: Record<TimetableOptions['holidays'], { room: string; gym: string; resources: readonly string[]; sport: RegExp; cancelled: string }> = {
  se: { room: 'Sal', gym: 'Idrottshall', resources: ['Projektor', 'Datorvagn'], sport: /idrott/i, cancelled: 'Inställd: läraren är sjuk.' },
  be: { room: 'Lokaal', gym: 'Sporthal', resources: ['Projector', 'Laptopkar'], sport: /idrott|lichamelijke|sport/i, cancelled: 'Vervalt: de leraar is ziek.' },
};

/**
 * The timetable of `world` over `options.from`–`options.to`. Each activity gets two or three
 * lessons a week at periods its group has free (a class never has two lessons at once), in the
 * group's home room (sport in the gym); a few lessons are cancelled, a few have a pupil who does not
 * take part or a teacher who is replaced by another of the unit's teachers.
 */
export function generateTimetable(
  world: { organisations: Organisation[]; groups: Group[]; activities: Activity[]; persons: Person[] },
  options: TimetableOptions,
  rnd: Draws,
): Timetable {
  const words = WORDS[options.holidays];
  const out: Timetable = { rooms: [], resources: [], schoolUnitOfferings: [], calendarEvents: [] };
  const units = world.organisations.filter((o) => o.organisationType === 'Skolenhet');
  const groupsById = new Map(world.groups.map((g) => [g.id, g]));
  const schoolDays: string[] = [];
  for (let ms = dayMs(options.from); ms <= dayMs(options.to); ms += DAY) {
    const date = isoDate(ms);
    const weekday = new Date(ms).getUTCDay();
    if (weekday === 0 || weekday === 6 || isHoliday(date, options.holidays)) continue;
    schoolDays.push(date);
  }
  for (const unit of units) {
    const activities = world.activities.filter((a) => a.organisation.id === unit.id && a.groups.length);
    if (!activities.length) continue;
    // Rooms: a home room per group with lessons, and a gym; two resources to book.
    const homeRoom = new Map<string, Room>();
    let number = 101;
    for (const a of activities) {
      const g = a.groups[0]!.id;
      if (homeRoom.has(g)) continue;
      const room: Room = { id: rnd.uuid(), displayName: `${words.room} ${number++}`, seats: rnd.pick([24, 28, 30, 32]), owner: ref(unit) };
      homeRoom.set(g, room);
      out.rooms.push(room);
    }
    const gym: Room = { id: rnd.uuid(), displayName: words.gym, seats: 60, owner: ref(unit) };
    out.rooms.push(gym);
    const resources = words.resources.map((name, i): Resource => ({
      id: rnd.uuid(),
      displayName: `${name} ${i + 1}`,
      description: `${name} (${unit.displayName})`,
      owner: ref(unit),
    }));
    out.resources.push(...resources);

    // What the unit offers: the syllabuses it teaches and the programmes its pupils follow.
    const syllabuses = [...new Set(activities.flatMap((a) => (a.syllabus ? [a.syllabus.id] : [])))];
    const programmes = [
      ...new Set(world.persons.flatMap((p) => (p.enrolments ?? []).filter((e) => e.enroledAt.id === unit.id && e.programme).map((e) => e.programme!.id))),
    ];
    out.schoolUnitOfferings.push({
      id: rnd.uuid(),
      startDate: options.from,
      endDate: options.to,
      offeredAt: ref(unit),
      offeredSyllabuses: syllabuses.map((id) => ({ id })),
      ...(programmes.length ? { offeredProgrammes: programmes.map((id) => ({ id })) } : {}),
    });

    const teachers = [...new Set(activities.flatMap((a) => (a.teachers ?? []).map((t) => t.duty.id)))];
    // The weekly pattern: per group, which (weekday, period) slots are taken.
    const taken = new Map<string, Set<number>>();
    for (const a of activities) {
      const groupId = a.groups[0]!.id;
      const busy = taken.get(groupId) ?? new Set<number>();
      taken.set(groupId, busy);
      const perWeek = rnd.int(2, 3);
      const slots: number[] = [];
      for (let tries = 0; slots.length < perWeek && tries < 60; tries++) {
        const slot = rnd.int(0, WEEKDAYS * PERIODS.length - 1);
        // Not twice on one day, and never when the group is busy.
        if (busy.has(slot) || slots.some((s) => Math.floor(s / PERIODS.length) === Math.floor(slot / PERIODS.length))) continue;
        busy.add(slot);
        slots.push(slot);
      }
      const room = words.sport.test(a.displayName) ? gym : homeRoom.get(groupId)!;
      const members = (groupsById.get(groupId)?.groupMemberships ?? []).map((m) => m.person.id);
      const first = a.startDate > options.from ? a.startDate : options.from;
      const last = a.endDate && a.endDate < options.to ? a.endDate : options.to;
      for (const date of schoolDays) {
        if (date < first || date > last) continue;
        const weekday = (new Date(dayMs(date)).getUTCDay() + 6) % 7;
        for (const slot of slots) {
          if (Math.floor(slot / PERIODS.length) !== weekday) continue;
          const period = PERIODS[slot % PERIODS.length]!;
          const event: CalendarEvent = {
            id: rnd.uuid(),
            activity: ref(a),
            startTime: localMoment(date, period.start, options.timeZone),
            endTime: localMoment(date, later(period.start, period.minutes), options.timeZone),
            teachingLengthTeacher: period.minutes,
            teachingLengthStudent: period.minutes,
            rooms: [ref(room)],
          };
          if (rnd.chance(0.05)) event.resources = [ref(rnd.pick(resources))];
          if (rnd.chance(0.01)) {
            event.cancelled = true;
            event.comment = words.cancelled;
          } else if (rnd.chance(0.02) && members.length) {
            event.studentExceptions = [{ student: { id: rnd.pick(members) }, participates: false }];
          } else if (rnd.chance(0.02) && teachers.length > 1 && a.teachers?.length) {
            const own = a.teachers[0]!.duty.id;
            const stand = rnd.pick(teachers.filter((t) => t !== own));
            event.teacherExceptions = [
              { duty: { id: own }, participates: false },
              { duty: { id: stand }, participates: true },
            ];
          }
          out.calendarEvents.push(event);
        }
      }
    }
  }
  return out;
}
