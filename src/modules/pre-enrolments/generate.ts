import { createHash } from 'node:crypto';
import type { PreEnrolmentInput } from './schemas.ts';

/**
 * Generated pre-enrolments: one school year's intake at the given institutions, deterministic for a
 * seed (the same options give the same records, so loading them again changes nothing). Flemish
 * names and towns, as the demo's school board; some children have a protected identity.
 */

const GIVEN = [
  'Lotte',
  'Noor',
  'Lina',
  'Fien',
  'Mila',
  'Ella',
  'Louise',
  'Marie',
  'Nora',
  'Jules',
  'Lucas',
  'Finn',
  'Mats',
  'Vic',
  'Arthur',
  'Louis',
  'Warre',
  'Lars',
  'Stan',
  'Ayoub',
];
const ADULT = ['An', 'Katrien', 'Els', 'Sofie', 'Inge', 'Tom', 'Pieter', 'Koen', 'Bart', 'Wim', 'Fatima', 'Youssef'];
const FAMILY = ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet', 'Vermeulen', 'El Amrani'];
const STREETS = ['Kerkstraat', 'Stationsstraat', 'Molenstraat', 'Dorpstraat', 'Schoolstraat', 'Nieuwstraat', 'Zeedijk', 'Langestraat'];
const TOWNS: [string, string][] = [
  ['8000', 'Brugge'],
  ['8400', 'Oostende'],
  ['8370', 'Blankenberge'],
  ['8490', 'Jabbeke'],
];
const PROGRAMMES = ['Latijn', 'Moderne talen en wetenschappen', 'STEM', 'Economie en organisatie', 'Bouw- en houtkunde'];

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!,
  };
}

/** A stable UUID (v4 layout) from a name. */
function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

export interface PreEnrolmentWorld {
  seed: number;
  /** Institutions applied to, with whether they are primary (grades K1–6) or secondary (1–6 with a programme). */
  institutions: { number: string; level: 'primary' | 'secondary' }[];
  /** The school year applied for (the calendar year it starts in). */
  schoolYear: number;
  /** Applications per institution. */
  perInstitution: number;
}

/** One school year's intake of pre-enrolments at `world.institutions`. */
export function generatePreEnrolments(world: PreEnrolmentWorld): PreEnrolmentInput[] {
  const rnd = random(world.seed);
  const out: PreEnrolmentInput[] = [];
  // Applications open in the autumn before the school year and are decided by spring.
  const opens = Date.UTC(world.schoolYear - 1, 9, 1);
  for (const inst of world.institutions) {
    for (let i = 0; i < world.perInstitution; i++) {
      const family = rnd.pick(FAMILY);
      const [postalCode, locality] = rnd.pick(TOWNS);
      const address = { streetAddress: `${rnd.pick(STREETS)} ${rnd.int(1, 180)}`, postalCode, locality, countryCode: 'BE' };
      const roll = rnd.next();
      const status = roll < 0.5 ? 'submitted' : roll < 0.8 ? 'accepted' : roll < 0.9 ? 'refused' : 'withdrawn';
      const submitted = opens + rnd.int(0, 150) * 86_400_000;
      const later = submitted + rnd.int(7, 60) * 86_400_000;
      const grade = inst.level === 'primary' ? rnd.pick(['K1', 'K2', 'K3', '1', '1', '1', '2', '3']) : rnd.pick(['1', '1', '1', '2', '3']);
      const age = inst.level === 'primary' ? (grade.startsWith('K') ? 2 + Number(grade.slice(1)) : 5 + Number(grade)) : 11 + Number(grade);
      const marking = rnd.next();
      const guardians = Array.from({ length: rnd.int(1, 2) }, (_, g) => ({
        givenName: rnd.pick(ADULT),
        familyName: g === 0 ? family : rnd.pick(FAMILY),
        relation: rnd.next() < 0.9 ? ('parent' as const) : ('guardian' as const),
        securityMarking: 'Ingen' as const,
        email: `ouder${i}-${g}.${inst.number}@voorbeeld.be`,
        phone: `+32 4${rnd.int(70, 99)} ${rnd.int(10, 99)} ${rnd.int(10, 99)} ${rnd.int(10, 99)}`,
        address,
      }));
      out.push({
        id: uuidOf(`pre-enrolment/${world.seed}/${inst.number}/${world.schoolYear}/${i}`),
        institution: { institutionNumber: inst.number },
        schoolYear: world.schoolYear,
        grade,
        ...(inst.level === 'secondary' ? { programme: rnd.pick(PROGRAMMES) } : {}),
        status,
        submittedDate: iso(new Date(submitted)),
        ...(status === 'accepted' || status === 'refused' ? { decisionDate: iso(new Date(later)) } : {}),
        ...(status === 'withdrawn' ? { withdrawnDate: iso(new Date(later)) } : {}),
        desiredStartDate: `${world.schoolYear}-09-01`,
        child: {
          givenName: rnd.pick(GIVEN),
          familyName: family,
          securityMarking: marking < 0.02 ? 'Skyddad folkbokföring' : marking < 0.04 ? 'Sekretessmarkering' : 'Ingen',
          birthDate: `${world.schoolYear - age}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}`,
          address,
        },
        guardians,
      });
    }
  }
  return out;
}
