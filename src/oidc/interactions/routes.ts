import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { ApiError, conflict, invalidField } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { checkEndUserPassword } from '../../modules/end-users/service.ts';
import { releasedFields } from '../../modules/catalog/presenters.ts';
import { categoryTexts } from '../../modules/catalog/queries.ts';
import { purposeIn, readerLanguage, type TextLanguage, type Texts } from '../../lib/purposes.ts';
import { providerForInstitution } from '../upstream/index.ts';
import { providerOf } from '../provider.ts';
import { storeConsent, consentQuestion } from './consent.ts';
import { availableInstitution, pickerInstitutions } from './eligibility.ts';
import { completeLogin, interactionGone } from './login.ts';
import { isFinished, progressOf, saveProgress } from './progress.ts';

/**
 * The JSON endpoints the sign-in page (`/signin/<uid>`, the web app) drives an oidc-provider
 * interaction with: school → login → consent. They live under the page's path so that the browser
 * sends oidc-provider's interaction cookie (path `/signin/<uid>`), which proves the request belongs
 * to the browser that started the authorization. POSTs take JSON only (no form parser is
 * registered), so a cross-site form cannot drive them.
 */

const uidParams = z.object({ uid: z.string().min(1).max(64) });
/**
 * `?language=` on every step: the reader's language for the texts the state carries (purposes,
 * category names and descriptions). Any value is taken (an unknown one reads English); without it,
 * the app's `ui_locales`, else English.
 */
const languageQuery = z.object({ language: z.string().max(35).optional() });
const schoolBody = z.object({ institution: z.string().min(1).max(20) });
const loginBody = z.object({ login: z.string().min(1).max(320), password: z.string().min(1).max(256) });
const consentBody = z.object({ decision: z.enum(['allow', 'deny']) });

/** The interaction of this browser for `uid`: the signed interaction cookie must name it. */
async function interactionFor(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, uid: string): Promise<Interaction> {
  const provider = await providerOf(ctx);
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(request.raw, reply.raw);
  } catch {
    throw interactionGone();
  }
  if (interaction.uid !== uid) throw interactionGone();
  return interaction;
}

/** GET /signin/:uid/state and the answer of every step. */
export interface SigninState {
  uid: string;
  step: 'school' | 'login' | 'consent' | 'done';
  app: { id: string; name: string; partnerName: string; registerUrl: string };
  institution: { number: string; name: string; town: string | null } | null;
  person: { displayName: string } | null;
  loginMethods: { password: boolean; upstream: { name: string; url: string } | null };
  consent: {
    scopes: string[];
    claims: string[];
    /**
     * Each category with its catalog name and description and the app's purpose, in the reader's
     * language (else another given one: src/lib/purposes.ts), the purpose's language, the
     * purposes as written, and the data API fields it releases.
     */
    categories: {
      apiCode: string;
      category: string;
      name: string;
      description: string;
      purpose: string;
      purposeLanguage: TextLanguage;
      purposes: Texts;
      fields: string[];
    }[];
    added: string[];
  } | null;
  /** Set once the sign-in is finished (step 'done'): the page sends the browser there. */
  redirectTo: string | null;
}

/** The reader's language of a step: `?language=`, else the first of the app's `ui_locales` we have, else English. */
function languageOf(interaction: Interaction, asked: string | undefined): TextLanguage {
  if (asked) return readerLanguage(asked);
  const uiLocales = String(interaction.params.ui_locales ?? '')
    .split(' ')
    .filter(Boolean);
  return readerLanguage(uiLocales.find((l) => readerLanguage(l) === l.slice(0, 2).toLowerCase()));
}

async function stateOf(ctx: AppContext, interaction: Interaction, asked?: string): Promise<SigninState> {
  const language = languageOf(interaction, asked);
  const clientId = interaction.params.client_id;
  const progress = progressOf(interaction);
  const app = await ctx.db
    .selectFrom('clients as c')
    .innerJoin('apps as a', 'a.id', 'c.app_id')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .select(['a.id', 'a.name', 'p.name as partner_name'])
    .where('c.id', '=', clientId)
    .executeTakeFirst();
  if (!app) throw interactionGone();
  const institution = progress.institution
    ? ((await ctx.db.selectFrom('institutions').select(['number', 'name', 'town']).where('number', '=', progress.institution).executeTakeFirst()) ?? null)
    : null;
  const person = progress.personId
    ? await ctx.db.selectFrom('ss12000_persons').select('display_name').where('id', '=', progress.personId).executeTakeFirst()
    : undefined;
  const upstream = progress.institution ? await providerForInstitution(ctx.db, progress.institution) : undefined;
  const finished = isFinished(interaction);
  const step: SigninState['step'] = finished ? 'done' : !institution ? 'school' : !progress.personId ? 'login' : 'consent';
  let consent: SigninState['consent'] = null;
  if (step === 'consent' && progress.role) {
    const q = await consentQuestion(ctx, interaction, progress.personId!, progress.institution!, progress.role);
    // Each category with what it means in the reader's words (the catalog's name and description) and
    // the fields it releases (release policy); the purpose in the reader's language where given.
    const texts = await categoryTexts(
      ctx.db,
      q.categories.map((c) => c.category),
      language,
    );
    const categories = q.categories.map((c) => {
      const purpose = purposeIn(c.purposes, language);
      const text = texts.get(c.category)!;
      return {
        apiCode: c.apiCode,
        category: c.category,
        name: text.name,
        description: text.description,
        purpose: purpose.text,
        purposeLanguage: purpose.language,
        purposes: c.purposes,
        fields: releasedFields(c.category).map((f) => f.field),
      };
    });
    consent = { scopes: q.scopes, claims: q.claims, categories, added: q.added };
  }
  return {
    uid: interaction.uid,
    step,
    app: { id: app.id, name: app.name, partnerName: app.partner_name, registerUrl: `${ctx.config.PUBLIC_URL}/public/register?app=${app.id}` },
    institution,
    person: person ? { displayName: person.display_name } : null,
    loginMethods: {
      password: upstream ? upstream.passwordAllowed : true,
      upstream: upstream ? { name: upstream.displayName, url: `/signin/${interaction.uid}/upstream` } : null,
    },
    consent,
    redirectTo: finished ? interaction.returnTo : null,
  };
}

/** Registers the interaction endpoints under /signin/:uid. */
export async function registerInteractions(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get('/signin/:uid/state', { schema: { hide: true, params: uidParams, querystring: languageQuery } }, async (request, reply) => {
    const interaction = await interactionFor(ctx, request, reply, request.params.uid);
    reply.header('cache-control', 'no-store');
    return stateOf(ctx, interaction, request.query.language);
  });

  app.get(
    '/signin/:uid/institutions',
    { schema: { hide: true, params: uidParams, querystring: z.object({ q: z.string().max(100).default('') }) } },
    async (request, reply) => {
      const interaction = await interactionFor(ctx, request, reply, request.params.uid);
      reply.header('cache-control', 'no-store');
      return { items: await pickerInstitutions(ctx.db, interaction.params.client_id, request.query.q) };
    },
  );

  app.post('/signin/:uid/school', { schema: { hide: true, params: uidParams, querystring: languageQuery, body: schoolBody } }, async (request, reply) => {
    const interaction = await interactionFor(ctx, request, reply, request.params.uid);
    if (isFinished(interaction)) throw interactionGone();
    const found = await availableInstitution(ctx.db, interaction.params.client_id, request.body.institution);
    // An unknown number and a school that did not grant this app get the same answer.
    if (!found) {
      throw invalidField('institution', 'institution_not_available', 'This school has not granted this app access. Ask your school.');
    }
    // A new school means a new sign-in: whoever signed in was checked against the previous one.
    await saveProgress(interaction, { institution: found.number });
    return stateOf(ctx, interaction, request.query.language);
  });

  app.post('/signin/:uid/school/change', { schema: { hide: true, params: uidParams, querystring: languageQuery } }, async (request, reply) => {
    const interaction = await interactionFor(ctx, request, reply, request.params.uid);
    if (isFinished(interaction)) throw interactionGone();
    await saveProgress(interaction, {});
    return stateOf(ctx, interaction, request.query.language);
  });

  app.post('/signin/:uid/login', { schema: { hide: true, params: uidParams, querystring: languageQuery, body: loginBody } }, async (request, reply) => {
    const { uid } = request.params;
    const interaction = await interactionFor(ctx, request, reply, uid);
    if (isFinished(interaction)) throw interactionGone();
    const progress = progressOf(interaction);
    if (!progress.institution) throw conflict('school_not_chosen', 'Choose the school first.');
    const upstream = await providerForInstitution(ctx.db, progress.institution);
    if (upstream && !upstream.passwordAllowed) {
      throw new ApiError(403, 'password_login_disabled', `This school signs in through ${upstream.displayName} only.`);
    }
    // The same check as "My connected apps" sign-in: one throttle budget per person and per IP.
    const personId = await checkEndUserPassword(ctx, request.body.login, request.body.password, request.ip);
    await completeLogin(ctx, request, reply, uid, personId, 'password');
    const fresh = (await (await providerOf(ctx)).Interaction.find(uid)) ?? interaction;
    return stateOf(ctx, fresh, request.query.language);
  });

  app.post('/signin/:uid/consent', { schema: { hide: true, params: uidParams, body: consentBody } }, async (request, reply) => {
    const provider = await providerOf(ctx);
    const interaction = await interactionFor(ctx, request, reply, request.params.uid);
    if (isFinished(interaction)) throw interactionGone();
    const progress = progressOf(interaction);
    if (!progress.personId || !progress.institution || !progress.role) throw conflict('not_signed_in', 'Sign in first.');
    const clientId = interaction.params.client_id;
    if (request.body.decision === 'deny') {
      const redirectTo = await provider.interactionResult(
        request.raw,
        reply.raw,
        { error: 'access_denied', error_description: 'The person did not allow this app to receive their data.' },
        { mergeWithLastSubmission: false },
      );
      return { redirectTo };
    }
    const question = await consentQuestion(ctx, interaction, progress.personId, progress.institution, progress.role);
    const { grantId } = await storeConsent(ctx, provider, question, { personId: progress.personId }, clientId, progress.institution, progress.role);
    const redirectTo = await provider.interactionResult(
      request.raw,
      reply.raw,
      {
        schoolgate: progress,
        login: { accountId: `${progress.personId}:${progress.institution}`, amr: progress.method === 'upstream' ? ['fed'] : ['pwd'], remember: false },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
    return { redirectTo };
  });
}
