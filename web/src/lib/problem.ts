import type { TFunction } from 'i18next';
import i18n from '../i18n.ts';
import { ApiProblem } from '../api/client.ts';

/**
 * A translated message for an API error: the stable `code` picks the text, extra problem members
 * (requiredRights, field …) fill it in. Unknown codes get a generic text naming the code.
 */
export function problemMessage(t: TFunction, error: unknown): string {
  if (!(error instanceof ApiProblem)) return t('errors.unexpected');
  const p = error.problem;
  const key = `errors.${p.code}`;
  const vars = {
    code: p.code,
    field: p.field ?? '',
    rights: Array.isArray(p.requiredRights) ? (p.requiredRights as string[]).join(` ${t('common.or')} `) : '',
  };
  if (i18n.exists(key)) return t(key, vars);
  if (p.status === 401) return t('errors.unauthenticated');
  if (p.status === 403) return t('errors.forbidden');
  if (p.status === 404) return t('errors.not_found');
  return t('errors.generic', vars);
}

/** The field named by a validation problem, without its `body.` prefix (for form errors). */
export function problemField(error: unknown): string | undefined {
  if (!(error instanceof ApiProblem)) return undefined;
  return error.problem.field?.replace(/^body\./, '');
}
