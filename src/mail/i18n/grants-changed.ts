import { facts, list, p, type Block } from '../render.ts';
import type { AccessLevel } from '../../db/schema.ts';
import type { GrantLine, MailTemplates } from '../service.ts';
import type { Formatters } from '../templates.ts';

/**
 * The words of a `grants_changed` mail in one language. The mail's shape (which lists appear when,
 * and the notes on what takes effect at once) is `grantsChangedBlocks`, the same in every language.
 */
export interface GrantsChangedWords {
  intro: (appName: string, apiName: string) => string;
  /** Headings of the three lists, each with its colon. */
  added: string;
  removed: string;
  levelChanged: string;
  /** "API at institution": the word between the two. */
  at: string;
  /** The separator before a grant's level (the language's colon). */
  colon: string;
  levels: Record<AccessLevel, string>;
  /** "from read only to read and write". */
  fromTo: (from: string, to: string) => string;
  changedBy: string;
  when: string;
  reason: string;
  noReason: string;
  /** Said when grants were removed / when a level was lowered from read-write to read. */
  removedTakesEffect: string;
  loweredTakesEffect: string;
}

/** The blocks of a `grants_changed` mail in the language of `w`. */
export function grantsChangedBlocks(w: GrantsChangedWords, d: MailTemplates['grants_changed'], f: Formatters): Block[] {
  const grantAt = (g: GrantLine) => `${f.api(g.apiCode, g.apiName)} ${w.at} ${g.target}`;
  return [
    p(w.intro(d.appName, d.apiName)),
    ...(d.added.length
      ? [
          list(
            w.added,
            d.added.map((g) => `${grantAt(g)}${w.colon} ${w.levels[g.accessLevel]}`),
          ),
        ]
      : []),
    ...(d.removed.length ? [list(w.removed, d.removed.map(grantAt))] : []),
    ...(d.levelChanged.length
      ? [
          list(
            w.levelChanged,
            d.levelChanged.map((g) => `${grantAt(g)}${w.colon} ${w.fromTo(w.levels[g.from], w.levels[g.accessLevel])}`),
          ),
        ]
      : []),
    facts([w.changedBy, d.changedBy], [w.when, f.dateTime(d.at)], [w.reason, d.reason ?? w.noReason]),
    ...(d.removed.length ? [p(w.removedTakesEffect)] : []),
    ...(d.levelChanged.some((g) => g.from === 'read_write' && g.accessLevel === 'read') ? [p(w.loweredTakesEffect)] : []),
  ];
}
