import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BoarderInput } from '../modules/boarders/schemas.ts';
import type { World } from './index.ts';

/**
 * Boarders for a generated SS 12000 world: a share (about 10 %) of the pupils enrolled at the
 * boarding schools named by institution number live at the school's boarding house, with a room, a
 * living group, the period of their enrolment, a nights or weekend arrangement, and their SS 12000
 * guardians to contact (names, e-mail, phone and address as the store has them; a guardian's own
 * marking carried along, so protected families stay protected). Deterministic for a seed and world,
 * so loading the result again changes nothing. Load the world's persons first: a boarder refers to one.
 */
export interface BoarderWorld {
  seed: number;
  /** The boarding schools (institution numbers, the organisationCode of their school units). */
  institutionNumbers: string[];
  /** The share of their pupils who board (0–1; default 0.1). */
  share?: number;
}

const HOUSES = ['De Linde', 'Sint-Jozef', 'Het Anker', 'De Wingerd', 'Ter Duinen', 'Klaverveld'];
const WEEKNIGHTS = ['monday', 'tuesday', 'wednesday', 'thursday'] as const;

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable UUID (v4 layout) from a name. */
function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Person = World['persons'][number];

const addressOf = (a: { streetAddress?: string; postalCode?: string; locality?: string } | undefined) =>
  a ? { streetAddress: a.streetAddress, postalCode: a.postalCode, locality: a.locality } : undefined;

/** The boarders of `world` at `options.institutionNumbers`, by person and school unit. */
export function generateBoarders(world: World, options: BoarderWorld): BoarderInput[] {
  const next = random(options.seed);
  const share = options.share ?? 0.1;
  const boarding = new Set(options.institutionNumbers);
  const units = new Map(
    world.organisations
      .filter((o) => o.organisationType === 'Skolenhet' && o.organisationCode && boarding.has(o.organisationCode))
      .map((o) => [o.id, o] as const),
  );
  const persons = new Map(world.persons.map((p) => [p.id, p] as const));
  const out: BoarderInput[] = [];
  for (const person of world.persons) {
    for (const [k, enrolment] of (person.enrolments ?? []).entries()) {
      const unit = units.get(enrolment.enroledAt.id);
      if (!unit || enrolment.cancelled) continue;
      if (next() >= share) continue;
      const houseIndex = Math.floor(next() * 2);
      const roll = next();
      const arrangement =
        roll < 0.05
          ? {
              nights: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as BoarderInput['arrangement']['nights'],
              weekends: 'stays' as const,
            }
          : roll < 0.15
            ? { nights: [...WEEKNIGHTS, 'sunday'] as BoarderInput['arrangement']['nights'], weekends: 'alternate' as const }
            : roll < 0.45
              ? { nights: ['sunday', ...WEEKNIGHTS] as BoarderInput['arrangement']['nights'], weekends: 'home' as const }
              : { nights: [...WEEKNIGHTS] as BoarderInput['arrangement']['nights'], weekends: 'home' as const };
      const guardians = (person.responsibles ?? []).flatMap((r) => {
        const g: Person | undefined = persons.get(r.person.id);
        if (!g) return [];
        const email = g.emails?.find((e) => e.type === 'Privat')?.value;
        const phone = g.phoneNumbers?.[0]?.value;
        const address = addressOf(g.addresses?.[0]);
        return [
          {
            givenName: g.givenName,
            familyName: g.familyName,
            relation: r.relationType === 'Vårdnadshavare' ? ('guardian' as const) : ('other' as const),
            securityMarking: g.securityMarking ?? ('Ingen' as const),
            ...(email && email.length <= 200 && z.email().safeParse(email).success ? { email } : {}),
            ...(phone && phone.length >= 3 && phone.length <= 40 ? { phone } : {}),
            ...(address ? { address } : {}),
          },
        ];
      });
      const unitAddress = addressOf(unit.address);
      out.push({
        id: uuidOf(`boarder/${options.seed}/${person.id}/${unit.id}/${k}`),
        institution: { institutionNumber: unit.organisationCode! },
        person: { id: person.id },
        boardingHouse: {
          name: `Internaat ${HOUSES[(houseIndex + unit.displayName.length) % HOUSES.length]}`,
          ...(unitAddress ? { address: unitAddress } : {}),
        },
        room: `${1 + Math.floor(next() * 3)}.${String(1 + Math.floor(next() * 24)).padStart(2, '0')}`,
        group: `Leefgroep ${1 + Math.floor(next() * 4)}`,
        startDate: enrolment.startDate,
        ...(enrolment.endDate && enrolment.endDate >= enrolment.startDate ? { endDate: enrolment.endDate } : {}),
        arrangement,
        guardians: guardians.slice(0, 10),
      });
    }
  }
  return out;
}
