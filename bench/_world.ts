import { testConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { generateWorld } from '../src/generator/index.ts';
import { generateBoarders } from '../src/generator/boarders.ts';
import { generatePreEnrolments } from '../src/modules/pre-enrolments/generate.ts';
import { closeContext, createContext } from '../src/runtime.ts';
import { createFreshDatabase } from '../test/pg/server-process.ts';

/**
 * The SS 12000 benchmarks' common start: a fresh PostgreSQL database named `databaseName`, its
 * institutions, and the generated world (seed 42; BENCH_SCHOOLS, default 200, and BENCH_STUDENTS,
 * default 60,000; `scale` multiplies both) tied to them, and its boarders (about 10 % of the pupils of
 * every tenth school, the boarding schools) — generated, not yet loaded. `close()` drops the
 * database again. With `options.timetable`, the world also has a term of lessons (eighteen weeks, or
 * `options.timetableWeeks`, from this week's Monday, src/generator/timetable.ts) with rooms, resources
 * and offerings: opt-in, as it multiplies what a load stores (about 2.5 lessons per activity and week).
 * With `options.attendance` (which implies the timetable) also the attendance of those lessons that
 * took place before today, the absences of those days and the preschool check-ins and schedules
 * (src/generator/attendance.ts): opt-in too, a record per pupil and lesson. With `options.grades`,
 * the world also has grades (per pupil, teaching activity and term begun, src/generator/grades.ts): opt-in too.
 * Env: BENCH_DATABASE_URL (default TEST_DATABASE_URL, then the local server's postgres database).
 */
export async function openBenchWorld(
  databaseName: string,
  scale = 1,
  options: { timetable?: boolean; timetableWeeks?: number; attendance?: boolean; grades?: boolean } = {},
) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const today = new Date().toISOString().slice(0, 10);
  const parameters = benchWorldParameters(scale, today);
  const { schools, students, institutionNumbers } = parameters;
  const fresh = await createFreshDatabase(adminUrl, databaseName);
  const store = await openBenchStore(fresh.url);
  const ctx = store.ctx;
  const close = async () => {
    await store.close();
    await fresh.drop();
  };
  try {
    for (const n of institutionNumbers) {
      await ctx.db
        .insertInto('institutions')
        .values({ number: n, name: `Skola ${n}`, active_from_year: 2000 })
        .execute();
    }
    const world = generateWorld({
      ...parameters,
      ...(options.timetable || options.attendance ? { timetable: { timeZone: ctx.config.TZ, weeks: options.timetableWeeks ?? 18 } } : {}),
      ...(options.attendance ? { attendance: {} } : {}),
      ...(options.grades ? { grades: true } : {}),
    });
    const boarders = generateBoarders(world, { seed: 42, institutionNumbers: institutionNumbers.filter((_, i) => i % 10 === 0) });
    const preEnrolments = benchIntake(world, institutionNumbers);
    return { databaseUrl: fresh.url, ctx, institutionNumbers, world, boarders, preEnrolments, schools, students, today, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The bench world's generator parameters at `scale` (seed 42; BENCH_SCHOOLS, default 200, and
 * BENCH_STUDENTS, default 60,000, times `scale`), for the day `today`. Generated with them alone,
 * the world is the roster of `openBenchWorld`'s world: the timetable, attendance and grades options
 * add collections without changing the roster's records.
 */
export function benchWorldParameters(scale: number, today: string) {
  const schools = Math.round(Number(process.env.BENCH_SCHOOLS ?? 200) * scale);
  const students = Math.round(Number(process.env.BENCH_STUDENTS ?? 60000) * scale);
  const institutionNumbers = Array.from({ length: schools }, (_, i) => String(500000 + i));
  return { seed: 42, schools, students, institutionNumbers, today };
}

/** A context (no workers) on the bench database at `databaseUrl`, and how to close it (the database stays). */
export async function openBenchStore(databaseUrl: string) {
  const database = await openDatabase({ databaseUrl, poolSize: 4 });
  const ctx = await createContext(testConfig({ DATABASE_URL: databaseUrl }), { database, workers: false });
  return {
    ctx,
    close: async () => {
      await closeContext(ctx, { keepDatabase: true });
      await database.close();
    },
  };
}

/**
 * Next school year's intake of pre-enrolments at the bench world's institutions: one year's intake,
 * about as many applications as a grade has pupils (an institution's enrolled pupils over its six
 * grades; a school offering GY is secondary, else primary). Generated, not loaded.
 */
function benchIntake(world: ReturnType<typeof generateWorld>, institutionNumbers: string[]) {
  const units = world.organisations.filter((o) => o.organisationType === 'Skolenhet' && o.organisationCode && institutionNumbers.includes(o.organisationCode));
  const pupils = new Map<string, number>();
  for (const p of world.persons) for (const e of new Set((p.enrolments ?? []).map((x) => x.enroledAt.id))) pupils.set(e, (pupils.get(e) ?? 0) + 1);
  const perGrade = units.reduce((n, u) => n + (pupils.get(u.id) ?? 0), 0) / Math.max(1, units.length) / 6;
  const today = new Date();
  const schoolYear = (today.getUTCMonth() >= 8 ? today.getUTCFullYear() : today.getUTCFullYear() - 1) + 1;
  return generatePreEnrolments({
    seed: 42,
    schoolYear,
    perInstitution: Math.max(1, Math.round(perGrade)),
    institutions: units.map((u) => ({
      number: u.organisationCode!,
      level: (u.schoolTypes ?? []).includes('GY') ? ('secondary' as const) : ('primary' as const),
    })),
  });
}
