import type { Res } from '../../api/types.ts';

/**
 * Shapes of the sign-in interaction endpoints (`/signin/:uid/*`, served by the OIDC module, not part
 * of the /api/v1 OpenAPI document, so written here as agreed in the issue 5 design) and of the
 * end-user portal (generated).
 */

/** A school as the picker shows it. */
export interface SigninInstitution {
  number: string;
  name: string;
  town: string | null;
}

/** One data category the app asks for, with the purpose from its approved registration. */
export interface ConsentCategory {
  apiCode: string;
  category: string;
  /** The catalog's name and description of the category, in the reader's language. */
  name: string;
  description: string;
  /** The purpose in the reader's language where the partner gave it, else another (`purposeLanguage`). */
  purpose: string;
  purposeLanguage: string;
  purposes: Partial<Record<string, string>>;
  /** The data API fields the category releases (from the release policy). */
  fields: string[];
}

/** GET /signin/:uid/state, and the answer of every step. */
export interface SigninState {
  uid: string;
  step: 'school' | 'login' | 'consent' | 'done';
  app: { id: string; name: string; partnerName: string; registerUrl: string };
  institution: SigninInstitution | null;
  person: { displayName: string } | null;
  loginMethods: { password: boolean; upstream: { name: string; url: string } | null };
  consent: { scopes: string[]; claims: string[]; categories: ConsentCategory[]; added: string[] } | null;
  /** Set once the sign-in is finished (step 'done', e.g. a live consent covered the request): where the browser goes. */
  redirectTo?: string | null;
}

/** GET /api/v1/my/session (from the generated OpenAPI types). */
export type MySession = Res<'/api/v1/my/session'>;

/** GET /api/v1/my/apps */
export type MyApps = Res<'/api/v1/my/apps'>;

/** One connected app (a live consent) of GET /api/v1/my/apps. */
export type MyConsent = MyApps['items'][number];
