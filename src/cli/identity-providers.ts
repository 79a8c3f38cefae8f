import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z, type ZodType } from 'zod';
import { loadConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { createIdentityProviderBody, updateIdentityProviderBody } from '../modules/identity-providers/schemas.ts';
import {
  createIdentityProvider,
  deleteIdentityProvider,
  institutionsUnder,
  listBoards,
  listProviderRows,
  updateIdentityProvider,
} from '../modules/identity-providers/service.ts';
import { upstreamCallbackUrl } from '../oidc/upstream/client.ts';
import { closeContext, createContext } from '../runtime.ts';

const USAGE = `Usage: schoolgate identity-providers <command>

  list                       the upstream identity providers (never their secrets)
  boards                     the school boards (Huvudman) with their schools and provider
  add --board ID --name NAME --issuer URL --client-id ID --client-secret-file FILE
      --claim eppn|email|civic_no [--passwords allowed|disabled]
  update ID [--board ID] [--name NAME] [--issuer URL] [--client-id ID] [--client-secret-file FILE]
      [--claim eppn|email|civic_no] [--passwords allowed|disabled]
  remove ID

The client secret is read from a file ('-' for standard input), never from the command line, where
it would stay in the shell history and be visible to every user in the process list. Register
the redirect URI <PUBLIC_URL>/signin/upstream/callback at the upstream.`;

/** The command line's audit actor: whoever runs it on the server. */
const CLI_ACTOR = { id: null, label: 'schoolgate identity-providers (command line)', kind: 'system' as const };

const OPTIONS = {
  board: { type: 'string' },
  name: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-file': { type: 'string' },
  claim: { type: 'string' },
  passwords: { type: 'string' },
} as const;

class UsageError extends Error {}

function readSecret(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  return readFileSync(file === '-' ? 0 : file, 'utf8').trim();
}

/** The options as the API's body, validated by the API's own schema (same rules, same field names). */
function bodyOf<T>(schema: ZodType<T>, values: Record<string, string | undefined>): T {
  const passwords = values.passwords;
  if (passwords !== undefined && passwords !== 'allowed' && passwords !== 'disabled') throw new UsageError('--passwords must be allowed or disabled');
  const raw = Object.fromEntries(
    Object.entries({
      boardId: values.board,
      displayName: values.name,
      issuer: values.issuer,
      clientId: values['client-id'],
      clientSecret: readSecret(values['client-secret-file']),
      personClaim: values.claim,
      passwordAllowed: passwords === undefined ? undefined : passwords === 'allowed',
    }).filter(([, v]) => v !== undefined),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const flag: Record<string, string> = {
      boardId: '--board',
      displayName: '--name',
      issuer: '--issuer',
      clientId: '--client-id',
      clientSecret: '--client-secret-file',
      personClaim: '--claim',
      passwordAllowed: '--passwords',
    };
    throw new UsageError(parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? 'options'}: ${i.message}`).join('\n'));
  }
  return parsed.data;
}

async function list(ctx: AppContext): Promise<void> {
  const rows = await listProviderRows(ctx.db);
  const units = await institutionsUnder(
    ctx.db,
    rows.map((r) => r.board_organisation_id),
  );
  if (!rows.length) console.log('No identity providers.');
  for (const r of rows) {
    console.log(
      `${r.id}  ${r.display_name}  board "${r.board_name}" (${r.board_organisation_id})  issuer ${r.issuer}  client ${r.client_id}  ` +
        `claim ${r.person_claim}  passwords ${r.password_allowed ? 'allowed' : 'disabled'}  schools ${(units.get(r.board_organisation_id) ?? []).join(',') || '-'}`,
    );
  }
}

/** `schoolgate identity-providers list|boards|add|update|remove`: the operator's API, on the server's database. */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '--help' || !['list', 'boards', 'add', 'update', 'remove'].includes(sub)) {
    (sub && sub !== 'help' && sub !== '--help' ? console.error : console.log)(USAGE);
    return !sub || sub === 'help' || sub === '--help' ? 0 : 2;
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const ctx = await createContext(loadConfig(env), { workers: false });
  try {
    if (sub === 'list') await list(ctx);
    else if (sub === 'boards') {
      for (const b of await listBoards(ctx.db)) {
        console.log(`${b.id}  ${b.name}  schools ${b.institutionNumbers.join(',') || '-'}${b.identityProviderId ? `  provider ${b.identityProviderId}` : ''}`);
      }
    } else if (sub === 'add') {
      const id = await createIdentityProvider(ctx, CLI_ACTOR, bodyOf(createIdentityProviderBody, values));
      console.log(`Added identity provider ${id}. Register this redirect URI at the upstream: ${upstreamCallbackUrl(ctx.config)}`);
    } else {
      const [id] = positionals;
      if (!id || !z.uuid().safeParse(id).success) throw new UsageError(`${sub} needs the id of an identity provider (see list)`);
      if (sub === 'update') {
        await updateIdentityProvider(ctx, CLI_ACTOR, id, bodyOf(updateIdentityProviderBody, values));
        console.log(`Updated identity provider ${id}.`);
      } else {
        await deleteIdentityProvider(ctx, CLI_ACTOR, id);
        console.log(`Removed identity provider ${id}; its schools sign in with passwords only.`);
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof ApiError) {
      const field = typeof error.details.field === 'string' ? ` (${error.details.field})` : '';
      console.error(`${error.code}${field}: ${error.message}`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`Cannot read the secret file: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  } finally {
    await closeContext(ctx);
  }
}
