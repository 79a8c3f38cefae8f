/**
 * How oidc-provider's errors are rendered when it does not redirect them to the client (a wrong
 * redirect URI, an unknown client …). Programs (token endpoint, discovery) get JSON whatever they
 * accept; a browser at the authorization endpoint gets a small page saying what is wrong, because a
 * person is looking at it and must not be sent anywhere unverified.
 */

const escape = (value: unknown) =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Browser-facing routes of oidc-provider. */
const BROWSER_ROUTES = new Set(['authorization', 'resume', 'end_session', 'end_session_confirm']);

/** The page's words in the product's four languages (the person may be a pupil: plain words). */
const TEXT = {
  en: {
    title: 'This sign-in cannot continue',
    body: "The app that sent you here made a request Schoolgate cannot accept. Go back to the app and try again; if it keeps happening, tell the app's maker.",
  },
  nl: {
    title: 'Deze aanmelding kan niet verder',
    body: 'De app die je hierheen stuurde, deed een verzoek dat Schoolgate niet kan aanvaarden. Ga terug naar de app en probeer opnieuw; blijft het gebeuren, laat het de makers van de app weten.',
  },
  fr: {
    title: 'Cette connexion ne peut pas continuer',
    body: "L'application qui vous a envoyé ici a fait une demande que Schoolgate ne peut pas accepter. Retournez à l'application et réessayez ; si cela se reproduit, prévenez ses auteurs.",
  },
  sv: {
    title: 'Inloggningen kan inte fortsätta',
    body: 'Appen som skickade dig hit gjorde en begäran som Schoolgate inte kan ta emot. Gå tillbaka till appen och försök igen; händer det igen, berätta det för appens tillverkare.',
  },
} as const;

type Koa = {
  type: string;
  body: unknown;
  accepts(...types: string[]): string | false;
  acceptsLanguages(...langs: string[]): string | false;
  oidc?: { route?: string };
};

/** Renders `out` (error, error_description) on the Koa context of oidc-provider. */
export function renderOidcError(koa: Koa, out: Record<string, unknown>): void {
  if (BROWSER_ROUTES.has(koa.oidc?.route ?? '') && koa.accepts('json', 'html') === 'html') {
    const lang = (koa.acceptsLanguages('en', 'nl', 'fr', 'sv') || 'en') as keyof typeof TEXT;
    const t = TEXT[lang];
    koa.type = 'text/html; charset=utf-8';
    koa.body = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem">
<h1>${escape(t.title)}</h1>
<p>${escape(t.body)}</p>
<p><code data-error="${escape(out.error)}">${escape(out.error)}</code>: ${escape(out.error_description)}</p>
</body></html>`;
    return;
  }
  koa.type = 'application/json; charset=utf-8';
  koa.body = out;
}
