/** Word lists for the generator: common Swedish names, streets and municipalities. */

export const GIVEN_FEMALE = [
  'Alice', 'Maja', 'Vera', 'Elsa', 'Astrid', 'Wilma', 'Freja', 'Alma', 'Ebba', 'Olivia', 'Selma', 'Saga', 'Ella',
  'Agnes', 'Signe', 'Lilly', 'Stella', 'Clara', 'Ines', 'Nora', 'Ellen', 'Tyra', 'Linnea', 'Sara', 'Emma', 'Anna',
  'Eva', 'Karin', 'Kristina', 'Maria', 'Lena', 'Ingrid', 'Sofia', 'Johanna', 'Åsa', 'Märta', 'Fatima', 'Amina', 'Leyla',
];
export const GIVEN_MALE = [
  'Noah', 'William', 'Hugo', 'Liam', 'Lucas', 'Oscar', 'Elias', 'Matteo', 'Adam', 'Nils', 'Vincent', 'Alexander',
  'Theo', 'Leo', 'Charlie', 'Ludvig', 'Frans', 'Gustav', 'Olle', 'Axel', 'Erik', 'Lars', 'Karl', 'Anders', 'Johan',
  'Per', 'Mikael', 'Björn', 'Göran', 'Stefan', 'Mohammed', 'Ali', 'Omar', 'Jonas', 'Åke', 'Sven', 'Emil', 'Isak',
];
export const FAMILY = [
  'Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson',
  'Gustafsson', 'Pettersson', 'Jonsson', 'Jansson', 'Hansson', 'Bengtsson', 'Jönsson', 'Lindberg', 'Jakobsson',
  'Magnusson', 'Olofsson', 'Lindström', 'Lindqvist', 'Lindgren', 'Berg', 'Axelsson', 'Bergström', 'Lundberg',
  'Lind', 'Lundgren', 'Lundqvist', 'Mattsson', 'Berglund', 'Fredriksson', 'Sandberg', 'Henriksson', 'Ali', 'Mohammed',
  'Öberg', 'Åberg', 'Ekström', 'Holm', 'Sjöberg', 'Wallin', 'Engström', 'Danielsson', 'Håkansson', 'Nyström',
];
export const STREETS = [
  'Storgatan', 'Drottninggatan', 'Kungsgatan', 'Skolgatan', 'Järnvägsgatan', 'Parkvägen', 'Björkvägen', 'Ekvägen',
  'Tallvägen', 'Ringvägen', 'Södra vägen', 'Norra Allén', 'Kyrkogatan', 'Hamngatan', 'Åsgatan', 'Älvstigen',
];

/** Municipality code (kommunkod), name, county code and the first digits of its postal codes. */
export const MUNICIPALITIES: { code: string; name: string; county: number; postal: string }[] = [
  { code: '0180', name: 'Stockholm', county: 1, postal: '11' },
  { code: '1480', name: 'Göteborg', county: 14, postal: '41' },
  { code: '1280', name: 'Malmö', county: 12, postal: '21' },
  { code: '0380', name: 'Uppsala', county: 3, postal: '75' },
  { code: '0580', name: 'Linköping', county: 5, postal: '58' },
  { code: '1880', name: 'Örebro', county: 18, postal: '70' },
  { code: '2480', name: 'Umeå', county: 24, postal: '90' },
  { code: '1980', name: 'Västerås', county: 19, postal: '72' },
];

export const SCHOOL_NAME_PARTS = [
  'Ekbacke', 'Björkhaga', 'Solhem', 'Lunda', 'Åsen', 'Tallbacka', 'Sjöstad', 'Kvarn', 'Ängs', 'Hag', 'Berga', 'Norr',
  'Söder', 'Väst', 'Öster', 'Linné', 'Vasa', 'Kungs', 'Strand', 'Skogs', 'Dal', 'Bäck', 'Ljung', 'Rosen',
];

/** Compulsory-school subjects: name and Skolverket subject code. */
export const GR_SUBJECTS: [string, string][] = [
  ['Svenska', 'SV'], ['Matematik', 'MA'], ['Engelska', 'EN'], ['Biologi', 'BI'], ['Fysik', 'FY'], ['Kemi', 'KE'],
  ['Historia', 'HI'], ['Geografi', 'GE'], ['Samhällskunskap', 'SH'], ['Religionskunskap', 'RE'], ['Idrott och hälsa', 'IDH'],
  ['Bild', 'BL'], ['Musik', 'MU'], ['Slöjd', 'SL'], ['Teknik', 'TK'], ['Hem- och konsumentkunskap', 'HKK'],
  ['Moderna språk, spanska', 'M2'], ['Moderna språk, tyska', 'M2'], ['Moderna språk, franska', 'M2'],
];
/** Upper-secondary courses: subject, course name, course code, points. */
export const GY_COURSES: [string, string, string, string, number][] = [
  ['Svenska', 'SVE', 'Svenska 1', 'SVESVE01', 100], ['Engelska', 'ENG', 'Engelska 5', 'ENGENG05', 100],
  ['Matematik', 'MAT', 'Matematik 1c', 'MATMAT01c', 100], ['Historia', 'HIS', 'Historia 1b', 'HISHIS01b', 100],
  ['Idrott och hälsa', 'IDR', 'Idrott och hälsa 1', 'IDRIDR01', 100], ['Naturkunskap', 'NAK', 'Naturkunskap 1b', 'NAKNAK01b', 100],
  ['Samhällskunskap', 'SAM', 'Samhällskunskap 1b', 'SAMSAM01b', 100], ['Religionskunskap', 'REL', 'Religionskunskap 1', 'RELREL01', 50],
  ['Fysik', 'FYS', 'Fysik 1a', 'FYSFYS01a', 150], ['Kemi', 'KEM', 'Kemi 1', 'KEMKEM01', 100],
  ['Biologi', 'BIO', 'Biologi 1', 'BIOBIO01', 100], ['Företagsekonomi', 'FÖR', 'Företagsekonomi 1', 'FÖRFÖR01', 100],
];
/** National upper-secondary programmes: code, name, type. */
export const GY_PROGRAMMES: [string, string, 'Högskoleförberedande program' | 'Yrkesprogram'][] = [
  ['NA', 'Naturvetenskapsprogrammet', 'Högskoleförberedande program'],
  ['SA', 'Samhällsvetenskapsprogrammet', 'Högskoleförberedande program'],
  ['TE', 'Teknikprogrammet', 'Högskoleförberedande program'],
  ['EK', 'Ekonomiprogrammet', 'Högskoleförberedande program'],
  ['BA', 'Bygg- och anläggningsprogrammet', 'Yrkesprogram'],
  ['VO', 'Vård- och omsorgsprogrammet', 'Yrkesprogram'],
];
