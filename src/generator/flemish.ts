/**
 * A Flemish world for the generator (`GenerateOptions.place`): common Flemish first and family
 * names, streets, the subjects as a Flemish school names them, and Belgian national register
 * numbers (rijksregisternummers). The SS 12000 shapes stay those of the standard: only names, places
 * and identifiers change.
 */

export const FLEMISH_GIVEN_FEMALE = [
  'Olivia',
  'Louise',
  'Mila',
  'Ella',
  'Nora',
  'Lena',
  'Noor',
  'Marie',
  'Julie',
  'Lotte',
  'Fien',
  'Hanne',
  'Emma',
  'Lisa',
  'Anna',
  'Sara',
  'Elise',
  'Amber',
  'Kato',
  'Lore',
  'Febe',
  'Zoë',
  'Ines',
  'Yasmina',
  'Leen',
  'Griet',
  'An',
  'Katrien',
  'Sofie',
  'Els',
];
export const FLEMISH_GIVEN_MALE = [
  'Noah',
  'Arthur',
  'Louis',
  'Jules',
  'Lucas',
  'Adam',
  'Liam',
  'Finn',
  'Mathis',
  'Vic',
  'Lars',
  'Wout',
  'Seppe',
  'Milan',
  'Ward',
  'Rune',
  'Stan',
  'Bram',
  'Tibo',
  'Jasper',
  'Pieter',
  'Tom',
  'Koen',
  'Bart',
  'Wim',
  'Jan',
  'Dries',
  'Yusuf',
  'Karel',
  'Lander',
];
export const FLEMISH_FAMILY = [
  'Peeters',
  'Janssens',
  'Maes',
  'Jacobs',
  'Mertens',
  'Willems',
  'Claes',
  'Goossens',
  'Wouters',
  'De Smet',
  'Dubois',
  'Vermeulen',
  'Van den Broeck',
  'De Clercq',
  'Vandenberghe',
  'Desmet',
  'Verstraete',
  'Declercq',
  'Vanhoutte',
  'De Vos',
  'Deconinck',
  'Coppens',
  'Lambrecht',
  'Vandamme',
  'Vermeersch',
  'Debruyne',
  'Verhaeghe',
  'Dewulf',
  'Maertens',
  'Devos',
];
export const FLEMISH_STREETS = [
  'Kerkstraat',
  'Stationsstraat',
  'Dorpsstraat',
  'Molenstraat',
  'Nieuwstraat',
  'Schoolstraat',
  'Kapelstraat',
  'Zandstraat',
  'Langestraat',
  'Smedenstraat',
  'Zeedijk',
  'Torhoutsesteenweg',
  'Gistelse Steenweg',
  'Vlamingstraat',
  'Noordzandstraat',
  'Kortrijkstraat',
];

/** The generator's subjects (keys: the Swedish names of src/generator/names.ts) as a Flemish school names them. */
export const FLEMISH_SUBJECTS: Record<string, string> = {
  Svenska: 'Nederlands',
  Matematik: 'Wiskunde',
  Engelska: 'Engels',
  Biologi: 'Biologie',
  Fysik: 'Fysica',
  Kemi: 'Chemie',
  Historia: 'Geschiedenis',
  Geografi: 'Aardrijkskunde',
  Samhällskunskap: 'Maatschappelijke vorming',
  Religionskunskap: 'Levensbeschouwing',
  'Idrott och hälsa': 'Lichamelijke opvoeding',
  Bild: 'Beeldende vorming',
  Musik: 'Muzikale vorming',
  Slöjd: 'Techniek',
  Teknik: 'STEM',
  'Hem- och konsumentkunskap': 'Huishoudkunde',
  'Moderna språk, spanska': 'Spaans',
  'Moderna språk, tyska': 'Duits',
  'Moderna språk, franska': 'Frans',
};

/**
 * A Belgian national register number (11 digits): YYMMDD, a three-digit day counter (odd for men,
 * even for women, 001–997) and the check number 97 − (n mod 97), where n is the first nine digits,
 * preceded by a 2 for people born from 2000 on.
 */
export function makeNationalNumber(birthDate: string, counter: number): string {
  const [y, m, d] = birthDate.split('-');
  const nine = `${y!.slice(2)}${m}${d}${String(counter).padStart(3, '0')}`;
  const n = BigInt(`${Number(y) >= 2000 ? '2' : ''}${nine}`);
  const check = 97 - Number(n % 97n);
  return `${nine}${String(check).padStart(2, '0')}`;
}

/** True when an 11-digit Belgian national register number's check number is right. */
export function isValidNationalNumber(value: string, bornFrom2000: boolean): boolean {
  if (!/^\d{11}$/.test(value)) return false;
  const n = BigInt(`${bornFrom2000 ? '2' : ''}${value.slice(0, 9)}`);
  return 97 - Number(n % 97n) === Number(value.slice(9));
}
