/**
 * Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer):
 * YYYYMMDDNNNC where C is the Luhn check digit over YYMMDDNNN and the ninth digit is odd for men.
 */

/** Luhn check digit of a string of digits (weights 2,1,2,1… from the left, as Skatteverket does). */
export function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Builds a 12-digit number for a birth date (YYYY-MM-DD), a three-digit birth number whose last digit
 * must be odd for `Man` and even for `Kvinna`, and `coordination` (samordningsnummer: day + 60).
 */
export function makeCivicNo(birthDate: string, birthNumber: number, coordination = false): string {
  const [y, m, d] = birthDate.split('-');
  const day = String(Number(d) + (coordination ? 60 : 0)).padStart(2, '0');
  const serial = String(birthNumber).padStart(3, '0');
  const short = `${y!.slice(2)}${m}${day}${serial}`;
  return `${y}${m}${day}${serial}${luhnDigit(short)}`;
}

/** True when a 12-digit personnummer or samordningsnummer has a valid date part and check digit. */
export function isValidCivicNo(value: string): boolean {
  if (!/^\d{12}$/.test(value)) return false;
  const month = Number(value.slice(4, 6));
  let day = Number(value.slice(6, 8));
  if (day > 60) day -= 60;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return luhnDigit(value.slice(2, 11)) === Number(value[11]);
}
