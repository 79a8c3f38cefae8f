import { loadConfig } from '../config.ts';
import { closeContext, createContext } from '../runtime.ts';
import { DEMO_CLIENT, demoBanner, isEmpty, seedDemo } from '../seed/demo.ts';

/** `schoolgate seed --demo`: seeds the demo world into an empty database. */
export async function run(args: string[]): Promise<number> {
  if (!args.includes('--demo')) {
    console.error('Usage: schoolgate seed --demo');
    return 2;
  }
  const config = loadConfig();
  const ctx = await createContext(config, { workers: false });
  try {
    if (!(await isEmpty(ctx))) {
      const demo = await ctx.db.selectFrom('clients').select('id').where('id', '=', DEMO_CLIENT.clientId).executeTakeFirst();
      console.error(demo ? 'The demo world is already seeded.' : 'The database holds data already; the demo seed only goes into an empty database.');
      return demo ? 0 : 1;
    }
    await seedDemo(ctx);
    console.log(demoBanner(config.PUBLIC_URL));
    return 0;
  } finally {
    await closeContext(ctx);
  }
}
