import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/index.ts';
import { migrate } from '../db/migrate.ts';
import { systemClock } from '../lib/clock.ts';
import { ensureSigningKey, loadKeys, RETIRED_KEY_GRACE_MS, rotateSigningKeys } from '../modules/access/tokens/keys.ts';

const USAGE = `Usage: schoolgate keys <list|rotate>

  list     the signing keys that sign or still verify tokens
  rotate   a new key signs from now on; the old key is retired but keeps verifying for ${RETIRED_KEY_GRACE_MS / 3_600_000} h.
           Running servers switch within a minute.`;

/** `schoolgate keys list|rotate`: the OpenID Connect signing keys in the database. */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub] = args;
  if (sub !== 'list' && sub !== 'rotate') {
    console.error(USAGE);
    return sub === undefined || sub === 'help' || sub === '--help' ? 0 : 2;
  }
  const config = loadConfig(env);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 1 });
  try {
    await migrate(database);
    if (sub === 'rotate') {
      await ensureSigningKey(database.db, systemClock);
      const { kid, retired } = await rotateSigningKeys(database.db, systemClock);
      console.log(`New signing key ${kid}.`);
      if (retired.length) console.log(`Retired (still verifying for ${RETIRED_KEY_GRACE_MS / 3_600_000} h): ${retired.join(', ')}`);
    }
    const keys = await loadKeys(database.db, systemClock);
    for (const k of keys) {
      const state = k.retiredAt ? `retired ${k.retiredAt.toISOString()}` : 'signing';
      console.log(`${k.kid}  created ${k.createdAt.toISOString()}  ${state}`);
    }
    if (!keys.length) console.log('No signing keys yet; the first start creates one.');
    return 0;
  } finally {
    await database.close();
  }
}
