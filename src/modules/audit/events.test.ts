import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Language } from '../../db/schema.ts';
import { csvCell, csvLine } from './csv.ts';
import { AUDIT_EVENTS } from './events.ts';
import type { AuditRow } from './presenters.ts';
import { describeAuditEntry, fieldChanges, readerLanguage, type AuditNames } from './sentences.ts';

/*
 * The list of actions to check is read from the source, not from the declaration: every
 * `recordAudit(` call, the action it writes (a literal, a choice between literals, or one of the
 * two forwarded action fields below), and what the call names (an app? institutions?).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const LANGUAGES: Language[] = ['en', 'nl', 'fr', 'sv'];
const ACTION_LITERAL = /'([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Literals on the `action` lines of a file (e.g. the review transitions, the grant writer's union). */
const actionLiteralsOf = (file: string): string[] =>
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => /\baction\??:/.test(line))
    .flatMap((line) => [...line.matchAll(ACTION_LITERAL)].map((m) => m[1]!));

/** Action fields that are passed on from elsewhere: where their literals are. A new one must be added here. */
const FORWARDED: Record<string, string> = {
  't.action': 'modules/review/policies.ts',
  'input.action': 'modules/access/grants.ts',
  'change.action': 'modules/catalog/sync.ts',
};

interface RecordedAction {
  action: string;
  where: string;
  namesApp: boolean;
  namesInstitutions: boolean;
}

/** Every audit action the source records, with whether its call names an app and institutions. */
function recordedActions(): RecordedAction[] {
  const found: RecordedAction[] = [];
  for (const path of sourceFiles(ROOT)) {
    const file = relative(ROOT, path);
    if (file === 'modules/audit/record.ts') continue;
    const text = readFileSync(path, 'utf8');
    for (const call of text.matchAll(/recordAudit\(/g)) {
      // The call's entry object ends at the first line closing it: `});` or `},` then `);`.
      const rest = text.slice(call.index);
      const end = rest.search(/\n\s*\}\);|\n\s*\},?\n\s*\);/);
      const block = rest.slice(0, end === -1 ? 2000 : end);
      const line = text.slice(0, call.index).split('\n').length;
      const where = `${file}:${line}`;
      const actionLine = block.match(/\baction:\s*([^\n]*)/);
      expect(actionLine, `${where}: recordAudit without a visible action`).toBeTruthy();
      const expr = actionLine![1]!.replace(/,\s*$/, '').trim();
      let actions = [...expr.matchAll(ACTION_LITERAL)].map((m) => m[1]!);
      if (!actions.length) {
        expect(FORWARDED[expr], `${where}: action ${expr} is neither a literal nor a known forwarded field`).toBeDefined();
        actions = actionLiteralsOf(FORWARDED[expr]!);
      }
      expect(actions.length, where).toBeGreaterThan(0);
      for (const action of actions) {
        found.push({ action, where, namesApp: /\bappId\b/.test(block), namesInstitutions: /\binstitutionNumbers\b/.test(block) });
      }
    }
  }
  return found;
}

const recorded = recordedActions();

const APP = 'Huiswerkplanner Plus';
const PARTNER = 'CampusWise';
const SCHOOL = 'Basisschool Klim Op';
const names: AuditNames = {
  apps: new Map([['11111111-1111-4111-8111-111111111111', APP]]),
  partners: new Map([['22222222-2222-4222-8222-222222222222', PARTNER]]),
  clients: new Map([['33333333-3333-4333-8333-333333333333', 'old-sync-key']]),
  institutions: new Map([['001057', SCHOOL]]),
  accessGroups: new Map(),
  users: new Map(),
};

/** A row as the call site writes it: an app and an institution only where the call names them. */
function rowFor(r: RecordedAction, reason: string | null): AuditRow {
  return {
    id: '1',
    at: new Date('2026-11-22T09:00:00Z'),
    actor_user_id: '44444444-4444-4444-8444-444444444444',
    actor_label: 'Anna Admin <anna@school.example>',
    actor_kind: 'school',
    action: r.action,
    subject_type: 'app',
    subject_id: 'x',
    partner_id: '22222222-2222-4222-8222-222222222222',
    app_id: r.namesApp ? '11111111-1111-4111-8111-111111111111' : null,
    client_id: '33333333-3333-4333-8333-333333333333',
    institution_numbers: r.namesInstitutions ? ['001057'] : [],
    access_group_ids: [],
    reason,
    before: { name: 'Before name', email: 'x@school.example', apiCode: 'students', institutionNumbers: ['001057'] },
    after: { name: 'After name', email: 'x@school.example', apiCode: 'students', institutionNumbers: [] },
  } as AuditRow;
}

describe('audit actions in words', () => {
  it('finds the actions the source records (the scan itself works)', () => {
    const actions = new Set(recorded.map((r) => r.action));
    // A few known by heart, so a scan that finds nothing cannot pass.
    for (const a of ['grants.replaced', 'consent.withdrawn', 'ss12000.data_loaded', 'app.approved', 'end_user_consent.given', 'client.secret_created']) {
      expect(actions).toContain(a);
    }
    expect(actions.size).toBeGreaterThanOrEqual(35);
  });

  it('has a declaration for every action recorded anywhere in the source', () => {
    const missing = [...new Set(recorded.map((r) => r.action))].filter((a) => !Object.hasOwn(AUDIT_EVENTS, a));
    expect(missing, 'add these to src/modules/audit/events.ts').toEqual([]);
  });

  it.each(recorded.map((r) => [r.action, r] as const))('words %s in all four languages, naming actor, app, institution and reason', (_, r) => {
    const seen = new Set<string>();
    const labels = new Set<string>();
    for (const lang of LANGUAGES) {
      const { sentence, actionLabel } = describeAuditEntry(rowFor(r, 'Klim Op joins'), null, names, lang);
      expect(actionLabel).not.toBe(r.action);
      labels.add(actionLabel);
      expect(sentence.trim().length, `${r.where} ${lang}`).toBeGreaterThan(20);
      expect(sentence).toContain('Anna Admin');
      expect(sentence).not.toContain('anna@school.example');
      expect(sentence).toContain('Klim Op joins');
      expect(sentence).not.toContain(r.action);
      expect(sentence).not.toMatch(/undefined|null|\[object|NaN/);
      if (r.namesApp) expect(sentence, `${r.where} ${lang}`).toContain(APP);
      if (r.namesInstitutions) expect(sentence, `${r.where} ${lang}`).toContain(`${SCHOOL} (001057)`);
      seen.add(sentence);
    }
    // Four languages, four different sentences: no language falls back to another's words.
    expect(seen.size).toBe(4);
    // Short names may coincide ("App" is "App" in three languages) but not all four.
    expect(labels.size).toBeGreaterThan(1);
  });

  it('shows a school admin only the institutions of their scope, in the sentence too', () => {
    const row = {
      ...rowFor({ action: 'grants.replaced', where: '', namesApp: true, namesInstitutions: true }, null),
      institution_numbers: ['001057', '009999'],
    };
    const withOther = { ...names, institutions: new Map([...names.institutions, ['009999', 'Geheime School']]) };
    const scoped = describeAuditEntry(row, { institutions: new Set(['001057']), accessGroups: new Set() }, withOther, 'en');
    expect(scoped.sentence).toContain(SCHOOL);
    expect(scoped.sentence).not.toContain('Geheime School');
    expect(JSON.stringify(scoped)).not.toContain('009999');
    expect(describeAuditEntry(row, null, withOther, 'en').sentence).toContain('Geheime School (009999)');
  });

  it('names an end user only by their pairwise sub, in the reader language', () => {
    const row = { ...rowFor({ action: 'consent.withdrawn', where: '', namesApp: true, namesInstitutions: true }, null) };
    row.actor_kind = 'person';
    row.actor_label = 'End user Zq3-pairwise';
    row.actor_user_id = null;
    expect(describeAuditEntry(row, null, names, 'fr').sentence).toMatch(
      /^L’utilisateur final Zq3-pairwise a retiré son consentement à l’application Huiswerkplanner Plus/,
    );
    expect(describeAuditEntry(row, null, names, 'nl').sentence).toMatch(/^Eindgebruiker Zq3-pairwise heeft de toestemming/);
  });
});

describe('before/after as a field diff', () => {
  it('lists only changed fields, with labels and readable values, never JSON', () => {
    const changes = fieldChanges(
      {
        name: 'Planner',
        status: 'submitted',
        redirectUris: ['https://a.example/cb'],
        public: false,
        apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Plan' }],
      },
      {
        name: 'Planner',
        status: 'approved',
        redirectUris: ['https://a.example/cb'],
        public: true,
        apis: [{ apiCode: 'staff', dataCategories: ['identity'], purpose: 'Plan' }],
        changedFields: ['status'],
      },
      'nl',
      names,
    );
    expect(changes).toEqual([
      { field: 'status', label: 'Status', before: 'Ingediend', after: 'Goedgekeurd' },
      { field: 'public', label: 'Openbaar', before: 'nee', after: 'ja' },
      { field: 'apis', label: 'API’s', before: 'Leerlingen (identity): Plan', after: 'Personeel (identity): Plan' },
    ]);
  });

  it('names institutions in a change of targets and lists every field of a creation', () => {
    const [inst] = fieldChanges({ apiCode: 'students', institutionNumbers: [] }, { apiCode: 'students', institutionNumbers: ['001057'] }, 'fr', names);
    expect(inst).toEqual({ field: 'institutionNumbers', label: 'Établissements', before: '—', after: `${SCHOOL} (001057)` });
    const created = fieldChanges(null, { email: 'x@y.example', expiresAt: '2026-12-22T09:00:00.000Z' }, 'sv', names);
    expect(created).toEqual([
      { field: 'email', label: 'E-post', before: null, after: 'x@y.example' },
      { field: 'expiresAt', label: 'Går ut', before: null, after: '2026-12-22 09:00 UTC' },
    ]);
  });
});

describe('reader language', () => {
  it('takes lang, then Accept-Language by weight, then the user language, then English', () => {
    expect(readerLanguage('sv', 'fr', 'nl')).toBe('sv');
    expect(readerLanguage(undefined, 'de-DE, fr-BE;q=0.8, nl;q=0.9', 'en')).toBe('nl');
    expect(readerLanguage(undefined, 'de, fr;q=0', 'sv')).toBe('sv');
    expect(readerLanguage(undefined, undefined, 'fr')).toBe('fr');
    expect(readerLanguage(undefined, 'xx;q=abc', undefined)).toBe('en');
  });
});

describe('CSV cells', () => {
  it('keeps formulas from running and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+31 6 1234')).toBe(`'+31 6 1234`);
    expect(csvCell('-2+3')).toBe(`'-2+3`);
    expect(csvCell('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(csvCell('\t=1')).toBe(`'\t=1`);
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
    expect(csvLine(['a', 'b"c'])).toBe('a,"b""c"\r\n');
  });
});
