import { testConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { generateWorld } from '../src/generator/index.ts';
import { generateBoarders } from '../src/generator/boarders.ts';
import { closeContext, createContext } from '../src/runtime.ts';
import { createFreshDatabase } from '../test/pg/server-process.ts';

/**
 * The SS 12000 benchmarks' common start: a fresh PostgreSQL database named `databaseName`, its
 * institutions, and the generated world (seed 42; BENCH_SCHOOLS, default 200, and BENCH_STUDENTS,
 * default 60,000; `scale` multiplies both) tied to them, and its boarders (about 10 % of the pupils of
 * every tenth school, the boarding schools) — generated, not yet loaded. `close()` drops the
 * database again. With `options.timetable`, the world also has a term of lessons (eighteen weeks
 * from this week's Monday, src/generator/timetable.ts) with rooms, resources and offerings: opt-in,
 * as it multiplies what a load stores (about 2.5 lessons per activity and week). With `options.grades`,
 * the world also has grades (per pupil, teaching activity and term begun, src/generator/grades.ts): opt-in too.
 * Env: BENCH_DATABASE_URL (default TEST_DATABASE_URL, then the local server's postgres database).
 */
export async function openBenchWorld(databaseName: string, scale = 1, options: { timetable?: boolean; grades?: boolean } = {}) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schools = Math.round(Number(process.env.BENCH_SCHOOLS ?? 200) * scale);
  const students = Math.round(Number(process.env.BENCH_STUDENTS ?? 60000) * scale);
  const fresh = await createFreshDatabase(adminUrl, databaseName);
  const database = await openDatabase({ databaseUrl: fresh.url, poolSize: 4 });
  const ctx = await createContext(testConfig({ DATABASE_URL: fresh.url }), { database, workers: false });
  const close = async () => {
    await closeContext(ctx, { keepDatabase: true });
    await database.close();
    await fresh.drop();
  };
  try {
    const institutionNumbers = Array.from({ length: schools }, (_, i) => String(500000 + i));
    for (const n of institutionNumbers) {
      await ctx.db
        .insertInto('institutions')
        .values({ number: n, name: `Skola ${n}`, active_from_year: 2000 })
        .execute();
    }
    const today = new Date().toISOString().slice(0, 10);
    const world = generateWorld({
      seed: 42,
      schools,
      students,
      institutionNumbers,
      today,
      ...(options.timetable ? { timetable: { timeZone: ctx.config.TZ, weeks: 18 } } : {}),
      ...(options.grades ? { grades: true } : {}),
    });
    const boarders = generateBoarders(world, { seed: 42, institutionNumbers: institutionNumbers.filter((_, i) => i % 10 === 0) });
    return { databaseUrl: fresh.url, ctx, institutionNumbers, world, boarders, schools, students, close };
  } catch (error) {
    await close();
    throw error;
  }
}
