import { describe, expect, it } from 'vitest';
import i18n from '../i18n.ts';
import { ApiProblem, qs } from '../api/client.ts';
import { itemsOf } from '../api/types.ts';
import en from '../locales/en.ts';
import fr from '../locales/fr.ts';
import nl from '../locales/nl.ts';
import sv from '../locales/sv.ts';
import { landingPath, roleOf, safeNext, type SessionUser } from '../session.tsx';
import { problemField, problemMessage } from './problem.ts';

type Tree = { [k: string]: string | Tree };
const leaves = (tree: Tree, prefix = ''): [string, string][] =>
  Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v, `${prefix}${k}.`)));
const vars = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  const english = new Map(leaves(en as Tree));
  for (const [lang, tree] of Object.entries({ nl, fr, sv })) {
    it(`${lang} has every English key, no empty text and the same placeholders`, () => {
      const other = new Map(leaves(tree as Tree));
      expect([...other.keys()].sort()).toEqual([...english.keys()].sort());
      for (const [key, text] of other) {
        expect(text.trim(), key).not.toBe('');
        expect(vars(text), key).toEqual(vars(english.get(key)!));
      }
    });
  }
});

describe('API errors become messages in the user language', () => {
  it('names the rights an admin lacks', async () => {
    await i18n.changeLanguage('nl');
    const e = new ApiProblem({ status: 403, code: 'insufficient_rights', requiredRights: ['iBasis', 'iLeerlingen'] });
    expect(problemMessage(i18n.t, e)).toBe('Onvoldoende rechten: je hebt iBasis of iLeerlingen nodig.');
    await i18n.changeLanguage('sv');
    expect(problemMessage(i18n.t, e)).toBe('Otillräcklig behörighet: du behöver iBasis eller iLeerlingen.');
  });

  it('falls back by status, then to a text naming an unknown code', async () => {
    await i18n.changeLanguage('en');
    expect(problemMessage(i18n.t, new ApiProblem({ status: 404, code: 'something_new' }))).toBe('Not found.');
    expect(problemMessage(i18n.t, new ApiProblem({ status: 409, code: 'something_new' }))).toBe('The request was refused (something_new).');
    expect(problemMessage(i18n.t, new Error('boom'))).toBe('Something went wrong. Try again.');
  });

  it('points a form at the field the server named', () => {
    expect(problemField(new ApiProblem({ status: 400, code: 'validation_failed', field: 'body.apis.1.dataCategories' }))).toBe('apis.1.dataCategories');
    expect(problemField(new Error('x'))).toBeUndefined();
  });
});

describe('sign-in destinations', () => {
  const user = (over: Partial<SessionUser>): SessionUser => ({
    id: '00000000-0000-4000-8000-000000000000',
    email: 'x@example.org',
    displayName: 'X',
    kind: 'school',
    language: 'en',
    emailConfirmed: true,
    partnerId: null,
    userManagementAccess: false,
    ...over,
  });

  it('sends each role to its own area', () => {
    expect(landingPath(user({ kind: 'operator' }))).toBe('/operator/review');
    expect(landingPath(user({ kind: 'partner' }))).toBe('/partner/profile');
    expect(landingPath(user({ kind: 'partner', partnerId: '00000000-0000-4000-8000-000000000001' }))).toBe('/partner/apps');
    expect(landingPath(user({ kind: 'school', userManagementAccess: true }))).toBe('/school/apps');
    expect(landingPath(user({ kind: 'school' }))).toBe('/no-access');
    expect(roleOf(user({ kind: 'school' }))).toBe('school_no_access');
  });

  it('keeps a deep link inside the site and refuses open redirects', () => {
    expect(safeNext('/school/apps/1?invitation=abc')).toBe('/school/apps/1?invitation=abc');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '', null]) expect(safeNext(bad)).toBeUndefined();
  });
});

describe('small client helpers', () => {
  it('builds query strings without empty values', () => {
    expect(qs({ a: 'x y', b: undefined, c: '', d: 0, e: false })).toBe('?a=x+y&d=0&e=false');
    expect(qs({})).toBe('');
  });
  it('reads lists from { data } answers', () => {
    expect(itemsOf({ data: [1, 2] })).toEqual([1, 2]);
    expect(itemsOf(undefined)).toEqual([]);
  });
});
